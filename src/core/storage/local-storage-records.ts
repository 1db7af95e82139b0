/**
 * Small persisted records (resume records, job records) in memory or in Web Storage: validated on the way in and
 * on the way out, copied so that callers cannot alter them in place, bounded in number, and never throwing on
 * storage that refuses to work. The stores of `upload/` and `jobs/` are this machinery with their own schema.
 *
 * @module
 */

import * as z from 'zod/mini';

/**
 * What the record stores need to know about one kind of record: its strict object schema (its shape names exactly
 * the fields that are stored; anything else a caller attached is dropped) and the time used to evict the oldest.
 */
export interface RecordFormat<R extends object> {
  /** A strict object schema: records read back with unknown fields are rejected, since this code never writes them. */
  readonly schema: z.core.$ZodType<R> & { readonly shape: Readonly<Record<string, unknown>> };
  /** When a record was created, in ms since the epoch: the oldest are evicted first. */
  createdAt(record: R): number;
}

/** The result of a schema check, without zod's error object (whose message could quote the value). */
function check<R extends object>(format: RecordFormat<R>, value: unknown): R | undefined {
  const result = z.safeParse(format.schema, value);
  return result.success ? result.data : undefined;
}

/**
 * A copy of `record` holding exactly the fields of the format's schema (own properties only; anything else, such
 * as credentials, is dropped), or `undefined` when the copy is not a valid record.
 */
export function copyRecord<R extends object>(format: RecordFormat<R>, record: R): R | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const copy: Record<string, unknown> = {};
  for (const field of Object.keys(format.schema.shape)) {
    if (!Object.hasOwn(record, field)) continue;
    const value = (record as Record<string, unknown>)[field];
    if (value !== undefined) copy[field] = value;
  }
  return check(format, copy);
}

/**
 * Records in memory: they survive store users but not a page reload. Records are copied in and out; a record that
 * fails the schema is not stored (and replaces any previous one).
 */
export class MemoryRecordStore<R extends object> {
  private readonly records = new Map<string, R>();
  private readonly format: RecordFormat<R>;

  /** @param format the schema and age of the records kept. */
  constructor(format: RecordFormat<R>) {
    this.format = format;
  }

  /** The record under `id`, as a fresh copy. */
  get(id: string): R | undefined {
    const record = this.records.get(id);
    return record ? { ...record } : undefined;
  }

  /** Stores a copy of `record`'s own fields under `id`. */
  set(id: string, record: R): void {
    const stored = copyRecord(this.format, record);
    if (stored) this.records.set(id, stored);
    else this.records.delete(id);
  }

  /** Forgets the record under `id`. */
  delete(id: string): void {
    this.records.delete(id);
  }
}

/** Options of {@link LocalStorageRecordStore}. */
export interface LocalStorageRecordOptions {
  /** @default globalThis.localStorage */
  storage?: Storage;
  /** Prefix of every storage key the store reads or writes; keys without it are never touched. */
  prefix: string;
  /** Records kept at most; the oldest (by creation time) are evicted on set. @default 50 */
  maxRecords?: number;
}

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
 * Records in `localStorage` (or any Web Storage), so that they survive a reload. One JSON record per key, under a
 * prefix; keys without the prefix are never read or written.
 *
 * It never throws: storage that throws on access (Safari private mode, disabled cookies, a full quota) means "no
 * record" — `get` answers `undefined`, `set` and `delete` do nothing. A record that does not parse or fails the
 * schema is removed and reported as absent. When a write exceeds the quota, the older half of our records is
 * evicted and the write retried once; beyond `maxRecords`, the oldest records are evicted after each write.
 */
export class LocalStorageRecordStore<R extends object> {
  private readonly format: RecordFormat<R>;
  private readonly storage: Storage | undefined;
  private readonly prefix: string;
  private readonly maxRecords: number;

  /**
   * @param format the schema and age of the records kept.
   * @param options where and how many records to keep; see {@link LocalStorageRecordOptions}.
   */
  constructor(format: RecordFormat<R>, options: LocalStorageRecordOptions) {
    this.format = format;
    this.storage = options.storage ?? globalStorage();
    this.prefix = options.prefix;
    const max = options.maxRecords ?? DEFAULT_MAX_RECORDS;
    this.maxRecords = Number.isFinite(max) ? Math.max(1, Math.floor(max)) : DEFAULT_MAX_RECORDS;
  }

  /** The validated record under `id`, or `undefined` (absent, invalid — then removed — or storage unusable). */
  get(id: string): R | undefined {
    const key = this.prefix + id;
    const record = this.read(key);
    if (record === null) this.remove(key);
    return record ?? undefined;
  }

  /** Stores exactly the record fields of `record` under `id`; an invalid record only removes the previous one. */
  set(id: string, record: R): void {
    const key = this.prefix + id;
    const stored = copyRecord(this.format, record);
    if (!stored) {
      this.remove(key);
      return;
    }
    if (!this.write(key, JSON.stringify(stored))) {
      // A failed write may leave the previous record, which describes other work: better none than a stale one.
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
  private read(key: string): R | undefined | null {
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
    return check(this.format, value) ?? null;
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

  /** Our entries other than `except`, with their creation time (`-Infinity` for unreadable ones). */
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
    return keys.map((key) => {
      const record = this.read(key);
      return { key, createdAt: record ? this.format.createdAt(record) : -Infinity };
    });
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
export function globalStorage(): Storage | undefined {
  try {
    const storage = (globalThis as { localStorage?: Storage }).localStorage;
    return storage ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * `globalThis.localStorage` when it is usable: it exists and accepts a write and a remove of `probeKey` (nothing
 * is left behind); `undefined` otherwise (missing, blocked, full), in which case callers keep records in memory.
 */
export function usableLocalStorage(probeKey: string): Storage | undefined {
  const storage = globalStorage();
  if (!storage) return undefined;
  try {
    storage.setItem(probeKey, '1');
    storage.removeItem(probeKey);
  } catch {
    return undefined;
  }
  return storage;
}
