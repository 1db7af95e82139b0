import { TranscoderError } from '../errors.js';
import { abortError } from '../transport/delay.js';
import { Crc64, parseCrc64 } from './crc64.js';
import { CRC64_WASM, defineWasmCrc64 } from './crc64-wasm.js';
import type { Crc64Reply, Crc64Request } from './crc64-worker.js';

/** How a {@link Crc64WorkerPool} gets its worker, and how long it waits for it. */
export interface Crc64PoolOptions {
  /** Creates the worker; `undefined` hashes on the main thread only. */
  createWorker: (() => Worker) | undefined;
  /** Milliseconds a new worker has to say it loaded before hashing falls back to the main thread. */
  readyTimeout: number;
  /** Milliseconds without a job after which the worker is terminated (a later hash starts another). */
  idleTimeout: number;
  /**
   * Milliseconds the worker may stay silent (no reply, no heartbeat) while it has jobs before it is deemed stuck:
   * it is terminated and its jobs are finished on the main thread. The next hash starts another worker; after two
   * stuck workers in a row (no hash answered in between), hashing stays on the main thread.
   */
  stallTimeout: number;
}

/** Stuck workers in a row after which hashing stays on the main thread. */
const MAX_STALLS = 2;

/** What a hash gives: the CRC, and whether a worker computed it. */
export interface PooledCrc {
  readonly crc: bigint;
  readonly inWorker: boolean;
}

/** Bytes read per step on the main thread: large enough to amortise the read, small enough to bound memory. */
const SLICE_BYTES = 1024 * 1024;

/** One `hash()` call until it settles. */
interface Job {
  readonly id: number;
  readonly blob: Blob;
  /** Set once the promise is settled (answered, failed or aborted); later results are dropped. */
  settled: boolean;
  resolve(result: PooledCrc): void;
  reject(error: unknown): void;
}

const readError = (cause: unknown): TranscoderError =>
  new TranscoderError('Could not read the file to compute its CRC-64; was it changed or removed?', {
    code: 'invalid-request',
    phase: 'upload',
    cause,
  });

const isReply = (data: unknown): data is Crc64Reply =>
  typeof data === 'object' &&
  data !== null &&
  typeof (data as { id?: unknown }).id === 'number' &&
  (typeof (data as { crc?: unknown }).crc === 'string' || typeof (data as { error?: unknown }).error === 'string');

/**
 * One CRC-64 worker and the jobs of every hasher using it: started on the first hash, terminated after
 * `idleTimeout` without work, replaced by the main thread for good once it fails (refused, never loaded, crashed).
 * Jobs run one at a time in the worker, in the order posted, whichever hasher posted them.
 */
export class Crc64WorkerPool {
  /** How to get a worker; `undefined` once hashing stays on the main thread for good. */
  #createWorker: (() => Worker) | undefined;
  #worker: Worker | undefined;
  /** Jobs posted to the current worker and not answered yet. */
  readonly #posted = new Map<number, Job>();
  /** Jobs waiting for the main thread, which hashes one at a time (as the worker does) to bound memory. */
  readonly #local: Job[] = [];
  #localRunning = false;
  /** The main thread's engine, WebAssembly when the page allows it; chosen on first use. */
  #engine: (new () => Crc64) | undefined;
  #readyTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Runs while the worker has jobs; restarted by each message of the worker. */
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  /** Workers found stuck since a worker last answered a hash. */
  #stalls = 0;
  readonly #options: Crc64PoolOptions;
  #nextId = 0;

  constructor(options: Crc64PoolOptions) {
    this.#options = options;
    this.#createWorker = options.createWorker;
  }

  /** The CRC-64 of `blob`; see `Crc64Hasher.hash`. */
  hash(blob: Blob, signal?: AbortSignal): Promise<PooledCrc> {
    if (signal?.aborted) return Promise.reject(abortError(signal, 'upload'));
    return new Promise<PooledCrc>((resolve, reject) => {
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
        resolve: (result) => {
          if (settle()) resolve(result);
        },
        reject: (error) => {
          if (settle()) reject(error);
        },
      };
      const onAbort = (): void => {
        job.reject(abortError(signal, 'upload'));
        if (this.#posted.delete(job.id)) {
          this.#post({ cancel: job.id });
          this.#idleLater();
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.#ensureWorker()) {
        clearTimeout(this.#idleTimer);
        if (this.#posted.size === 0) this.#watch();
        this.#posted.set(job.id, job);
        this.#post({ id: job.id, blob });
      } else {
        void this.#hashOnMainThread(job);
      }
    });
  }

  /** Terminates the worker now; its pending jobs are finished on the main thread, and a later hash starts another. */
  terminate(): void {
    const worker = this.#worker;
    if (!worker) return;
    clearTimeout(this.#readyTimer);
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#stallTimer);
    worker.terminate();
    this.#worker = undefined;
    this.#rescue();
  }

  #post(request: Crc64Request): void {
    this.#worker?.postMessage(request);
  }

  /**
   * (Re)starts the stall watch: unless the worker says something within `stallTimeout`, it is stuck (a Blob read
   * that never settles), and waiting on would hold the upload forever.
   */
  #watch(): void {
    clearTimeout(this.#stallTimer);
    this.#stallTimer = setTimeout(() => {
      if (this.#posted.size === 0) return;
      this.#stalls += 1;
      if (this.#stalls >= MAX_STALLS) this.#fallBack();
      else this.terminate();
    }, this.#options.stallTimeout);
  }

  /** Terminates the worker after `idleTimeout` unless a job arrives first. */
  #idleLater(): void {
    clearTimeout(this.#idleTimer);
    if (this.#posted.size > 0 || !this.#worker) return;
    clearTimeout(this.#stallTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#posted.size === 0) this.terminate();
    }, this.#options.idleTimeout);
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
      // The first message says the worker loaded, and heartbeats say it reads; `#onReply` ignores both.
      this.#onReply(event.data);
      // Any message shows the worker alive: the watch starts again while it still has jobs.
      if (this.#posted.size > 0) this.#watch();
    });
    this.#readyTimer = setTimeout(() => {
      if (worker === this.#worker) this.#fallBack();
    }, this.#options.readyTimeout);
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
    this.#idleLater();
    const crc = 'crc' in reply ? parseCrc64(reply.crc) : undefined;
    if (crc !== undefined) {
      this.#stalls = 0;
      job.resolve({ crc, inWorker: true });
    } else job.reject(readError(new Error('error' in reply ? reply.error : 'The worker answered an invalid CRC')));
  }

  /** The worker failed to load, threw, or could not pass a message: stay on the main thread from now on. */
  #fallBack(): void {
    this.#createWorker = undefined;
    this.terminate();
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
          const crc = await this.#hashHere(next);
          if (crc !== undefined) next.resolve({ crc, inWorker: false });
        } catch (error) {
          next.reject(readError(error));
        }
      }
    } finally {
      this.#localRunning = false;
    }
  }

  /** Hashes `job.blob` on this thread, one slice at a time; `undefined` once the job settled some other way. */
  async #hashHere(job: Job): Promise<bigint | undefined> {
    this.#engine ??= defineWasmCrc64(CRC64_WASM) ?? Crc64;
    const crc = new this.#engine();
    const { blob } = job;
    for (let start = 0; start < blob.size; start += SLICE_BYTES) {
      const bytes = new Uint8Array(await blob.slice(start, start + SLICE_BYTES).arrayBuffer());
      if (job.settled) return undefined;
      crc.update(bytes);
    }
    return crc.digest();
  }
}
