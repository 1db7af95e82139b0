/**
 * The emulator's upload path: streams a PUT Object or UploadPart request body to a file while computing its MD5 (the
 * ETag) and CRC-64 (`x-cos-hash-crc64ecma`), without ever holding the whole body in memory.
 *
 * Design (measured on 2 cores; see `bench/emulator-ingest.ts` and `bench/emulator.ts`): socket chunks are copied into
 * 1 MiB batches held in `SharedArrayBuffer`s. For each full batch the main thread updates the CRC-64 (hash-wasm,
 * ~1.5 GB/s), then hands the batch both to a worker thread, which updates the MD5 (node:crypto, ~0.75 GB/s), and to
 * libuv's thread pool, which writes it to the temporary file at its offset; the batch returns to a free list once
 * both are done with it. (A worker that also wrote the batches put every body's hashing and writing in one queue: on
 * a busy 2-core machine that one thread held the emulator to about half the rate of a bare server.) At most 4 batches
 * per body are in flight: beyond that the source is paused until one completes. Bodies of at most 256 KiB are hashed
 * and written from the main thread, saving the round trip to the worker. A replaced file is released after the
 * rename, off the request's path.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { createCRC64, type IHasher } from 'hash-wasm';
import { HashWorkerPool } from './hash-worker.js';
import {
  BATCH_BYTES,
  IngestError,
  IngestJob,
  type IngestOptions,
  type IngestResult,
  type IngestSource,
  type JobHooks,
} from './ingest-job.js';

export { IngestError, type IngestErrorCode, type IngestOptions, type IngestResult, type IngestSource } from './ingest-job.js';

/** Free batches (1 MiB each), and free CRC hashers, kept for reuse by an {@link Ingestor}. */
const MAX_FREE_BATCHES = 16;

function checkLength(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

/**
 * Stores request bodies atomically while hashing them, sharing MD5 worker threads, buffers and CRC hashers between
 * concurrent ingests. Threads start on first need and never keep the process alive while idle.
 *
 * @example
 * ```ts
 * const ingestor = new Ingestor();
 * const { size, md5Hex, crc64 } = await ingestor.ingest(req, '/data/bucket/key', {
 *   expectedLength: Number(req.headers['content-length']),
 * });
 * ```
 */
export class Ingestor {
  private readonly pool: HashWorkerPool;
  private readonly freeBatches: SharedArrayBuffer[] = [];
  private readonly freeCrcs: IHasher[] = [];
  private readonly active = new Set<IngestJob>();
  private closed = false;

  /** @param options `threads`: the most MD5 worker threads (default: one less than the CPUs, 1 to 4). */
  constructor(options: { threads?: number } = {}) {
    const threads = options.threads ?? Math.max(1, Math.min(4, availableParallelism() - 1));
    if (!(Number.isSafeInteger(threads) && threads >= 1)) throw new RangeError(`Invalid thread count: ${threads}`);
    this.pool = new HashWorkerPool(threads);
  }

  /**
   * Streams `source` to `filePath` (its folder is created if missing) and returns the body's size, MD5 and CRC-64.
   * Bytes go to `filePath + '.partial-<random>'`, renamed over `filePath` only on success: a failed ingest never
   * harms a previous file, and leaves no temporary file behind.
   *
   * The source is never destroyed: on failure it is paused and left to the caller (an HTTP handler answers the
   * error, typically with `Connection: close`).
   *
   * @throws {IngestError} for a short, long, oversized or aborted body; file system errors are passed through.
   */
  async ingest(source: IngestSource, filePath: string, options: IngestOptions = {}): Promise<IngestResult> {
    checkLength('expectedLength', options.expectedLength);
    checkLength('maxBytes', options.maxBytes);
    if (this.closed) throw new IngestError('RequestAborted', 'The ingestor is closed', 0);
    const { expectedLength, maxBytes } = options;
    if (expectedLength !== undefined && maxBytes !== undefined && expectedLength > maxBytes) {
      throw new IngestError('EntityTooLarge', `The body of ${expectedLength} bytes exceeds ${maxBytes}`, 0);
    }
    const job = new IngestJob(this.hooks, source, filePath, options);
    this.active.add(job);
    try {
      return await job.run();
    } finally {
      this.active.delete(job);
    }
  }

  /**
   * Fails every ingest in progress with `RequestAborted` (waiting until their temporary files are gone), terminates
   * the worker threads and rejects any later ingest. Idempotent.
   */
  async close(): Promise<void> {
    this.closed = true;
    const jobs = [...this.active];
    for (const job of jobs) job.abort(new IngestError('RequestAborted', 'The ingestor was closed', job.received));
    await this.pool.close();
    await Promise.allSettled(jobs.map((job) => job.done));
    this.freeBatches.length = 0;
    this.freeCrcs.length = 0;
  }

  /** What a job uses of its ingestor. */
  private readonly hooks: JobHooks = {
    takeBatch: () => this.freeBatches.pop() ?? new SharedArrayBuffer(BATCH_BYTES),
    giveBatch: (batch) => {
      if (this.freeBatches.length < MAX_FREE_BATCHES && !this.closed) this.freeBatches.push(batch);
    },
    takeCrc: async () => (this.freeCrcs.pop() ?? (await createCRC64())).init(),
    giveCrc: (crc) => {
      if (!this.closed && this.freeCrcs.length < MAX_FREE_BATCHES) this.freeCrcs.push(crc);
    },
    openWorker: () => this.pool.open(),
  };
}
