import type { JobRecord, JobRecordStore } from './job-records.js';

/** The fields of a {@link JobRecord} that name the request (all but the time and the job id). */
export type RecordIdentity = Omit<JobRecord, 'version' | 'submittedAt' | 'jobId'>;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/**
 * Runs a store call, turning a throw or a rejection into `undefined`: the record is a convenience, never a cause
 * of failure. A store that answers with a promise (or any thenable) gets a native promise back.
 */
function attempt<T>(call: () => T | PromiseLike<T>): T | undefined | Promise<T | undefined> {
  try {
    const result = call();
    return isThenable(result) ? Promise.resolve(result).catch(() => undefined) : result;
  } catch {
    return undefined;
  }
}

/**
 * The persisted record of one `submitJob` call, over any {@link JobRecordStore} (or none): every store call is
 * made safe, a record read back is used only if it names the same request, and the pending record this call wrote
 * is known, so that an abort before any `POST` left removes it and nothing else.
 */
export class SubmissionRecord {
  readonly #store: JobRecordStore | undefined;
  readonly #identity: RecordIdentity;
  #pending = false;

  /** @param store where records live; `undefined` keeps none. */
  constructor(store: JobRecordStore | undefined, identity: RecordIdentity) {
    this.#store = store;
    this.#identity = identity;
  }

  /** The stored record of this request, or `undefined` (none, unreadable, or naming another request). */
  async read(): Promise<JobRecord | undefined> {
    const store = this.#store;
    if (!store) return undefined;
    const record = await attempt(() => store.get(this.#identity.fingerprint));
    if (!record) return undefined;
    const identity = this.#identity;
    const same =
      record.fingerprint === identity.fingerprint &&
      record.bucket === identity.bucket &&
      record.region === identity.region &&
      record.tag === identity.tag &&
      record.inputObject === identity.inputObject;
    return same ? record : undefined;
  }

  /** Writes the record: pending (no `jobId`) before a submission is sent, complete once the job is known. */
  async write(submittedAt: number, jobId?: string): Promise<void> {
    const store = this.#store;
    if (!store) return;
    const record: JobRecord = { version: 1, ...this.#identity, submittedAt, ...(jobId ? { jobId } : {}) };
    await attempt(() => store.set(this.#identity.fingerprint, record));
    this.#pending = jobId === undefined;
  }

  /** Deletes the record of this request. */
  async forget(): Promise<void> {
    const store = this.#store;
    this.#pending = false;
    if (store) await attempt(() => store.delete(this.#identity.fingerprint));
  }

  /**
   * Deletes the record if it is the pending one this call wrote: for a submission aborted before any `POST /jobs`
   * left (after that, the pending record must stay: the job may exist).
   */
  async forgetPending(): Promise<void> {
    if (this.#pending) await this.forget();
  }

  /**
   * The `release()` of a {@link SubmittedJob}: deletes the record if it still names `jobId` (a later submission
   * of the same request may have replaced it). Idempotent; synchronous over a synchronous store.
   */
  releaser(jobId: string): () => void {
    let released = false;
    return () => {
      const store = this.#store;
      if (released || !store) return;
      released = true;
      const id = this.#identity.fingerprint;
      const drop = (record: JobRecord | undefined) => {
        if (record?.jobId === jobId) void attempt(() => store.delete(id));
      };
      const current = attempt(() => store.get(id));
      if (current instanceof Promise) void current.then(drop);
      else drop(current);
    };
  }
}
