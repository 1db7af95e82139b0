import { crc64WorkerUrl } from './crc64-worker.js';
import { Crc64WorkerPool } from './crc64-worker-pool.js';

/**
 * Computes CRC-64/XZ (the `x-cos-hash-crc64ecma` checksum) of Blob byte ranges.
 *
 * Why a worker: even in WebAssembly, reading and hashing cost about 2 ms of CPU per MiB in Chromium here, so hashing
 * an 8 MiB part on the main thread would block the page for many frames and make upload progress stutter. The worker
 * reads the part from the Blob itself (a posted Blob shares its bytes, nothing is copied), once, so the main thread
 * only exchanges two small messages per part. One worker serves the whole page: every hasher made without options of
 * its own (every upload, every `<cos-transcoder>`) shares it; it starts with the first hash and ends after 30 s
 * without one.
 *
 * Why the upload still sends the Blob, not the bytes the worker read: Chromium's XHR reads a Blob body in the browser
 * process, straight from the file, at no cost to the page, while an `ArrayBuffer` body (even the same bytes) cost
 * about 25 times the CPU of the Blob for 256 MiB in 8 MiB parts (measured for issue 14). Re-wrapping the read bytes
 * in a new Blob copies them to the browser process, which saved nothing either.
 *
 * Why WebAssembly (`crc64-wasm.ts`): steady speed from the first byte, with no JIT warm-up in a new worker. Where the
 * page's CSP refuses WebAssembly (no `'wasm-unsafe-eval'`), the JavaScript CRC computes the same value.
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
   * Whether the last hash of this hasher ran in a Worker; `false` before the first, after {@link Crc64Hasher.close}
   * (until the next hash), after a fallback to the main thread, with `worker: false`, and always in Node.
   */
  readonly offMainThread: boolean;
  /**
   * Lets go of the worker. A hasher with a worker of its own (`createWorker` or a timeout given)
   * terminates it, and its pending hashes are finished on the main thread, one at a time; the page's shared worker
   * goes on serving the other hashers and ends once idle. None is lost either way (abort their signals to drop
   * them), and a later {@link Crc64Hasher.hash} works as before. Idempotent.
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
  /**
   * Milliseconds without a hash after which the worker is terminated (the next hash starts another).
   * @default 30000
   */
  idleTimeout?: number;
  /**
   * Milliseconds a worker with hashes to do may stay silent before it is deemed stuck: its hashes are finished on
   * the main thread and the next hash starts another worker (after two stuck ones in a row, hashing stays on the
   * main thread). A worker reports at least once a second while it reads, so only a read that never settles trips
   * it: Chromium has been seen to leave a Blob read in a worker pending for good, which held the upload forever.
   * @default 10000
   */
  stallTimeout?: number;
}

const DEFAULT_READY_TIMEOUT = 5000;
const DEFAULT_IDLE_TIMEOUT = 30_000;
const DEFAULT_STALL_TIMEOUT = 10_000;

/** A classic worker from the script's Blob URL: no bundler needs to know about it (see `crc64-worker.ts`). */
const startWorker = (): Worker => new Worker(crc64WorkerUrl());

/** The page's worker, shared by every hasher made without options of its own. */
let sharedPool: Crc64WorkerPool | undefined;

class PooledCrc64Hasher implements Crc64Hasher {
  readonly #pool: Crc64WorkerPool;
  /** Whether the pool is this hasher's alone, and so terminated by `close()`. */
  readonly #owned: boolean;
  #lastInWorker = false;
  #closed = false;

  constructor(pool: Crc64WorkerPool, owned: boolean) {
    this.#pool = pool;
    this.#owned = owned;
  }

  get offMainThread(): boolean {
    return !this.#closed && this.#lastInWorker;
  }

  async hash(blob: Blob, signal?: AbortSignal): Promise<bigint> {
    this.#closed = false;
    const { crc, inWorker } = await this.#pool.hash(blob, signal);
    this.#lastInWorker = inWorker;
    return crc;
  }

  close(): void {
    this.#closed = true;
    if (this.#owned) this.#pool.terminate();
  }
}

/**
 * Creates a {@link Crc64Hasher}. With `worker` left on and a platform that has `Worker`, hashes run in a worker
 * started on the first `hash()`, in the order called: the page's shared worker, unless `createWorker` or a
 * timeout asks for one of its own. Otherwise, and permanently after the worker fails,
 * hashing runs on the main thread, reading 1 MiB at a time.
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
  const { worker, createWorker, readyTimeout, idleTimeout, stallTimeout } = options;
  const canStart = typeof Worker === 'function' ? startWorker : undefined;
  const timeouts = {
    readyTimeout: readyTimeout ?? DEFAULT_READY_TIMEOUT,
    idleTimeout: idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
    stallTimeout: stallTimeout ?? DEFAULT_STALL_TIMEOUT,
  };
  const ownOptions = [createWorker, readyTimeout, idleTimeout, stallTimeout].some((option) => option !== undefined);
  if (worker !== false && !ownOptions) {
    sharedPool ??= new Crc64WorkerPool({ createWorker: canStart, ...timeouts });
    return new PooledCrc64Hasher(sharedPool, false);
  }
  const own = worker === false ? undefined : (createWorker ?? canStart);
  const pool = new Crc64WorkerPool({ createWorker: own, ...timeouts });
  return new PooledCrc64Hasher(pool, true);
}
