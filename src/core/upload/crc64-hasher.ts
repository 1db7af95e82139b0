import { TranscoderError } from '../errors.js';
import { abortError } from '../transport/delay.js';
import { Crc64, parseCrc64 } from './crc64.js';
import { crc64WorkerUrl, type Crc64Reply, type Crc64Request } from './crc64-worker.js';

/**
 * Computes CRC-64/XZ (the `x-cos-hash-crc64ecma` checksum) of Blob byte ranges.
 *
 * Why a worker: the CRC costs about 1.3 ms per MiB of JavaScript on the main thread, so hashing an 8 MiB part there
 * blocks the page for over 10 ms at a time: at a few hundred MB/s that is frames dropped and upload progress that
 * stutters. The worker reads the part from the Blob itself (a posted Blob shares its bytes, nothing is copied), so
 * the main thread only exchanges two small messages per part.
 *
 * Why a fallback: where there is no `Worker` (Node), where creating one is refused (a Content-Security-Policy
 * whose `worker-src` does not allow `blob:`) or where the worker fails to load or crashes, the same CRC is computed
 * on the main thread in 1 MiB slices, so a checksum is never missing.
 */
export interface Crc64Hasher {
  /**
   * CRC-64 of all of `blob`'s bytes (pass `file.slice(a, b)` for a part). Rejects with a {@link TranscoderError}
   * of code `aborted` as soon as `signal` aborts, and with code `invalid-request` when the bytes cannot be read
   * (the file was changed or deleted on disk since it was picked).
   */
  hash(blob: Blob, signal?: AbortSignal): Promise<bigint>;
  /**
   * Whether hashing currently runs in a Worker: `true` from the first {@link Crc64Hasher.hash} call on a platform
   * with workers until {@link Crc64Hasher.close}; `false` before, after a fallback to the main thread, with
   * `worker: false`, and always in Node.
   */
  readonly offMainThread: boolean;
  /**
   * Terminates the worker. Hashes still pending in it are finished on the main thread, one at a time (none is lost;
   * abort their signals to drop them), and a later {@link Crc64Hasher.hash} starts a new worker. Idempotent.
   */
  close(): void;
}

/** Options of {@link createCrc64Hasher}. */
export interface Crc64HasherOptions {
  /** Use a Worker when the platform has one. @default true */
  worker?: boolean;
  /**
   * Creates the worker instead of the built-in one: for tests, and for pages whose Content-Security-Policy only
   * allows workers from a URL of their own (serve `crc64WorkerSource()` there). Ignored when `worker` is `false`.
   * @default a classic worker from a `blob:` URL of the worker's script
   */
  createWorker?: () => Worker;
  /**
   * Milliseconds a new worker has to say it loaded before hashing falls back to the main thread: a script fetch
   * that stalls (a proxy, a service worker) must not leave every hash, and the upload behind it, waiting forever.
   * @default 5000
   */
  readyTimeout?: number;
}

/** Bytes read per step on the main thread: large enough to amortise the read, small enough to bound memory. */
const SLICE_BYTES = 1024 * 1024;
const DEFAULT_READY_TIMEOUT = 5000;

/** One `hash()` call until it settles. */
interface Job {
  readonly id: number;
  readonly blob: Blob;
  /** Set once the promise is settled (answered, failed or aborted); later results are dropped. */
  settled: boolean;
  resolve(crc: bigint): void;
  reject(error: unknown): void;
}

/** A classic worker from the script's Blob URL: no bundler needs to know about it (see `crc64-worker.ts`). */
const startWorker = (): Worker => new Worker(crc64WorkerUrl());

const readError = (cause: unknown): TranscoderError =>
  new TranscoderError('Could not read the file to compute its CRC-64; was it changed or removed?', {
    code: 'invalid-request',
    phase: 'upload',
    cause,
  });

/** Hashes `job.blob` on this thread, one slice at a time; `undefined` once the job settled some other way. */
async function hashOnThisThread(job: Job): Promise<bigint | undefined> {
  const crc = new Crc64();
  const { blob } = job;
  for (let start = 0; start < blob.size; start += SLICE_BYTES) {
    const bytes = new Uint8Array(await blob.slice(start, start + SLICE_BYTES).arrayBuffer());
    if (job.settled) return undefined;
    crc.update(bytes);
  }
  return crc.digest();
}

const isReply = (data: unknown): data is Crc64Reply =>
  typeof data === 'object' &&
  data !== null &&
  typeof (data as { id?: unknown }).id === 'number' &&
  (typeof (data as { crc?: unknown }).crc === 'string' || typeof (data as { error?: unknown }).error === 'string');

const isReady = (data: unknown): boolean =>
  typeof data === 'object' && data !== null && (data as { ready?: unknown }).ready === true;

class WorkerCrc64Hasher implements Crc64Hasher {
  /** How to get a worker; `undefined` once hashing stays on the main thread for good. */
  #createWorker: (() => Worker) | undefined;
  #worker: Worker | undefined;
  /** Jobs posted to the current worker and not answered yet. */
  readonly #posted = new Map<number, Job>();
  /** Jobs waiting for the main thread, which hashes one at a time (as the worker does) to bound memory. */
  readonly #local: Job[] = [];
  #localRunning = false;
  #readyTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #readyTimeout: number;
  #nextId = 0;

  constructor(options: Crc64HasherOptions) {
    this.#readyTimeout = options.readyTimeout ?? DEFAULT_READY_TIMEOUT;
    if (options.worker === false) return;
    if (options.createWorker) this.#createWorker = options.createWorker;
    else if (typeof Worker === 'function') this.#createWorker = startWorker;
  }

  get offMainThread(): boolean {
    return this.#worker !== undefined;
  }

  hash(blob: Blob, signal?: AbortSignal): Promise<bigint> {
    if (signal?.aborted) return Promise.reject(abortError(signal, 'upload'));
    return new Promise<bigint>((resolve, reject) => {
      const settle = (): boolean => {
        if (job.settled) return false;
        job.settled = true;
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const job: Job = {
        id: (this.#nextId += 1),
        blob,
        settled: false,
        resolve: (crc) => {
          if (settle()) resolve(crc);
        },
        reject: (error) => {
          if (settle()) reject(error);
        },
      };
      const onAbort = (): void => {
        job.reject(abortError(signal, 'upload'));
        if (this.#posted.delete(job.id)) this.#post({ cancel: job.id });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const worker = this.#ensureWorker();
      if (worker) {
        this.#posted.set(job.id, job);
        this.#post({ id: job.id, blob });
      } else {
        void this.#hashOnMainThread(job);
      }
    });
  }

  close(): void {
    const worker = this.#worker;
    if (!worker) return;
    clearTimeout(this.#readyTimer);
    worker.terminate();
    this.#worker = undefined;
    this.#rescue();
  }

  #post(request: Crc64Request): void {
    this.#worker?.postMessage(request);
  }

  #ensureWorker(): Worker | undefined {
    if (this.#worker || !this.#createWorker) return this.#worker;
    let worker: Worker;
    try {
      worker = this.#createWorker();
    } catch {
      this.#createWorker = undefined;
      return undefined;
    }
    worker.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (worker !== this.#worker) return;
      clearTimeout(this.#readyTimer);
      if (!isReady(event.data)) this.#onReply(event.data);
    });
    this.#readyTimer = setTimeout(() => {
      if (worker === this.#worker) this.#fallBack();
    }, this.#readyTimeout);
    const onFailure = (event: Event): void => {
      // Handled here by falling back, so the browser need not report it as uncaught.
      event.preventDefault();
      if (worker === this.#worker) this.#fallBack();
    };
    worker.addEventListener('error', onFailure);
    worker.addEventListener('messageerror', onFailure);
    this.#worker = worker;
    return worker;
  }

  #onReply(reply: unknown): void {
    if (!isReply(reply)) return;
    const job = this.#posted.get(reply.id);
    if (!job) return;
    this.#posted.delete(reply.id);
    const crc = 'crc' in reply ? parseCrc64(reply.crc) : undefined;
    if (crc !== undefined) job.resolve(crc);
    else job.reject(readError(new Error('error' in reply ? reply.error : 'The worker answered an invalid CRC')));
  }

  /** The worker failed to load, threw, or could not pass a message: stay on the main thread from now on. */
  #fallBack(): void {
    clearTimeout(this.#readyTimer);
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#createWorker = undefined;
    this.#rescue();
  }

  /** Finishes on the main thread the jobs a worker that is gone had not answered, oldest first. */
  #rescue(): void {
    const jobs = [...this.#posted.values()];
    this.#posted.clear();
    for (const job of jobs) void this.#hashOnMainThread(job);
  }

  async #hashOnMainThread(job: Job): Promise<void> {
    this.#local.push(job);
    if (this.#localRunning) return;
    this.#localRunning = true;
    try {
      for (let next = this.#local.shift(); next; next = this.#local.shift()) {
        if (next.settled) continue;
        try {
          const crc = await hashOnThisThread(next);
          if (crc !== undefined) next.resolve(crc);
        } catch (error) {
          next.reject(readError(error));
        }
      }
    } finally {
      this.#localRunning = false;
    }
  }
}

/**
 * Creates a {@link Crc64Hasher}. With `worker` left on and a platform that has `Worker`, one dedicated worker
 * is started on the first `hash()` and serves every later call, in the order called; otherwise, and permanently
 * after the worker fails, hashing runs on the main thread, reading 1 MiB at a time.
 *
 * @example
 * ```ts
 * const hasher = createCrc64Hasher();
 * const crc = await hasher.hash(file.slice(0, 8 * 1024 * 1024), controller.signal);
 * formatCrc64(crc); // compare with the part's x-cos-hash-crc64ecma header
 * hasher.close();
 * ```
 */
export function createCrc64Hasher(options: Crc64HasherOptions = {}): Crc64Hasher {
  return new WorkerCrc64Hasher(options);
}
