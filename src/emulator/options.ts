import * as z from 'zod/mini';
import { BUCKET_PATTERN, REGION_PATTERN } from '../core/transport/endpoint.js';
import { FaultConfigSchema } from './faults/fault-config.js';

/** Headers a browser client must be able to read, exposed by the default CORS rule. */
export const DEFAULT_EXPOSE_HEADERS = [
  'ETag',
  'Date',
  'Content-Length',
  'x-cos-request-id',
  'x-ci-request-id',
  'x-cos-hash-crc64ecma',
  'x-cos-version-id',
] as const;

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] as const;

/** A bucket CORS rule, as the COS console sets one. */
export const CorsRuleSchema = z.object({
  /** `*`, an origin (`https://example.com`), or one with a `*` wildcard (`https://*.example.com`). */
  allowedOrigins: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  /** @default ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] */
  allowedMethods: z._default(z.array(z.enum(METHODS)), [...METHODS]),
  /** Request header names (any case), `*` for any, or a prefix with `*` (`x-cos-meta-*`). @default ['*'] */
  allowedHeaders: z._default(z.array(z.string()), ['*']),
  /** Response headers scripts may read. @default ETag, Date, Content-Length, x-cos-request-id, x-ci-request-id, x-cos-hash-crc64ecma, x-cos-version-id */
  exposeHeaders: z._default(z.array(z.string()), [...DEFAULT_EXPOSE_HEADERS]),
  /** Seconds a browser may cache a preflight. @default 600 */
  maxAgeSeconds: z._default(z.int().check(z.gte(0), z.lte(86_400)), 600),
});
/** A bucket CORS rule, as given. */
export type CorsRuleInput = z.input<typeof CorsRuleSchema>;
/** A bucket CORS rule with its defaults. */
export type CorsRule = z.output<typeof CorsRuleSchema>;

const bucketName = z.string().check(z.regex(BUCKET_PATTERN, 'must look like examplebucket-1250000000'));
const region = z.string().check(z.regex(REGION_PATTERN, 'must look like ap-guangzhou'));

/** A bucket of the emulator. */
export const BucketOptionsSchema = z.object({
  name: bucketName,
  /** @default the emulator's `region` */
  region: z.optional(region),
  /** The bucket's CORS rules; `[]` answers every preflight 403. @default one rule from `corsOrigins` */
  cors: z.optional(z.array(CorsRuleSchema)),
});

/** The published example key: refused when the emulator listens beyond loopback (see `host`). */
export const DEFAULT_SECRET_ID = 'AKIDEMULATOREXAMPLEKEYID0000000000';
/** The published example key's secret. */
export const DEFAULT_SECRET_KEY = 'emulatorExampleSecretKey0000000000';

const hostName = z.string().check(z.regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or address'));
const positiveMs = (max: number) => z.int().check(z.gte(0), z.lte(max));

/** Options of {@link startEmulator}; every field has a default. */
export const EmulatorOptionsSchema = z.object({
  /** Address to listen on. @default '127.0.0.1' */
  host: z._default(hostName, '127.0.0.1'),
  /** Port; `0` picks a free one. @default 0 */
  port: z._default(z.int().check(z.gte(0), z.lte(65_535)), 0),
  /** Domain the service host names end with: `<bucket>.cos.<region>.<baseDomain>`. @default 'localhost' */
  baseDomain: z._default(z.string().check(z.regex(/^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/)), 'localhost'),
  /** The account's APPID. @default '1250000000' */
  appId: z._default(z.string().check(z.regex(/^\d{1,20}$/, 'must be digits')), '1250000000'),
  /** The permanent key id. @default 'AKIDEMULATOREXAMPLEKEYID0000000000' */
  secretId: z._default(z.string().check(z.regex(/^[\x21-\x7E]{1,128}$/)), DEFAULT_SECRET_ID),
  /** The permanent key. @default 'emulatorExampleSecretKey0000000000' */
  secretKey: z._default(z.string().check(z.regex(/^[\x21-\x7E]{1,128}$/)), DEFAULT_SECRET_KEY),
  /**
   * The admin endpoint's token: every change through `/_emulator/` must carry it as `x-emulator-admin-token`.
   * @default a random one per start, printed in the endpoints
   */
  adminToken: z.optional(z.string().check(z.regex(/^[\x21-\x7E]{16,256}$/, 'must be 16 to 256 visible ASCII characters'))),
  /**
   * Host names a request's `Host` may carry besides `baseDomain`, its subdomains and the loopback addresses; any
   * other is refused (a DNS-rebinding guard). `*.example.test` allows the subdomains of `example.test`.
   * @default []
   */
  allowedHosts: z._default(z.array(z.string().check(z.regex(/^(?:\*\.)?[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/i))), []),
  /**
   * Where job callbacks may go besides loopback: `host` (any port) or `host:port`. A job whose `CallBack` names
   * another host is refused at submission, as the cloud refuses intranet addresses.
   * @default []
   */
  callbackAllow: z._default(z.array(z.string().check(z.regex(/^[a-z0-9.[\]:-]+$/i, 'must be host or host:port'))), []),
  /** Bounds that keep a misbehaving client from holding the emulator. */
  limits: z.prefault(
    z.object({
      /** Milliseconds a client may take to send a request's headers. @default 10000 */
      headersTimeoutMs: z._default(z.int().check(z.gte(1), z.lte(600_000)), 10_000),
      /** Milliseconds a whole request may take (its body included); 0 for no limit. @default 3600000 */
      requestTimeoutMs: z._default(positiveMs(86_400_000), 3_600_000),
      /** Milliseconds a connection may stay silent, a stalled body included, before it is closed. @default 30000 */
      idleTimeoutMs: z._default(z.int().check(z.gte(1), z.lte(3_600_000)), 30_000),
      /** Connections open at once; more are refused. @default 256 */
      maxConnections: z._default(z.int().check(z.gte(1), z.lte(65_536)), 256),
    }),
    {},
  ),
  /** Region of buckets that name none. @default 'ap-guangzhou' */
  region: z._default(region, 'ap-guangzhou'),
  /** Buckets, by name or in full. @default [`examplebucket-<appId>`] */
  buckets: z.optional(z.array(z.union([bucketName, BucketOptionsSchema])).check(z.maxLength(100))),
  /** Origins the default CORS rule allows. @default ['*'] */
  corsOrigins: z._default(z.array(z.string().check(z.minLength(1))), ['*']),
  /**
   * Where the emulator keeps objects, multipart uploads and jobs, in its own `cos-emulator/` subfolder (nothing else
   * in the folder is touched); a fresh temporary folder, removed on close, when not given.
   */
  dataDir: z.optional(z.string().check(z.minLength(1))),
  /** Seconds a signature's start may lie ahead of the server clock. @default 900 */
  maxClockSkewSeconds: z._default(z.int().check(z.gte(0), z.lte(86_400)), 900),
  /** Largest object or part accepted, in bytes. @default 5 GiB */
  maxObjectSize: z._default(z.int().check(z.gte(1)), 5 * 1024 ** 3),
  /** Media job timing and capacity. */
  jobs: z.prefault(
    z.object({
      /** Jobs running at once. @default 2 */
      workers: z._default(z.int().check(z.gte(1), z.lte(32)), 2),
      /** Milliseconds a job stays `Submitted` at least before a worker takes it. @default 500 */
      queueDelayMs: z._default(positiveMs(3_600_000), 500),
      /**
       * Milliseconds a job stays `Running` when nothing is encoded (copy-through, extraction); an encoding job takes as
       * long as FFmpeg does, its progress read from the encoder. @default 3000
       */
      runMs: z._default(positiveMs(3_600_000), 3000),
      /** Progress updates while running. @default 5 */
      progressSteps: z._default(z.int().check(z.gte(1), z.lte(100)), 5),
      /** Jobs waiting to run, all queues together; a submission beyond is refused with the service's error. @default 1000 */
      maxQueued: z._default(z.int().check(z.gte(1), z.lte(1_000_000)), 1000),
    }),
    {},
  ),
  /** Media processing: how transcode jobs make their outputs. */
  media: z.prefault(
    z.object({
      /**
       * `auto`: encode with FFmpeg when one is found, else copy the input (said once at start and in the admin
       * state); `ffmpeg`: refuse to start without one; `copy`: never encode (the output is the input's media).
       * @default 'auto'
       */
      mode: z._default(z.enum(['auto', 'ffmpeg', 'copy']), 'auto'),
      /** The `ffmpeg` binary; else `ffmpeg` on `PATH`, else the optional dependency `@ffmpeg-installer/ffmpeg`. */
      ffmpeg: z.optional(z.string().check(z.minLength(1))),
      /** The `ffprobe` binary; else next to `ffmpeg`, on `PATH`, or `@ffprobe-installer/ffprobe`. */
      ffprobe: z.optional(z.string().check(z.minLength(1))),
      /** Threads one encode may use. @default 2 */
      threads: z._default(z.int().check(z.gte(1), z.lte(64)), 2),
      /** Milliseconds one job's encode may take: beyond, FFmpeg is killed and the job ends `Failed` `JobTimeout`. @default 600000 */
      timeoutMs: z._default(z.int().check(z.gte(1000), z.lte(86_400_000)), 600_000),
    }),
    {},
  ),
  /**
   * A JSON file of templates of your own, used besides the built-in ones (so that offline work uses your real
   * template ids): `{ "transcode": [...], "watermark": [...] }`, each as the built-in templates are described.
   */
  templates: z.optional(z.string().check(z.minLength(1))),
  /** Job callback delivery. */
  callbacks: z.prefault(
    z.object({
      /** Attempts per callback, the first included. @default 3 */
      attempts: z._default(z.int().check(z.gte(1), z.lte(10)), 3),
      /** Milliseconds before the second attempt; doubled for each next one. @default 1000 */
      retryDelayMs: z._default(positiveMs(600_000), 1000),
      /** Milliseconds an attempt may take. @default 5000 */
      timeoutMs: z._default(z.int().check(z.gte(1), z.lte(600_000)), 5000),
    }),
    {},
  ),
  /** Temporary credentials. */
  sts: z.prefault(
    z.object({
      /** Longest `DurationSeconds` accepted. @default 7200 */
      maxDurationSeconds: z._default(z.int().check(z.gte(1), z.lte(129_600)), 7200),
    }),
    {},
  ),
  /** Faults to inject from the start; change them at run time through the admin endpoint. */
  faults: z._default(FaultConfigSchema, {}),
});

/** Options of {@link startEmulator}, as given. */
export type EmulatorOptions = z.input<typeof EmulatorOptionsSchema>;
/** Options with their defaults. */
export type ResolvedEmulatorOptions = z.output<typeof EmulatorOptionsSchema>;

/** A bucket with everything resolved. */
export interface BucketConfig {
  name: string;
  region: string;
  cors: CorsRule[];
}

/** Validates options and fills in defaults; throws a `TypeError` naming each bad field. */
export function resolveOptions(input: EmulatorOptions = {}): ResolvedEmulatorOptions & { bucketConfigs: BucketConfig[] } {
  const parsed = z.safeParse(EmulatorOptionsSchema, input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`);
    throw new TypeError(`Invalid emulator options: ${issues.join('; ')}`);
  }
  const options = parsed.data;
  const defaultCors = z.parse(CorsRuleSchema, { allowedOrigins: options.corsOrigins });
  const buckets = options.buckets ?? [`examplebucket-${options.appId}`];
  const bucketConfigs = buckets.map((bucket) =>
    typeof bucket === 'string'
      ? { name: bucket, region: options.region, cors: [defaultCors] }
      : { name: bucket.name, region: bucket.region ?? options.region, cors: bucket.cors ?? [defaultCors] },
  );
  const names = new Set<string>();
  for (const { name } of bucketConfigs) {
    if (names.has(name)) throw new TypeError(`Invalid emulator options: buckets: "${name}" is listed twice`);
    names.add(name);
  }
  return { ...options, bucketConfigs };
}
