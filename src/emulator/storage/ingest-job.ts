/**
 * One body being stored by an `Ingestor`: the batching, hashing, writing, back-pressure and clean-up of a single
 * ingest, plus the error and option types of `Ingestor.ingest`. Internal to `ingest.ts`, which re-exports the types.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { close as fsClose, mkdir, open as fsOpen, openSync, rename, unlink, write as fsWrite } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { IHasher } from 'hash-wasm';
import type { HashStream } from './hash-worker.js';

const openFile = promisify(fsOpen);
const closeFile = promisify(fsClose);
const renameFile = promisify(rename);
const unlinkFile = promisify(unlink);
const makeDir = promisify(mkdir);

/** Writes all of `bytes` to `fd` at `position`, however many calls it takes. */
function writeAll(fd: number, bytes: Buffer, position: number, done: (error?: Error) => void): void {
  if (bytes.length === 0) return done();
  fsWrite(fd, bytes, 0, bytes.length, position, (error, written) => {
    if (error) return done(error);
    if (written <= 0) return done(new Error('The file accepted no bytes'));
    writeAll(fd, bytes.subarray(written), position + written, done);
  });
}

/**
 * Renames the finished file `from` (still open as `fd`) over `to`, then closes `fd` in the background. Each step on
 * the request's path is a trip through libuv's thread pool, queued behind the batches being written: on a busy
 * machine a trip costs milliseconds, so the file is closed after the rename, off the path, and a replaced `to` is
 * held open (probed synchronously: a lookup) and closed in the background too, so that freeing its blocks
 * (milliseconds for a large file on tmpfs and ext4) stays off the path as well. Windows renames no open file: there
 * the steps run in order.
 */
async function finish(fd: number, from: string, to: string): Promise<void> {
  if (process.platform === 'win32') {
    await closeFile(fd);
    await renameFile(from, to);
    return;
  }
  let previous: number | undefined;
  try {
    previous = openSync(to, 'r');
  } catch {
    previous = undefined;
  }
  try {
    await renameFile(from, to);
  } finally {
    fsClose(fd, () => undefined);
    if (previous !== undefined) fsClose(previous, () => undefined);
  }
}

/** Bytes per batch handed to the file and the hashers. */
export const BATCH_BYTES = 1 << 20;
/** Batches of one body written or hashed at once before the source is paused. */
const MAX_IN_FLIGHT = 4;
/** Bodies up to this size are hashed and written from the main thread, without a worker round trip. */
const INLINE_MAX = 256 << 10;

/** Why an ingest failed, named after the COS error code the emulator answers with. */
export type IngestErrorCode = 'IncompleteBody' | 'EntityTooLarge' | 'RequestAborted';

/**
 * A body that could not be stored. `code`:
 * - `IncompleteBody`: the body ended (or the client went away) before `expectedLength` bytes, or went past it;
 * - `EntityTooLarge`: the body went past `maxBytes` (detected before reading past it, or from `expectedLength`);
 * - `RequestAborted`: the signal aborted, the `Ingestor` was closed, or the source failed with no
 *   `expectedLength` to compare with.
 */
export class IngestError extends Error {
  override readonly name = 'IngestError';

  /**
   * @param code the COS error code.
   * @param message what happened.
   * @param received body bytes read before the failure.
   * @param options the underlying error, if any.
   */
  constructor(
    readonly code: IngestErrorCode,
    message: string,
    readonly received: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options of `Ingestor.ingest`. */
export interface IngestOptions {
  /** The declared `Content-Length`: fewer or more bytes fail with `IncompleteBody`. */
  expectedLength?: number;
  /** The largest body accepted: one byte more fails with `EntityTooLarge`, without reading further. */
  maxBytes?: number;
  /** Aborts the ingest (`RequestAborted`); the temporary file is removed. */
  signal?: AbortSignal;
  /** Bandwidth limiting hook, awaited for every chunk before it is written; the source is paused meanwhile. */
  throttle?: (bytes: number) => Promise<void>;
}

/** What was stored. */
export interface IngestResult {
  /** Body length in bytes. */
  size: number;
  /** Lowercase hex MD5 of the body (the ETag without its quotes). */
  md5Hex: string;
  /** CRC-64/XZ of the body as an unsigned decimal, the value of `x-cos-hash-crc64ecma`. */
  crc64: string;
}

/** A body source: an `http.IncomingMessage` or any readable stream of bytes (string chunks are taken as UTF-8). */
export type IngestSource = NodeJS.ReadableStream | Readable;

/** Resources a job borrows from its `Ingestor`. */
export interface JobHooks {
  /** A free batch buffer of {@link BATCH_BYTES}. */
  takeBatch(): SharedArrayBuffer;
  /** Returns a batch nobody reads or writes any more. */
  giveBatch(batch: SharedArrayBuffer): void;
  /** A CRC-64 hasher, freshly initialised. */
  takeCrc(): Promise<IHasher>;
  /** Returns a hasher after use. */
  giveCrc(crc: IHasher): void;
  /** Starts hashing a body on a worker thread. */
  openWorker(): HashStream;
}

/** One body being stored; `run()` once. */
export class IngestJob {
  /** Body bytes accepted so far. */
  received = 0;
  /** Settles when the job has finished, temporary file included (never rejects). */
  done: Promise<unknown> = Promise.resolve();
  private readonly tmpPath: string;
  private fd: number | undefined;
  private crc: IHasher | undefined;
  private worker: HashStream | undefined;
  private inlineMd5: string | undefined;
  private batch: SharedArrayBuffer | undefined;
  private batchView: Buffer | undefined;
  private fill = 0;
  private position = 0;
  private inFlight = 0;
  private full = false;
  private holds = 0;
  private ended = false;
  private failure: Error | undefined;
  private throttled: Promise<void> = Promise.resolve();
  private queued = 0;
  private onIdle: (() => void) | undefined;
  private sourceDone!: { resolve: () => void; reject: (error: Error) => void };
  private readonly listeners: Array<[string, Parameters<NodeJS.ReadableStream['on']>[1]]>;

  constructor(
    private readonly hooks: JobHooks,
    private readonly source: IngestSource,
    private readonly filePath: string,
    private readonly options: IngestOptions,
  ) {
    this.tmpPath = `${filePath}.partial-${randomBytes(6).toString('hex')}`;
    const broken = (cause?: unknown): void => this.fail(this.brokenBody(cause));
    this.listeners = [
      ['data', (chunk: Buffer | string) => this.onData(chunk)],
      ['end', () => this.onEnd()],
      ['error', broken],
      ['aborted', () => broken()],
      ['close', () => !this.ended && broken()],
    ];
  }

  /** Fails the job from outside (closing ingestor). */
  abort(error: Error): void {
    this.fail(error);
  }

  /** Stores the body; see `Ingestor.ingest`. Call once. */
  run(): Promise<IngestResult> {
    const result = this.execute();
    this.done = result.catch(() => undefined);
    return result;
  }

  private async execute(): Promise<IngestResult> {
    const { signal } = this.options;
    const onAbort = (): void => this.fail(new IngestError('RequestAborted', 'The upload was aborted', this.received));
    const sourceDone = new Promise<void>((resolve, reject) => (this.sourceDone = { resolve, reject }));
    sourceDone.catch(() => undefined);
    this.hold(); // no data until the file is open
    for (const [event, listener] of this.listeners) this.source.on(event, listener);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) onAbort();
      const readable = this.source as Partial<Readable>;
      if (readable.destroyed || readable.readableEnded) this.fail(this.brokenBody());
      // The folder exists but for the first file: one trip through the thread pool, not two.
      this.fd = await openFile(this.tmpPath, 'wx').catch(async (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await makeDir(dirname(this.filePath), { recursive: true });
        return openFile(this.tmpPath, 'wx');
      });
      this.crc = await this.hooks.takeCrc();
      this.check();
      this.release();
      await sourceDone;
      await this.throttled;
      if (this.batch) this.flush(true);
      const md5 = this.worker ? await this.worker.digest() : (this.inlineMd5 ?? createHash('md5').digest('hex'));
      await this.drained();
      this.check();
      const crc64 = BigInt(`0x${this.crc.digest('hex')}`).toString(10);
      const fd = this.fd;
      this.fd = undefined;
      await finish(fd, this.tmpPath, this.filePath);
      return { size: this.received, md5Hex: md5, crc64 };
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      await this.worker?.drop();
      await this.drained();
      if (this.fd !== undefined) await closeFile(this.fd).catch(() => undefined);
      await unlinkFile(this.tmpPath).catch(() => undefined);
      throw this.failure;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.detach();
      if (this.crc) this.hooks.giveCrc(this.crc);
      this.crc = undefined;
    }
  }

  /** Throws the failure recorded by an event that arrived while awaiting. */
  private check(): void {
    if (this.failure) throw this.failure;
  }

  /** The error for a source that failed or closed early. */
  private brokenBody(cause?: unknown): IngestError {
    const { expectedLength } = this.options;
    const options = cause === undefined ? undefined : { cause };
    if (expectedLength !== undefined && this.received < expectedLength) {
      const message = `The body ended after ${this.received} of ${expectedLength} bytes`;
      return new IngestError('IncompleteBody', message, this.received, options);
    }
    return new IngestError('RequestAborted', 'The client went away during the upload', this.received, options);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.detach();
    this.source.pause();
    this.sourceDone.reject(error);
  }

  private detach(): void {
    if (this.listeners.length === 0) return;
    for (const [event, listener] of this.listeners) this.source.removeListener(event, listener);
    this.listeners.length = 0;
    // A stream failing after we stopped listening must not crash the process for want of an 'error' listener.
    if (this.failure) this.source.on('error', () => undefined);
  }

  private hold(): void {
    if (this.holds++ === 0) this.source.pause();
  }

  private release(): void {
    if (--this.holds === 0 && !this.failure && !this.ended) this.source.resume();
  }

  private onData(chunk: Buffer | string): void {
    if (this.failure) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const next = this.received + bytes.length;
    const { expectedLength, maxBytes, throttle } = this.options;
    if (maxBytes !== undefined && next > maxBytes) {
      const message = `The body exceeds the maximum of ${maxBytes} bytes`;
      return this.fail(new IngestError('EntityTooLarge', message, this.received));
    }
    if (expectedLength !== undefined && next > expectedLength) {
      const message = `The body is longer than the declared ${expectedLength} bytes`;
      return this.fail(new IngestError('IncompleteBody', message, this.received));
    }
    this.received = next;
    if (!throttle) return this.append(bytes);
    if (this.queued++ === 0) this.hold();
    this.throttled = this.throttled
      .then(() => (this.failure ? undefined : throttle(bytes.length)))
      .then(() => {
        if (this.failure) return;
        this.append(bytes);
        if (--this.queued === 0) this.release();
      })
      .catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))));
  }

  private onEnd(): void {
    if (this.failure) return;
    this.ended = true;
    const { expectedLength } = this.options;
    if (expectedLength !== undefined && this.received !== expectedLength) return this.fail(this.brokenBody());
    this.sourceDone.resolve();
  }

  /** Copies `bytes` into batches, handing each full one to the file and the hashers. */
  private append(bytes: Buffer): void {
    let offset = 0;
    while (offset < bytes.length) {
      if (!this.batch || !this.batchView) {
        this.batch = this.hooks.takeBatch();
        this.batchView = Buffer.from(this.batch);
      }
      const copied = bytes.copy(this.batchView, this.fill, offset);
      this.fill += copied;
      offset += copied;
      if (this.fill === BATCH_BYTES) this.flush(false);
    }
  }

  /**
   * Hands the current batch over: CRC-64 here, MD5 on a worker thread and the write on libuv's thread pool at the
   * same time (or MD5 here for a small body, `last` telling that the body has ended). The batch is free once both
   * are done with it.
   */
  private flush(last: boolean): void {
    const batch = this.batch;
    const view = this.batchView;
    const length = this.fill;
    const fd = this.fd;
    const crc = this.crc;
    if (!batch || !view || fd === undefined || !crc) throw new Error('Nothing to flush');
    this.batch = undefined;
    this.batchView = undefined;
    this.fill = 0;
    const bytes = view.subarray(0, length);
    crc.update(bytes);
    const done = (error?: Error): void => {
      if (error) this.fail(error);
      this.hooks.giveBatch(batch);
      this.inFlight -= 1;
      if (this.full && this.inFlight < MAX_IN_FLIGHT) {
        this.full = false;
        this.release();
      }
      if (this.inFlight === 0) this.onIdle?.();
    };
    this.inFlight += 1;
    if (!this.full && this.inFlight >= MAX_IN_FLIGHT) {
      this.full = true;
      this.hold();
    }
    const position = this.position;
    this.position += length;
    if (last && !this.worker && position === 0 && length <= INLINE_MAX) {
      this.inlineMd5 = createHash('md5').update(bytes).digest('hex');
      writeAll(fd, bytes, position, done);
    } else {
      this.worker ??= this.hooks.openWorker();
      let pending = 2;
      let failure: Error | undefined;
      const both = (error?: Error): void => {
        failure ??= error;
        if (--pending === 0) done(failure);
      };
      this.worker.update(batch, length, both);
      writeAll(fd, bytes, position, both);
    }
  }

  /** Resolves once no batch is being written or hashed. */
  private drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.onIdle = () => {
        this.onIdle = undefined;
        resolve();
      };
    });
  }
}
