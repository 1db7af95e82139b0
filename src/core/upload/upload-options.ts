import { TranscoderError } from '../errors.js';
import type { ServiceClient } from '../transport/service-client.js';
import { createCrc64Hasher, type Crc64Hasher } from './crc64-hasher.js';
import { DEFAULT_PART_SIZE, MAX_PART_SIZE, MIN_PART_SIZE } from './part-plan.js';
import { DEFAULT_RESUME_TTL_MS, defaultResumeStore, type ResumeStore } from './resume-store.js';

const MiB = 1024 * 1024;

/**
 * Parts sent at once when no `concurrency` is given. Measured with `npm run bench` (see the README): 2 was a little
 * slower than 4, and 6 no faster.
 */
export const DEFAULT_CONCURRENCY = 4;
/** Files this size or larger go up in parts; smaller ones in one `PUT`. */
export const DEFAULT_MULTIPART_THRESHOLD = 16 * MiB;
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
  /** Size in bytes from which the file goes up in parts. At least 1 MiB. @default 16 MiB */
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
  /** Computes the CRC-64s; share one between uploads to reuse its worker. @default a worker-backed hasher */
  hasher?: Crc64Hasher;
  /** Minimum milliseconds between two progress notifications (status changes are never delayed). @default 50 */
  progressInterval?: number;
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
  readonly signal: AbortSignal | undefined;
}

/** The store of uploads given none: one per page, so that its uploads know which records the others are using. */
let sharedStore: ResumeStore | undefined;

function invalid(message: string): TranscoderError {
  return new TranscoderError(`Invalid upload options: ${message}`, { code: 'invalid-options', phase: 'options' });
}

const isWhole = (value: unknown, min: number, max: number): value is number =>
  Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;

/** Header names a caller may not set: the client owns them, or they describe one request rather than the object. */
const RESERVED_HEADERS = new Set(['authorization', 'host', 'content-length', 'content-md5', 'x-cos-security-token']);

function objectHeaders(options: MultipartUploadOptions): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const lower = name.toLowerCase();
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(lower)) throw invalid(`"${name}" is not a header name`);
    if (RESERVED_HEADERS.has(lower)) throw invalid(`the "${lower}" header is set by the upload itself`);
    if (typeof value !== 'string') throw invalid(`the "${lower}" header must be a string`);
    headers[lower] = value;
  }
  const contentType = options.contentType ?? headers['content-type'] ?? (options.file.type || 'application/octet-stream');
  if (typeof contentType !== 'string' || contentType === '') throw invalid('contentType must be a non-empty string');
  headers['content-type'] = contentType;
  return headers;
}

/**
 * Checks `options` and fills in the defaults. Throws an `invalid-options` {@link TranscoderError} naming the
 * first bad option; nothing has been sent then.
 */
export function resolveUploadOptions(options: MultipartUploadOptions): UploadSettings {
  if (options === null || typeof options !== 'object') throw invalid('expected an object');
  const { client, file, key } = options;
  if (typeof client?.request !== 'function') throw invalid('client must be a ServiceClient');
  if (typeof Blob === 'undefined' || !(file instanceof Blob)) throw invalid('file must be a File or a Blob');
  if (typeof key !== 'string' || key === '' || key.startsWith('/')) {
    throw invalid('key must be a non-empty object key without a leading "/"');
  }
  if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) throw invalid(`key must be at most ${MAX_KEY_BYTES} bytes`);
  const partSize = options.partSize ?? DEFAULT_PART_SIZE;
  if (!isWhole(partSize, MIN_PART_SIZE, MAX_PART_SIZE)) {
    throw invalid(`partSize must be a whole number of bytes from ${MIN_PART_SIZE} to ${MAX_PART_SIZE}`);
  }
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!isWhole(concurrency, 1, 16)) throw invalid('concurrency must be a whole number from 1 to 16');
  const multipartThreshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
  if (!isWhole(multipartThreshold, MIN_PART_SIZE, Number.MAX_SAFE_INTEGER)) {
    throw invalid(`multipartThreshold must be a whole number of bytes, at least ${MIN_PART_SIZE}`);
  }
  const resumeTtl = options.resumeTtl ?? DEFAULT_RESUME_TTL_MS;
  if (!isWhole(resumeTtl, 0, Number.MAX_SAFE_INTEGER)) throw invalid('resumeTtl must be milliseconds, 0 or more');
  const progressInterval = options.progressInterval ?? 50;
  if (!isWhole(progressInterval, 0, 60_000)) throw invalid('progressInterval must be milliseconds from 0 to 60000');
  const { storage, hasher, signal } = options;
  if (storage !== undefined && storage !== false && typeof storage?.get !== 'function') {
    throw invalid('storage must be a ResumeStore (get, set, delete) or false');
  }
  if (hasher !== undefined && typeof hasher?.hash !== 'function') throw invalid('hasher must be a Crc64Hasher');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal');
  const verify = options.verify ?? true;
  return {
    client,
    file,
    key,
    headers: objectHeaders(options),
    partSize,
    concurrency,
    multipartThreshold,
    storage: storage === false ? undefined : (storage ?? (sharedStore ??= defaultResumeStore())),
    resumeTtl,
    hasher: verify ? (hasher ?? createCrc64Hasher()) : undefined,
    ownsHasher: verify && hasher === undefined,
    progressInterval,
    signal,
  };
}
