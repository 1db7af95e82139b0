/**
 * Resume records: what the upload engine remembers between page loads to continue a multipart upload (the
 * UploadId, the part size and the file's fingerprint), and where it keeps them. A record never holds credentials;
 * the engine still checks it against ListParts before trusting it.
 *
 * @module
 */

import * as z from 'zod/mini';
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

/**
 * Validates a {@link ResumeRecord} read back from storage, which may be corrupt, from another version or tampered
 * with. Every field is checked (bucket and region as COS names them, `uploadId` 1 to 256 URL-safe
 * characters, `partSize` an integer from 1 MiB to 5 GiB, `size` a non-negative safe integer, `createdAt` a finite
 * non-negative number, at most 10,000 parts) and unknown fields are rejected, since this code never writes them.
 */
export const ResumeRecordSchema = z
  .strictObject({
    version: z.literal(1),
    fingerprint: boundedText(1024, VISIBLE_ASCII),
    bucket: boundedText(128, BUCKET_PATTERN),
    region: boundedText(64, REGION_PATTERN),
    key: boundedText(1024),
    // The characters InitiateMultipartUploadResult accepts: the id goes into URLs.
    uploadId: boundedText(256, /^[A-Za-z0-9._~-]+$/),
    partSize: z.int().check(z.gte(MIN_PART_SIZE), z.lte(MAX_PART_SIZE)),
    size: z.int().check(z.gte(0)),
    createdAt: z.number().check(z.gte(0)),
  })
  .check(
    z.refine((record) => Math.ceil(record.size / record.partSize) <= MAX_PARTS, {
      error: `needs at most ${MAX_PARTS} parts`,
    }),
  );

/** Default lifetime of a resume record: 7 days. The engine ignores (and deletes) older records. */
export const DEFAULT_RESUME_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * A copy of `record` holding exactly the {@link ResumeRecord} fields (anything else a caller attached, such as
 * credentials, is dropped), or `undefined` when the copy is not a valid record.
 */
function toStoredRecord(record: ResumeRecord): ResumeRecord | undefined {
  const { version, fingerprint, bucket, region, key, uploadId, partSize, size, createdAt } = record;
  const copy = { version, fingerprint, bucket, region, key, uploadId, partSize, size, createdAt };
  const result = ResumeRecordSchema.safeParse(copy);
  return result.success ? result.data : undefined;
}

/** Where resume records live. Methods may return values or promises (a host may back it with IndexedDB). */
export interface ResumeStore {
  /** The record stored under `id`, or `undefined` when there is none (or it was unusable). */
  get(id: string): ResumeRecord | undefined | Promise<ResumeRecord | undefined>;
  /** Stores `record` under `id`, replacing any previous one. */
  set(id: string, record: ResumeRecord): void | Promise<void>;
  /** Forgets the record under `id`, if any. */
  delete(id: string): void | Promise<void>;
}

/**
 * A {@link ResumeStore} in memory: records survive engine instances but not a page reload. The fallback when
 * `localStorage` is unusable, and handy in tests. Records are copied in and out, so callers cannot alter them in
 * place; a record that fails {@link ResumeRecordSchema} is not stored (and replaces any previous one).
 */
export class MemoryResumeStore implements ResumeStore {
  private readonly records = new Map<string, ResumeRecord>();

  /** The record under `id`, as a fresh copy. */
  get(id: string): ResumeRecord | undefined {
    const record = this.records.get(id);
    return record ? { ...record } : undefined;
  }

  /** Stores a copy of `record`'s own fields under `id`. */
  set(id: string, record: ResumeRecord): void {
    const stored = toStoredRecord(record);
    if (stored) this.records.set(id, stored);
    else this.records.delete(id);
  }

  /** Forgets the record under `id`. */
  delete(id: string): void {
    this.records.delete(id);
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
const DEFAULT_MAX_RECORDS = 50;

/** Whether `error` is a storage quota error (Chromium and Safari name it, Firefox used its own name and code). */
function isQuotaError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22 || code === 1014;
}

/** One of our entries while looking for what to evict; unreadable entries sort first, as the oldest. */
interface Entry {
  readonly key: string;
  readonly createdAt: number;
}

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
export class LocalStorageResumeStore implements ResumeStore {
  private readonly storage: Storage | undefined;
  private readonly prefix: string;
  private readonly maxRecords: number;

  /** @param options where and how many records to keep; see {@link LocalStorageResumeStoreOptions}. */
  constructor(options: LocalStorageResumeStoreOptions = {}) {
    this.storage = options.storage ?? globalStorage();
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    const max = options.maxRecords ?? DEFAULT_MAX_RECORDS;
    this.maxRecords = Number.isFinite(max) ? Math.max(1, Math.floor(max)) : DEFAULT_MAX_RECORDS;
  }

  /** The validated record under `id`, or `undefined` (absent, invalid — then removed — or storage unusable). */
  get(id: string): ResumeRecord | undefined {
    const key = this.prefix + id;
    const record = this.read(key);
    if (record === null) this.remove(key);
    return record ?? undefined;
  }

  /** Stores exactly the record fields of `record` under `id`; an invalid record only removes the previous one. */
  set(id: string, record: ResumeRecord): void {
    const key = this.prefix + id;
    const stored = toStoredRecord(record);
    if (!stored) {
      this.remove(key);
      return;
    }
    const text = JSON.stringify(stored);
    if (!this.write(key, text)) {
      // A failed write may leave the previous record, which names another upload: better no resume than a stale one.
      this.remove(key);
      return;
    }
    const others = this.ourEntries(key);
    this.evict(others, others.length - (this.maxRecords - 1));
  }

  /** Forgets the record under `id`. */
  delete(id: string): void {
    this.remove(this.prefix + id);
  }

  /** The record under `key`: `undefined` when absent or unreadable, `null` when present but invalid. */
  private read(key: string): ResumeRecord | undefined | null {
    let text: string | null;
    try {
      text = this.storage ? this.storage.getItem(key) : null;
    } catch {
      return undefined;
    }
    if (text === null) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return null;
    }
    const result = ResumeRecordSchema.safeParse(value);
    return result.success ? result.data : null;
  }

  /** Writes `text` under `key`, evicting our older records and retrying once on a quota error; whether it stuck. */
  private write(key: string, text: string): boolean {
    const storage = this.storage;
    if (!storage) return false;
    try {
      storage.setItem(key, text);
      return true;
    } catch (error) {
      if (!isQuotaError(error)) return false;
    }
    const others = this.ourEntries(key);
    if (this.evict(others, Math.ceil(others.length / 2)) === 0) return false;
    try {
      storage.setItem(key, text);
      return true;
    } catch {
      return false;
    }
  }

  /** Removes up to `count` of `entries`, oldest first; how many were removed. */
  private evict(entries: readonly Entry[], count: number): number {
    if (count <= 0) return 0;
    const byAge = [...entries].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    const victims = byAge.slice(0, count);
    return victims.filter((entry) => this.remove(entry.key)).length;
  }

  /** Our entries other than `except`, with their `createdAt` (`-Infinity` for unreadable ones). */
  private ourEntries(except: string): Entry[] {
    const storage = this.storage;
    if (!storage) return [];
    const keys: string[] = [];
    try {
      // Collect first: removing while walking `key(i)` would shift the indexes.
      for (let i = 0; i < storage.length; i += 1) {
        const key = storage.key(i);
        if (key !== null && key !== except && key.startsWith(this.prefix)) keys.push(key);
      }
    } catch {
      return [];
    }
    return keys.map((key) => ({ key, createdAt: this.read(key)?.createdAt ?? -Infinity }));
  }

  /** Removes `key`; whether storage accepted the call. */
  private remove(key: string): boolean {
    try {
      this.storage?.removeItem(key);
      return this.storage !== undefined;
    } catch {
      return false;
    }
  }
}

/** `globalThis.localStorage`, or `undefined` where it is missing or reading it throws (a `SecurityError`). */
function globalStorage(): Storage | undefined {
  try {
    const storage = (globalThis as { localStorage?: Storage }).localStorage;
    return storage ?? undefined;
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
  const storage = globalStorage();
  if (!storage) return new MemoryResumeStore();
  const probe = `${DEFAULT_PREFIX}probe`;
  try {
    storage.setItem(probe, '1');
    storage.removeItem(probe);
  } catch {
    return new MemoryResumeStore();
  }
  return new LocalStorageResumeStore({ storage });
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
