/**
 * Job records: what `submitJob` remembers so that a page reloaded while its job runs finds that job again instead
 * of submitting a new one. A record is written before `POST /jobs` is sent (without a job id: the page may die
 * before the answer arrives), completed with the job id, and deleted once the page has seen the job end.
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
import { crc64 } from '../upload/crc64.js';
import { JOB_ID_PATTERN } from './job-api.js';

/** What a page remembers about a job it submitted. Never credentials, never the request body. */
export interface JobRecord {
  /** Record format; a record of any other version is dropped. */
  version: 1;
  /** The request's fingerprint, from {@link jobRequestFingerprint}; also the record's id in its store. */
  fingerprint: string;
  /** Bucket name with its APPID, `examplebucket-1250000000`. */
  bucket: string;
  /** Bucket region, `ap-guangzhou`. */
  region: string;
  /** The job's `Tag`, `Transcode` or `ExtractDigitalWatermark`. */
  tag: string;
  /** The job's input object key. */
  inputObject: string;
  /**
   * When the submission's first `POST /jobs` was sent (later resends keep it), in ms since the epoch on the
   * skew-corrected clock (`client.clock`) of the page that sent it.
   */
  submittedAt: number;
  /** The job's id, once known; absent while the submission is in flight. */
  jobId?: string;
}

/**
 * Validates a {@link JobRecord} read back from storage, which may be corrupt, from another version or tampered
 * with: bucket and region as COS names them, the fingerprint 16 hex digits, the job id a job id (it goes into
 * URLs), times finite and non-negative; unknown fields are rejected, since this code never writes them.
 */
export const JobRecordSchema = z.strictObject({
  version: z.custom<1>((value) => value === 1),
  fingerprint: z.string().check(z.regex(/^[0-9a-f]{16}$/)),
  bucket: z.string().check(z.maxLength(128), z.regex(BUCKET_PATTERN)),
  region: z.string().check(z.maxLength(64), z.regex(REGION_PATTERN)),
  tag: z.string().check(z.regex(/^[A-Za-z0-9_]{1,64}$/)),
  inputObject: z.string().check(z.minLength(1), z.maxLength(1024)),
  submittedAt: z.number().check(z.gte(0), z.lte(Number.MAX_SAFE_INTEGER)),
  jobId: z.optional(z.string().check(z.regex(JOB_ID_PATTERN))),
});

/**
 * How long a job record is trusted: 24 hours. An older record is deleted and ignored (its job, if any, has long
 * ended, and the service may have forgotten it).
 */
export const DEFAULT_JOB_RECORD_TTL_MS = 24 * 3600 * 1000;

/** How far in the future a record's time may be (a page clock corrected differently): 5 minutes. */
const MAX_RECORD_LEAD_MS = 5 * 60_000;

/**
 * Whether `record` is younger than `ttl` at `now` (ms). A record from the future is not trusted either: one more
 * than 5 minutes ahead of `now` was written by a clock far off, or tampered with.
 */
export function isFreshJobRecord(record: JobRecord, now: number, ttl = DEFAULT_JOB_RECORD_TTL_MS): boolean {
  const age = now - record.submittedAt;
  return age >= -MAX_RECORD_LEAD_MS && age < ttl;
}

const JOB_RECORD_FORMAT: RecordFormat<JobRecord> = {
  schema: JobRecordSchema,
  createdAt: (record) => record.submittedAt,
};

/** Where job records live. Methods may return values or promises (a host may back it with IndexedDB). */
export interface JobRecordStore {
  /** The record stored under `id`, or `undefined` when there is none (or it was unusable). */
  get(id: string): JobRecord | undefined | Promise<JobRecord | undefined>;
  /** Stores `record` under `id`, replacing any previous one. */
  set(id: string, record: JobRecord): void | Promise<void>;
  /** Forgets the record under `id`, if any. */
  delete(id: string): void | Promise<void>;
}

/**
 * A {@link JobRecordStore} in memory: records survive `submitJob` calls but not a page reload. The fallback when
 * `localStorage` is unusable, and handy in tests. Records are copied in and out; a record that fails
 * {@link JobRecordSchema} is not stored (and replaces any previous one).
 */
export class MemoryJobRecordStore extends MemoryRecordStore<JobRecord> implements JobRecordStore {
  constructor() {
    super(JOB_RECORD_FORMAT);
  }
}

/** Options of {@link LocalStorageJobRecordStore}. */
export interface LocalStorageJobRecordStoreOptions {
  /** @default globalThis.localStorage */
  storage?: Storage;
  /** @default 'cos-transcoder:job:' */
  prefix?: string;
  /** Records kept at most; the oldest (by submittedAt) are evicted on set. @default 50 */
  maxRecords?: number;
}

/** The storage key prefix of {@link LocalStorageJobRecordStore}. */
const DEFAULT_PREFIX = 'cos-transcoder:job:';

/**
 * A {@link JobRecordStore} in `localStorage` (or any Web Storage), so that a reloaded page finds its job. One JSON
 * record per key under a prefix; it never throws (unusable storage means "no re-attach"), drops and removes
 * records that fail {@link JobRecordSchema}, and evicts the oldest records beyond `maxRecords` or when the quota
 * is exceeded — the same machinery as `LocalStorageResumeStore`.
 *
 * @example
 * ```ts
 * const submitted = await submitJob(client, request, { records: new LocalStorageJobRecordStore() });
 * ```
 */
export class LocalStorageJobRecordStore extends LocalStorageRecordStore<JobRecord> implements JobRecordStore {
  /** @param options where and how many records to keep; see {@link LocalStorageJobRecordStoreOptions}. */
  constructor(options: LocalStorageJobRecordStoreOptions = {}) {
    super(JOB_RECORD_FORMAT, {
      prefix: options.prefix ?? DEFAULT_PREFIX,
      ...(options.storage ? { storage: options.storage } : {}),
      ...(options.maxRecords === undefined ? {} : { maxRecords: options.maxRecords }),
    });
  }
}

// The fallback store, one per page: a pending record must outlive the call that wrote it, so that the next call
// looks for its job before submitting.
let memoryFallback: MemoryJobRecordStore | undefined;

/**
 * A {@link LocalStorageJobRecordStore} when `localStorage` is usable (it exists and accepts a write and a remove
 * of a probe key), else the page's one {@link MemoryJobRecordStore} (the same store at every call: records then
 * survive calls, not a reload).
 *
 * @example
 * ```ts
 * const records = defaultJobRecordStore();
 * ```
 */
export function defaultJobRecordStore(): JobRecordStore {
  const storage = usableLocalStorage(`${DEFAULT_PREFIX}probe`);
  if (storage) return new LocalStorageJobRecordStore({ storage });
  memoryFallback ??= new MemoryJobRecordStore();
  return memoryFallback;
}

/**
 * The fingerprint of a job request: 16 hex digits, the CRC-64 of the JSON array `[bucket, region, body]` in UTF-8,
 * where `body` is the `POST /jobs` body `buildJobRequest` made. Two submissions of the same request to the same
 * bucket share it; any difference in a field, a callback URL included, gives another.
 *
 * @example
 * ```ts
 * const id = jobRequestFingerprint(client.bucket, client.region, buildJobRequest(request));
 * ```
 */
export function jobRequestFingerprint(bucket: string, region: string, body: string): string {
  const canonical = JSON.stringify([bucket, region, body]);
  return crc64(new TextEncoder().encode(canonical)).toString(16).padStart(16, '0');
}
