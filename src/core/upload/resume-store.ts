/**
 * Resume records: what the upload engine remembers between page loads to continue a multipart upload (the
 * UploadId, the part size and the file's fingerprint), and where it keeps them. A record never holds credentials;
 * the engine still checks it against ListParts before trusting it.
 *
 * @module
 */

import * as z from 'zod/mini';
import {
  LocalStorageRecordStore,
  MemoryRecordStore,
  usableLocalStorage,
  type RecordFormat,
} from '../storage/local-storage-records.js';
import { BUCKET_PATTERN, REGION_PATTERN } from '../transport/endpoint.js';
import { crc64 } from './crc64.js';

/** What the engine remembers to resume a multipart upload. Never credentials. */
export interface ResumeRecord {
  /** Record format; a record of any other version is dropped. */
  version: 1;
  /** The file's fingerprint, from `fileFingerprint()`. */
  fingerprint: string;
  /** Bucket name with its APPID, `examplebucket-1250000000`. */
  bucket: string;
  /** Bucket region, `ap-guangzhou`. */
  region: string;
  /** Object key the upload writes. */
  key: string;
  /** The multipart upload's `UploadId`. */
  uploadId: string;
  /** Part size in bytes. */
  partSize: number;
  /** File size in bytes. */
  size: number;
  /** When the multipart upload was initiated, in ms since the epoch. */
  createdAt: number;
}

const MiB = 1024 * 1024;
/** COS limits: parts of 1 MiB to 5 GiB, at most 10,000 of them. */
const MIN_PART_SIZE = MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;
const MAX_PARTS = 10_000;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

const boundedText = (max: number, pattern?: RegExp) =>
  pattern
    ? z.string().check(z.minLength(1), z.maxLength(max), z.regex(pattern))
    : z.string().check(z.minLength(1), z.maxLength(max));

const wholeNumber = z.refine(Number.isInteger, { error: 'must be an integer', abort: true });

/**
 * Validates a {@link ResumeRecord} read back from storage, which may be corrupt, from another version or tampered
 * with. Every field is checked (bucket and region as COS names them, `uploadId` 1 to 256 URL-safe
 * characters, `partSize` an integer from 1 MiB to 5 GiB, `size` a non-negative safe integer, `createdAt` a finite
 * non-negative number, at most 10,000 parts) and unknown fields are rejected, since this code never writes them.
 */
export const ResumeRecordSchema = z
  .strictObject({
    version: z.custom<1>((value) => value === 1),
    fingerprint: boundedText(1024, VISIBLE_ASCII),
    bucket: boundedText(128, BUCKET_PATTERN),
    region: boundedText(64, REGION_PATTERN),
    key: boundedText(1024),
    // The characters InitiateMultipartUploadResult accepts: the id goes into URLs.
    uploadId: boundedText(256, /^[A-Za-z0-9._~-]+$/),
    partSize: z.number().check(wholeNumber, z.gte(MIN_PART_SIZE), z.lte(MAX_PART_SIZE)),
    size: z.number().check(wholeNumber, z.gte(0)),
    createdAt: z.number().check(z.gte(0)),
  })
  .check(
    z.refine((record) => Math.ceil(record.size / record.partSize) <= MAX_PARTS, {
      error: `needs at most ${MAX_PARTS} parts`,
    }),
  );

/** Default lifetime of a resume record: 7 days. The engine ignores (and deletes) older records. */
export const DEFAULT_RESUME_TTL_MS = 7 * 24 * 3600 * 1000;

const RESUME_FORMAT: RecordFormat<ResumeRecord> = {
  schema: ResumeRecordSchema,
  createdAt: (record) => record.createdAt,
};

/** Where resume records live. Methods may return values or promises (a host may back it with IndexedDB). */
export interface ResumeStore {
  /** The record stored under `id`, or `undefined` when there is none (or it was unusable). */
  get(id: string): ResumeRecord | undefined | Promise<ResumeRecord | undefined>;
  /** Stores `record` under `id`, replacing any previous one. */
  set(id: string, record: ResumeRecord): void | Promise<void>;
  /** Forgets the record under `id`, if any. */
  delete(id: string): void | Promise<void>;
  /**
   * A name shared by every store, in any tab or frame of the origin, that sees the same records (for a store in
   * `localStorage`: the storage and the prefix). Uploads of one file to one key through stores of the same scope
   * take turns (`navigator.locks`), so that they share one multipart upload; a store without a scope coordinates
   * only the uploads given that very store object.
   */
  readonly lockScope?: string;
}

/**
 * A {@link ResumeStore} in memory: records survive engine instances but not a page reload. The fallback when
 * `localStorage` is unusable, and handy in tests. Records are copied in and out, so callers cannot alter them in
 * place; a record that fails {@link ResumeRecordSchema} is not stored (and replaces any previous one).
 */
export class MemoryResumeStore extends MemoryRecordStore<ResumeRecord> implements ResumeStore {
  constructor() {
    super(RESUME_FORMAT);
  }
}

/** Options of {@link LocalStorageResumeStore}. */
export interface LocalStorageResumeStoreOptions {
  /** @default globalThis.localStorage */
  storage?: Storage;
  /** @default 'cos-transcoder:upload:' */
  prefix?: string;
  /** Records kept at most; the oldest (by createdAt) are evicted on set. @default 50 */
  maxRecords?: number;
}

/** The storage key prefix of {@link LocalStorageResumeStore}. */
const DEFAULT_PREFIX = 'cos-transcoder:upload:';

/**
 * A {@link ResumeStore} in `localStorage` (or any Web Storage), so an upload can resume after a reload. One JSON
 * record per key, under a prefix; keys without the prefix are never read or written.
 *
 * It never throws: storage that throws on access (Safari private mode, disabled cookies, a full quota) means "no
 * resume" — `get` answers `undefined`, `set` and `delete` do nothing. A record that does not parse or fails
 * {@link ResumeRecordSchema} is removed and reported as absent. When a write exceeds the quota, the older half of
 * our records is evicted and the write retried once; beyond `maxRecords`, the oldest records (by `createdAt`) are
 * evicted after each write.
 *
 * @example
 * ```ts
 * const store = new LocalStorageResumeStore({ maxRecords: 20 });
 * const id = resumeRecordId({ bucket, region, key, fingerprint: await fileFingerprint(file) });
 * const record = await store.get(id); // undefined, or a validated ResumeRecord
 * ```
 */
export class LocalStorageResumeStore extends LocalStorageRecordStore<ResumeRecord> implements ResumeStore {
  /**
   * `storage:<prefix>` for a store in the page's `localStorage`: the same in every tab, so that the tabs sharing it
   * take turns. A store over another `Storage` (`sessionStorage`, a test double) has none: only the uploads given
   * this store object take turns. See {@link ResumeStore.lockScope}.
   */
  readonly lockScope?: string;

  /** @param options where and how many records to keep; see {@link LocalStorageResumeStoreOptions}. */
  constructor(options: LocalStorageResumeStoreOptions = {}) {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    super(RESUME_FORMAT, {
      prefix,
      ...(options.storage ? { storage: options.storage } : {}),
      ...(options.maxRecords === undefined ? {} : { maxRecords: options.maxRecords }),
    });
    if (options.storage === undefined || options.storage === pageLocalStorage()) this.lockScope = `storage:${prefix}`;
  }
}

/** The page's `localStorage`, or `undefined` where reading it throws (a sandboxed frame) or there is none. */
function pageLocalStorage(): Storage | undefined {
  try {
    return (globalThis as { localStorage?: Storage }).localStorage;
  } catch {
    return undefined;
  }
}

/**
 * A {@link LocalStorageResumeStore} when `localStorage` is usable (it exists and accepts a write and a remove of a
 * probe key), else a {@link MemoryResumeStore}.
 *
 * @example
 * ```ts
 * const upload = new MultipartUpload({ ..., storage: defaultResumeStore() });
 * ```
 */
export function defaultResumeStore(): ResumeStore {
  const storage = usableLocalStorage(`${DEFAULT_PREFIX}probe`);
  return storage ? new LocalStorageResumeStore({ storage }) : new MemoryResumeStore();
}

/**
 * The store id of an upload target and file: 16 hex digits, the CRC-64 of the JSON array
 * `[bucket, region, key, fingerprint]` in UTF-8. JSON keeps the fields apart, so no choice of separators in a key
 * can make two targets share an id.
 *
 * @example
 * ```ts
 * resumeRecordId({ bucket: 'examplebucket-1250000000', region: 'ap-guangzhou', key: 'a.mp4', fingerprint });
 * ```
 */
export function resumeRecordId(target: { bucket: string; region: string; key: string; fingerprint: string }): string {
  const canonical = JSON.stringify([target.bucket, target.region, target.key, target.fingerprint]);
  return crc64(new TextEncoder().encode(canonical)).toString(16).padStart(16, '0');
}
