import { parseArgs } from 'node:util';
import type { FaultConfig, FaultRule } from './faults/fault-config.js';
import type { EmulatorOptions } from './options.js';

/** A command-line mistake: the CLI prints its message on one line and exits with code 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** Prefix of the environment variables the CLI reads, one per flag: `--base-domain` is `COS_EMULATOR_BASE_DOMAIN`. */
export const ENV_PREFIX = 'COS_EMULATOR_';

type FlagKind = 'string' | 'list' | 'number';

const FLAGS = {
  port: ['number', 'Port to listen on; 0 picks a free one (default 0)'],
  host: ['string', 'Address to listen on (default 127.0.0.1)'],
  'base-domain': ['string', 'Domain of the service host names (default localhost)'],
  'app-id': ['string', 'The account APPID (default 1250000000)'],
  'secret-id': ['string', 'The permanent key id'],
  'secret-key': ['string', 'The permanent key'],
  region: ['string', 'Region of buckets that name none (default ap-guangzhou)'],
  bucket: ['list', 'A bucket, name or name@region; repeatable (default examplebucket-<app-id>)'],
  'data-dir': ['string', 'Keep objects, uploads and jobs in <dir>/cos-emulator/ (default: a temporary folder)'],
  'cors-origin': ['list', 'An origin the buckets allow; repeatable (default *)'],
  'admin-token': ['string', 'Token the admin endpoint requires for changes (default: random, printed at start)'],
  'allow-host': ['list', 'A Host name accepted besides the base domain and loopback; repeatable'],
  'callback-allow': ['list', 'A host or host:port job callbacks may go to besides loopback; repeatable'],
  'headers-timeout-ms': ['number', 'Milliseconds a client may take to send headers (default 10000)'],
  'request-timeout-ms': ['number', 'Milliseconds a whole request may take; 0 for none (default 3600000)'],
  'idle-timeout-ms': ['number', 'Milliseconds a connection may stay silent (default 30000)'],
  'max-connections': ['number', 'Connections open at once (default 256)'],
  'job-workers': ['number', 'Media jobs running at once (default 2)'],
  'job-queue-ms': ['number', 'Milliseconds a job stays Submitted at least (default 500)'],
  'job-run-ms': ['number', 'Milliseconds a job stays Running (default 3000)'],
  'max-queued-jobs': ['number', 'Jobs waiting to run at once; more are refused (default 1000)'],
  media: ['string', 'auto (FFmpeg when found, else copy), ffmpeg (required) or copy (default auto)'],
  ffmpeg: ['string', 'The ffmpeg binary (default: PATH, then @ffmpeg-installer/ffmpeg)'],
  ffprobe: ['string', 'The ffprobe binary (default: next to ffmpeg, PATH, then @ffprobe-installer/ffprobe)'],
  'encode-threads': ['number', 'Threads one encode may use (default 2)'],
  'job-timeout-ms': ['number', "Milliseconds one job's encode may take (default 600000)"],
  templates: ['string', 'A JSON file of your own transcode and watermark templates'],
  'callback-attempts': ['number', 'Attempts per job callback (default 3)'],
  'max-skew-seconds': ['number', "Seconds a signature may start ahead of the server's clock (default 900)"],
  faults: ['string', 'A fault configuration, as JSON (see PUT /_emulator/faults)'],
  'clock-offset-seconds': ['number', "Seconds added to the server's clock"],
  'error-rate': ['number', 'Share (0..1) of requests answered with --error-code'],
  'error-code': ['string', 'InternalError (500, default) or SlowDown (503)'],
  'drop-before-rate': ['number', 'Share of connections closed before the request is processed'],
  'drop-after-rate': ['number', 'Share of connections closed after the request is processed'],
  'cut-reply-rate': ['number', 'Share of replies cut after their headers and half the body (request processed)'],
  'latency-ms': ['number', 'Milliseconds added to every request'],
  bandwidth: ['number', 'Bytes per second for request and response bodies'],
  'fail-jobs-rate': ['number', 'Share (0..1) of media jobs that end Failed'],
} as const satisfies Record<string, readonly [FlagKind, string]>;

type Flag = keyof typeof FLAGS;

/** The environment variable of a flag: `base-domain` → `COS_EMULATOR_BASE_DOMAIN`. */
export const envName = (flag: string): string => `${ENV_PREFIX}${flag.toUpperCase().replaceAll('-', '_')}`;

/** The `--help` text. */
export const USAGE = [
  'Usage: cos-transcoder-emulator [options]',
  '',
  'A local emulator of Tencent Cloud COS, CI media jobs and STS. Prints one line of JSON with its endpoints,',
  'then serves until SIGINT or SIGTERM. Every option may also come from an environment variable',
  `(--bucket from ${envName('bucket')}, lists comma-separated); flags win.`,
  '',
  'Options:',
  ...Object.entries(FLAGS).map(([flag, [kind, text]]) => {
    const value = kind === 'number' ? ' <n>' : ' <value>';
    return `  --${`${flag}${value}`.padEnd(28)}${text}`;
  }),
  `  --${'help'.padEnd(28)}Show this help`,
  '',
].join('\n');

/** What the command line asks for. */
export type CliRequest = { help: true } | { help: false; options: EmulatorOptions };

function toNumber(flag: string, text: string): number {
  if (!/^-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(text.trim())) {
    throw new CliUsageError(`--${flag}: expected a number, got "${text}"`);
  }
  return Number(text);
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Flag values, the command line's first, then the environment's. */
function collect(argv: readonly string[], env: NodeJS.ProcessEnv): { help: boolean; values: Map<Flag, string[]> } {
  const options = Object.fromEntries(
    Object.entries(FLAGS).map(([flag, [kind]]) => [flag, { type: 'string' as const, multiple: kind === 'list' }]),
  );
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new CliUsageError(`${(error as Error).message} (see --help)`);
  }
  const given = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const values = new Map<Flag, string[]>();
  for (const flag of Object.keys(FLAGS) as Flag[]) {
    const value = given[flag];
    const fromEnv = env[envName(flag)];
    if (typeof value === 'string') values.set(flag, [value]);
    else if (Array.isArray(value)) values.set(flag, value);
    else if (fromEnv !== undefined && fromEnv !== '') {
      values.set(flag, FLAGS[flag][0] === 'list' ? splitList(fromEnv) : [fromEnv]);
    }
  }
  return { help: given['help'] === true, values };
}

function parseFaults(text: string): FaultConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliUsageError(`--faults: not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliUsageError('--faults: expected a JSON object');
  }
  return value as FaultConfig;
}

/**
 * Turns the command line and the environment into {@link EmulatorOptions}. Values are converted here (numbers,
 * lists, `name@region` buckets, the fault shortcuts merged into `faults`); their ranges are checked by
 * `startEmulator`. Throws a {@link CliUsageError} for an unknown flag or a malformed value.
 */
export function parseCliOptions(argv: readonly string[], env: NodeJS.ProcessEnv = {}): CliRequest {
  const { help, values } = collect(argv, env);
  if (help) return { help: true };
  const text = (flag: Flag): string | undefined => values.get(flag)?.at(-1);
  const num = (flag: Flag): number | undefined => {
    const value = text(flag);
    return value === undefined ? undefined : toNumber(flag, value);
  };

  const options: EmulatorOptions = {};
  const port = num('port');
  if (port !== undefined) options.port = port;
  const strings = { host: 'host', 'base-domain': 'baseDomain', 'app-id': 'appId', 'secret-id': 'secretId' } as const;
  for (const [flag, key] of Object.entries(strings)) {
    const value = text(flag as Flag);
    if (value !== undefined) options[key] = value;
  }
  const secretKey = text('secret-key');
  if (secretKey !== undefined) options.secretKey = secretKey;
  const region = text('region');
  if (region !== undefined) options.region = region;
  const dataDir = text('data-dir');
  if (dataDir !== undefined) options.dataDir = dataDir;
  const buckets = values.get('bucket');
  if (buckets) {
    options.buckets = buckets.map((bucket) => {
      const [name = '', bucketRegion, extra] = bucket.split('@');
      if (extra !== undefined || bucketRegion === '') {
        throw new CliUsageError(`--bucket: expected name or name@region, got "${bucket}"`);
      }
      return bucketRegion === undefined ? name : { name, region: bucketRegion };
    });
  }
  const origins = values.get('cors-origin');
  if (origins) options.corsOrigins = origins;
  const adminToken = text('admin-token');
  if (adminToken !== undefined) options.adminToken = adminToken;
  const allowedHosts = values.get('allow-host');
  if (allowedHosts) options.allowedHosts = allowedHosts;
  const callbackAllow = values.get('callback-allow');
  if (callbackAllow) options.callbackAllow = callbackAllow;
  const limitFlags = {
    'headers-timeout-ms': 'headersTimeoutMs',
    'request-timeout-ms': 'requestTimeoutMs',
    'idle-timeout-ms': 'idleTimeoutMs',
    'max-connections': 'maxConnections',
  } as const;
  const limits: NonNullable<EmulatorOptions['limits']> = {};
  for (const [flag, key] of Object.entries(limitFlags)) {
    const value = num(flag as Flag);
    if (value !== undefined) limits[key] = value;
  }
  if (Object.keys(limits).length > 0) options.limits = limits;

  const jobs: NonNullable<EmulatorOptions['jobs']> = {};
  const workers = num('job-workers');
  if (workers !== undefined) jobs.workers = workers;
  const queueDelayMs = num('job-queue-ms');
  if (queueDelayMs !== undefined) jobs.queueDelayMs = queueDelayMs;
  const runMs = num('job-run-ms');
  if (runMs !== undefined) jobs.runMs = runMs;
  const maxQueued = num('max-queued-jobs');
  if (maxQueued !== undefined) jobs.maxQueued = maxQueued;
  if (Object.keys(jobs).length > 0) options.jobs = jobs;
  const media: NonNullable<EmulatorOptions['media']> = {};
  const mode = text('media');
  if (mode !== undefined) {
    if (mode !== 'auto' && mode !== 'ffmpeg' && mode !== 'copy') {
      throw new CliUsageError(`--media: expected auto, ffmpeg or copy, got "${mode}"`);
    }
    media.mode = mode;
  }
  const ffmpeg = text('ffmpeg');
  if (ffmpeg !== undefined) media.ffmpeg = ffmpeg;
  const ffprobe = text('ffprobe');
  if (ffprobe !== undefined) media.ffprobe = ffprobe;
  const threads = num('encode-threads');
  if (threads !== undefined) media.threads = threads;
  const timeoutMs = num('job-timeout-ms');
  if (timeoutMs !== undefined) media.timeoutMs = timeoutMs;
  if (Object.keys(media).length > 0) options.media = media;
  const templates = text('templates');
  if (templates !== undefined) options.templates = templates;
  const attempts = num('callback-attempts');
  if (attempts !== undefined) options.callbacks = { attempts };
  const skew = num('max-skew-seconds');
  if (skew !== undefined) options.maxClockSkewSeconds = skew;

  const faults = faultOptions(text, num);
  if (faults) options.faults = faults;
  return { help: false, options };
}

function faultOptions(
  text: (flag: Flag) => string | undefined,
  num: (flag: Flag) => number | undefined,
): FaultConfig | undefined {
  const json = text('faults');
  const faults: FaultConfig = json === undefined ? {} : parseFaults(json);
  const rule: FaultRule = {};
  const errorRate = num('error-rate');
  if (errorRate !== undefined) rule.errorRate = errorRate;
  const errorCode = text('error-code');
  if (errorCode !== undefined) {
    if (errorCode !== 'InternalError' && errorCode !== 'SlowDown') {
      throw new CliUsageError(`--error-code: expected InternalError or SlowDown, got "${errorCode}"`);
    }
    if (errorRate === undefined) throw new CliUsageError('--error-code needs --error-rate');
    rule.error = errorCode;
  }
  const dropBefore = num('drop-before-rate');
  if (dropBefore !== undefined) rule.dropBeforeRate = dropBefore;
  const dropAfter = num('drop-after-rate');
  if (dropAfter !== undefined) rule.dropAfterRate = dropAfter;
  const cutReply = num('cut-reply-rate');
  if (cutReply !== undefined) rule.cutReplyRate = cutReply;
  const latency = num('latency-ms');
  if (latency !== undefined) rule.latencyMs = latency;
  const bandwidth = num('bandwidth');
  if (bandwidth !== undefined) rule.bandwidth = bandwidth;
  if (Object.keys(rule).length > 0) faults.rules = [...(Array.isArray(faults.rules) ? faults.rules : []), rule];
  const offset = num('clock-offset-seconds');
  if (offset !== undefined) faults.clockOffsetSeconds = offset;
  const failRate = num('fail-jobs-rate');
  if (failRate !== undefined) faults.failJobs = { ...faults.failJobs, rate: failRate };
  return json === undefined && Object.keys(faults).length === 0 ? undefined : faults;
}
