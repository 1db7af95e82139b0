import * as z from 'zod/mini';
import {
  abortSignal,
  checked,
  hasMethods,
  milliseconds,
  optionsError,
  parseOptions,
  wholeNumber,
  withMethods,
} from '../options.js';
import { plainRecord } from '../protocol/schema-helpers.js';
import type { ServiceClient } from '../transport/service-client.js';
import { createCrc64Hasher, type Crc64Hasher } from './crc64-hasher.js';
import { DEFAULT_OFFLINE_RECHECK_MS, DEFAULT_OFFLINE_WAIT_MS } from './offline-wait.js';
import { DEFAULT_PART_SIZE, MAX_PART_SIZE, MIN_PART_SIZE } from './part-plan.js';
import { DEFAULT_RESUME_TTL_MS, defaultResumeStore, type ResumeStore } from './resume-store.js';

const MiB = 1024 * 1024;

/**
 * Parts sent at once when no `concurrency` is given. Measured with `npm run bench` (see the README): 2 was a little
 * slower than 4, and 6 no faster.
 */
export const DEFAULT_CONCURRENCY = 4;
/**
 * Files this size or larger go up in parts; smaller ones in one `PUT`. Measured with `npm run bench` (see the README):
 * up to 64 MiB one verified `PUT` was 15-30 % faster than parts on loopback and no slower on a 25 MB/s link, since
 * parts cost an Initiate, a Complete and a CORS preflight each; 32 MiB keeps what a lost connection can cost small
 * (the rest resumes part by part).
 */
export const DEFAULT_MULTIPART_THRESHOLD = 32 * MiB;
/** The longest object key COS accepts, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 850;

/** Options of `MultipartUpload`. */
export interface MultipartUploadOptions {
  /** Signs and sends every request (bucket, region, credentials, transport, retry policy, clock). */
  client: ServiceClient;
  /** What to upload: a `File` from a picker or a drop, or any `Blob`. It is read part by part as it is sent. */
  file: Blob;
  /** The object key, without a leading `/`, at most 850 UTF-8 bytes. Any characters; they are percent-encoded. */
  key: string;
  /** `Content-Type` of the object. @default file.type || 'application/octet-stream' */
  contentType?: string;
  /** Other headers stored with the object: `Cache-Control`, `Content-Disposition`, `x-cos-meta-*`, ... */
  headers?: Readonly<Record<string, string>>;
  /**
   * Preferred part size in bytes, from 1 MiB to 5 GiB; raised when the file would need more than 10,000 parts.
   * @default 8 MiB
   */
  partSize?: number;
  /** Parts sent at once, 1 to 16. @default 4 */
  concurrency?: number;
  /** Size in bytes from which the file goes up in parts. At least 1 MiB. @default 32 MiB */
  multipartThreshold?: number;
  /**
   * Where resume records are kept; `false` keeps none (an interrupted upload then starts again).
   * @default localStorage when usable, else memory
   */
  storage?: ResumeStore | false;
  /** Milliseconds after which a resume record is ignored (and its upload aborted). @default 7 days */
  resumeTtl?: number;
  /**
   * Checks each part's and the whole object's `x-cos-hash-crc64ecma` against a CRC-64 computed here. Needs the
   * bucket's CORS rule to expose that header; without it, `result.verified` is `false`.
   * @default true
   */
  verify?: boolean;
  /** Computes the CRC-64s. @default a hasher on the page's one CRC worker, which every upload shares */
  hasher?: Crc64Hasher;
  /** Minimum milliseconds between two progress notifications (status changes are never delayed). @default 50 */
  progressInterval?: number;
  /**
   * When retries run out while the browser says it is offline (`navigator.onLine === false`), milliseconds the
   * upload waits for the network, trying again on the `online` event and every `offlineRecheckMs`, before it
   * fails with a `network` error saying the device stayed offline. The wait starts afresh whenever bytes move.
   * `0` fails at once. @default 300000 (5 minutes)
   */
  offlineWaitMs?: number;
  /** While waiting for the network, milliseconds between two attempts made without the `online` event. @default 10000 */
  offlineRecheckMs?: number;
  /** Aborting it cancels the upload, as {@link MultipartUpload.cancel} does. */
  signal?: AbortSignal;
}

/** {@link MultipartUploadOptions} checked, with every default filled in. */
export interface UploadSettings {
  readonly client: ServiceClient;
  readonly file: Blob;
  readonly key: string;
  /** Headers of PutObject / InitiateMultipartUpload, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly partSize: number;
  readonly concurrency: number;
  readonly multipartThreshold: number;
  readonly storage: ResumeStore | undefined;
  readonly resumeTtl: number;
  readonly hasher: Crc64Hasher | undefined;
  /** Whether the hasher was made here, and so is closed when the upload ends. */
  readonly ownsHasher: boolean;
  readonly progressInterval: number;
  readonly offlineWaitMs: number;
  readonly offlineRecheckMs: number;
  readonly signal: AbortSignal | undefined;
}

/** The store of uploads given none: one per page, so that its uploads know which records the others are using. */
let sharedStore: ResumeStore | undefined;

/** Header names a caller may not set: the client owns them, or they describe one request rather than the object. */
const RESERVED_HEADERS = new Set(['authorization', 'host', 'content-length', 'content-md5', 'x-cos-security-token']);

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/** Validates {@link MultipartUploadOptions}. */
const UploadOptionsSchema = z.object({
  client: withMethods<ServiceClient>(['request'], 'must be a ServiceClient'),
  file: checked<Blob>((value) => typeof Blob !== 'undefined' && value instanceof Blob, 'must be a File or a Blob'),
  key: checked<string>(
    (value) => typeof value === 'string' && value !== '' && !value.startsWith('/'),
    'must be a non-empty object key without a leading "/"',
  ).check(
    z.refine((key) => new TextEncoder().encode(key).length <= MAX_KEY_BYTES, {
      error: `must be at most ${MAX_KEY_BYTES} bytes`,
    }),
  ),
  contentType: z.optional(
    checked<string>((value) => typeof value === 'string' && value !== '', 'must be a non-empty string'),
  ),
  headers: z.optional(plainRecord('must be a record')),
  partSize: z.optional(
    wholeNumber(
      MIN_PART_SIZE,
      MAX_PART_SIZE,
      `must be a whole number of bytes from ${MIN_PART_SIZE} to ${MAX_PART_SIZE}`,
    ),
  ),
  concurrency: z.optional(wholeNumber(1, 16)),
  multipartThreshold: z.optional(
    wholeNumber(
      MIN_PART_SIZE,
      Number.MAX_SAFE_INTEGER,
      `must be a whole number of bytes, at least ${MIN_PART_SIZE}`,
    ),
  ),
  storage: z.optional(
    checked<ResumeStore | false>(
      (value) => value === false || hasMethods(value, ['get', 'set', 'delete']),
      'must be a ResumeStore (get, set, delete) or false',
    ),
  ),
  resumeTtl: z.optional(wholeNumber(0, Number.MAX_SAFE_INTEGER, 'must be milliseconds, 0 or more')),
  verify: z.optional(z.boolean()),
  hasher: z.optional(withMethods<Crc64Hasher>(['hash'], 'must be a Crc64Hasher')),
  progressInterval: z.optional(wholeNumber(0, 60_000, 'must be milliseconds from 0 to 60000')),
  offlineWaitMs: z.optional(milliseconds()),
  offlineRecheckMs: z.optional(milliseconds(10)),
  signal: z.optional(abortSignal),
});

function objectHeaders(options: MultipartUploadOptions): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const lower = name.toLowerCase();
    const path = `headers.${name}`;
    if (!HEADER_NAME.test(lower)) throw optionsError('upload', path, 'is not a header name');
    if (RESERVED_HEADERS.has(lower)) throw optionsError('upload', path, `("${lower}") is set by the upload itself`);
    if (typeof value !== 'string') throw optionsError('upload', path, 'must be a string');
    headers[lower] = value;
  }
  headers['content-type'] =
    options.contentType ?? headers['content-type'] ?? (options.file.type || 'application/octet-stream');
  return headers;
}

/**
 * Checks `options` and fills in the defaults. Throws an `invalid-options` {@link TranscoderError} naming the
 * first bad option; nothing has been sent then.
 */
export function resolveUploadOptions(options: MultipartUploadOptions): UploadSettings {
  const parsed = parseOptions(UploadOptionsSchema, options, 'upload');
  const { client, file, key, storage, hasher, signal } = parsed;
  const verify = parsed.verify ?? true;
  return {
    client,
    file,
    key,
    headers: objectHeaders(options),
    partSize: parsed.partSize ?? DEFAULT_PART_SIZE,
    concurrency: parsed.concurrency ?? DEFAULT_CONCURRENCY,
    multipartThreshold: parsed.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD,
    storage: storage === false ? undefined : (storage ?? (sharedStore ??= defaultResumeStore())),
    resumeTtl: parsed.resumeTtl ?? DEFAULT_RESUME_TTL_MS,
    hasher: verify ? (hasher ?? createCrc64Hasher()) : undefined,
    ownsHasher: verify && hasher === undefined,
    progressInterval: parsed.progressInterval ?? 50,
    offlineWaitMs: parsed.offlineWaitMs ?? DEFAULT_OFFLINE_WAIT_MS,
    offlineRecheckMs: parsed.offlineRecheckMs ?? DEFAULT_OFFLINE_RECHECK_MS,
    signal,
  };
}
