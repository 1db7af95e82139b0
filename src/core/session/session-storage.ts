/**
 * Where sessions keep what lets a reloaded page pick up their work: the upload engine's resume records and
 * `submitJob`'s job records, both in one Web Storage, so that {@link listSessions} can list what is in flight.
 *
 * @module
 */

import {
  DEFAULT_JOB_RECORD_TTL_MS,
  LocalStorageJobRecordStore,
  isFreshJobRecord,
} from '../jobs/job-records.js';
import { usableLocalStorage } from '../storage/local-storage-records.js';
import { DEFAULT_RESUME_TTL_MS, LocalStorageResumeStore } from '../upload/resume-store.js';

/** The storage key prefix of resume records: the engine's default, so that sessions and bare uploads share them. */
const UPLOAD_PREFIX = 'cos-transcoder:upload:';
/** The storage key prefix of job records: `submitJob`'s default. */
const JOB_PREFIX = 'cos-transcoder:job:';

/** The two record stores of a session. */
export interface SessionStores {
  readonly uploads: LocalStorageResumeStore;
  readonly jobs: LocalStorageJobRecordStore;
}

/**
 * Web Storage in memory, in insertion order: where records go when `localStorage` is unusable (Node, a blocked
 * storage). Records then survive sessions of the page, not a reload.
 */
export class MemoryStorage implements Storage {
  [name: string]: unknown;
  readonly #items = new Map<string, string>();

  get length(): number {
    return this.#items.size;
  }

  key(index: number): string | null {
    return [...this.#items.keys()][index] ?? null;
  }

  getItem(key: string): string | null {
    return this.#items.get(String(key)) ?? null;
  }

  setItem(key: string, value: string): void {
    this.#items.set(String(key), String(value));
  }

  removeItem(key: string): void {
    this.#items.delete(String(key));
  }

  clear(): void {
    this.#items.clear();
  }
}

let pageMemory: MemoryStorage | undefined;

/** `localStorage` when usable, else the page's one {@link MemoryStorage}. */
export function defaultSessionStorage(): Storage {
  return usableLocalStorage(`${UPLOAD_PREFIX}probe`) ?? (pageMemory ??= new MemoryStorage());
}

/**
 * One pair of stores per Web Storage: the upload engine knows which resume records a running upload of the page
 * holds by the store object, so that two sessions of the same file and key never share an UploadId.
 */
const storesByStorage = new WeakMap<Storage, SessionStores>();

/** The record stores over `storage`, the same objects at every call. */
export function sessionStores(storage: Storage): SessionStores {
  let stores = storesByStorage.get(storage);
  if (!stores) {
    stores = {
      uploads: new LocalStorageResumeStore({ storage, prefix: UPLOAD_PREFIX }),
      jobs: new LocalStorageJobRecordStore({ storage, prefix: JOB_PREFIX }),
    };
    storesByStorage.set(storage, stores);
  }
  return stores;
}

/** A half-done multipart upload, from its resume record. */
export interface UploadRecordInfo {
  kind: 'upload';
  bucket: string;
  region: string;
  /** The object key the upload writes. */
  key: string;
  /** The file's size in bytes. */
  size: number;
  /** When the multipart upload was initiated, in ms since the epoch. */
  createdAt: number;
}

/** A job submitted and not seen to end, from its job record. */
export interface JobRecordInfo {
  kind: 'job';
  bucket: string;
  region: string;
  /** The job's input object key. */
  key: string;
  /** `Transcode` or `ExtractDigitalWatermark`. */
  tag: string;
  /** The job's id; absent while the submission's answer is unknown (the job may or may not exist). */
  jobId?: string;
  /** When it was submitted, in ms since the epoch. */
  createdAt: number;
}

/** One piece of work in flight, as {@link listSessions} reports it. Never credentials. */
export type SessionRecordInfo = UploadRecordInfo | JobRecordInfo;

/** Options of {@link listSessions}. */
export interface ListSessionsOptions {
  /** The Web Storage the sessions were given. @default localStorage when usable, else the page's memory */
  storage?: Storage;
  /** The time to judge records' ages by, in ms since the epoch. @default Date.now() */
  now?: number;
}

/** The ids of the records under `prefix` in `storage` (nothing when storage refuses to be read). */
function recordIds(storage: Storage, prefix: string): string[] {
  const ids: string[] = [];
  try {
    for (let i = 0; i < storage.length; i += 1) {
      const name = storage.key(i);
      if (name !== null && name.startsWith(prefix) && !name.endsWith(':probe')) ids.push(name.slice(prefix.length));
    }
  } catch {
    return [];
  }
  return ids;
}

/**
 * What sessions of this page (or of earlier loads of it) left in flight: half-done uploads and jobs not seen to
 * end, from the records, oldest first. Records that fail validation or have expired (7 days for uploads, 24 hours
 * for jobs) are left out. A page shows these and, to pick one up, creates a session with the same `key` and `job`
 * (and the same file, for an upload).
 *
 * @example
 * ```ts
 * for (const item of listSessions()) showInFlight(item.kind, item.key, item.createdAt);
 * ```
 */
export function listSessions(options: ListSessionsOptions = {}): SessionRecordInfo[] {
  const storage = options.storage ?? defaultSessionStorage();
  const now = options.now ?? Date.now();
  const stores = sessionStores(storage);
  const found: SessionRecordInfo[] = [];
  for (const id of recordIds(storage, UPLOAD_PREFIX)) {
    const record = stores.uploads.get(id);
    if (!record || now - record.createdAt >= DEFAULT_RESUME_TTL_MS) continue;
    const { bucket, region, key, size, createdAt } = record;
    found.push({ kind: 'upload', bucket, region, key, size, createdAt });
  }
  for (const id of recordIds(storage, JOB_PREFIX)) {
    const record = stores.jobs.get(id);
    if (!record || !isFreshJobRecord(record, now, DEFAULT_JOB_RECORD_TTL_MS)) continue;
    const { bucket, region, inputObject: key, tag, jobId, submittedAt: createdAt } = record;
    found.push({ kind: 'job', bucket, region, key, tag, createdAt, ...(jobId === undefined ? {} : { jobId }) });
  }
  return found.sort((a, b) => a.createdAt - b.createdAt);
}
