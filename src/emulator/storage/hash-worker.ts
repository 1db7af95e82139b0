/**
 * MD5 off the main thread for the emulator's ingest pipeline: a small pool of `worker_threads`, fed with 1 MiB batches
 * in `SharedArrayBuffer`s (shared, never copied or transferred). For each batch a worker updates the stream's MD5; the
 * batch is written to its file meanwhile by libuv's thread pool (see `ingest-job.ts`). A worker that also wrote each
 * batch (`fs.writeSync` after the hash) served every body's batches one after the other: on a busy 2-core machine its
 * one thread, hashing and writing, was the whole pipeline's limit (bench/emulator.ts, issue 14).
 *
 * The worker is an inline script (`eval: true`) that needs only built-in modules, reached through
 * `process.getBuiltinModule` so that it runs whether Node evaluates it as CommonJS or as a module (`--input-type`). It
 * runs the same from the TypeScript sources under `tsx` and from the compiled `dist/`, with no file to locate and
 * nothing to transpile, and starts without the parent's `execArgv` (no loader hooks to load in the worker).
 *
 * @module
 */
import { Worker } from 'node:worker_threads';

/**
 * Source of the worker. Messages in: `{op: 'data', id, buf, len}` (hash `len` bytes of the shared buffer into stream
 * `id`; answered by `{op: 'ack', id, error?: {message, code}}`), `{op: 'end',
 * id}` (answered by `{op: 'digest', id, md5}`, lowercase hex) and `{op: 'drop', id}` (forget the stream, answered by
 * `{op: 'dropped', id}`). Answers keep the order of the requests.
 */
export const HASH_WORKER_SOURCE = `'use strict';
const { parentPort } = process.getBuiltinModule('node:worker_threads');
const { createHash } = process.getBuiltinModule('node:crypto');
const streams = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'data') {
    let hash = streams.get(m.id);
    if (hash === undefined) {
      hash = createHash('md5');
      streams.set(m.id, hash);
    }
    const bytes = new Uint8Array(m.buf, 0, m.len);
    let error;
    try {
      hash.update(bytes);
    } catch (e) {
      error = { message: String(e && e.message), code: e && e.code };
    }
    parentPort.postMessage({ op: 'ack', id: m.id, error });
  } else if (m.op === 'end') {
    const hash = streams.get(m.id) ?? createHash('md5');
    streams.delete(m.id);
    parentPort.postMessage({ op: 'digest', id: m.id, md5: hash.digest('hex') });
  } else if (m.op === 'drop') {
    streams.delete(m.id);
    parentPort.postMessage({ op: 'dropped', id: m.id });
  }
});
`;

/** A message from the worker, see {@link HASH_WORKER_SOURCE}. */
type WorkerAnswer =
  | { op: 'ack'; id: number; error?: { message: string; code?: string } }
  | { op: 'digest'; id: number; md5: string }
  | { op: 'dropped'; id: number };

/** The main-thread side of one stream: callbacks waiting for the worker's answers, oldest first. */
interface StreamState {
  acks: Array<(error?: Error) => void>;
  digest?: { resolve: (md5: string) => void; reject: (error: Error) => void };
  drop?: () => void;
}

/** One body being hashed by a worker of a {@link HashWorkerPool}. */
export interface HashStream {
  /**
   * Hashes the first `length` bytes of `buffer` after everything given before. `done` runs once the worker is
   * through with them; only then may `buffer` be changed. When the worker is gone, `done` runs without an error: the
   * digest will fail instead.
   */
  update(buffer: SharedArrayBuffer, length: number, done: (error?: Error) => void): void;
  /** Lowercase hex MD5 of all the bytes given; ends the stream. Rejects when the worker died or was terminated. */
  digest(): Promise<string>;
  /** Forgets the stream without a digest; resolves once every earlier `update` is done. Never rejects. */
  drop(): Promise<void>;
}

/** A worker thread and the streams it hashes. */
class HashThread {
  readonly worker: Worker;
  readonly streams = new Map<number, StreamState>();
  /** Set once the worker exited or failed: no further stream goes to it. */
  dead = false;

  constructor(onGone: (thread: HashThread) => void) {
    this.worker = new Worker(HASH_WORKER_SOURCE, { eval: true, name: 'cos-emulator-hash', execArgv: [] });
    this.worker.unref();
    this.worker.on('message', (m: WorkerAnswer) => this.answer(m));
    const gone = (error: Error): void => {
      if (this.dead) return;
      this.dead = true;
      for (const state of this.streams.values()) HashThread.release(state, error);
      this.streams.clear();
      this.worker.unref();
      onGone(this);
    };
    this.worker.on('error', (error) => gone(error));
    this.worker.on('exit', (code) => gone(new Error(`The hash worker exited (code ${code})`)));
  }

  /** Runs every callback a gone worker still owed: buffers become free, the digest fails, a drop completes. */
  private static release(state: StreamState, error: Error): void {
    for (const ack of state.acks.splice(0)) ack();
    state.digest?.reject(error);
    state.drop?.();
  }

  private answer(m: WorkerAnswer): void {
    const state = this.streams.get(m.id);
    if (!state) return;
    if (m.op === 'ack') {
      const error = m.error && Object.assign(new Error(m.error.message), { code: m.error.code });
      state.acks.shift()?.(error);
      return;
    }
    this.streams.delete(m.id);
    if (this.streams.size === 0) this.worker.unref();
    if (m.op === 'digest') state.digest?.resolve(m.md5);
    else state.drop?.();
  }

  open(id: number): HashStream {
    const state: StreamState = { acks: [] };
    if (this.streams.size === 0) this.worker.ref(); // busy: an answer is owed, keep the event loop alive
    this.streams.set(id, state);
    const ended = (): boolean => state.digest !== undefined || state.drop !== undefined;
    const gone = (): Error | undefined =>
      this.dead || !this.streams.has(id) ? new Error('The hash worker is gone') : undefined;
    return {
      update: (buffer, length, done) => {
        if (ended()) throw new Error('The stream has ended');
        if (gone()) {
          done();
          return;
        }
        state.acks.push(done);
        this.worker.postMessage({ op: 'data', id, buf: buffer, len: length });
      },
      digest: () =>
        new Promise<string>((resolve, reject) => {
          if (ended()) throw new Error('The stream has ended');
          const error = gone();
          if (error) return reject(error);
          state.digest = { resolve, reject };
          this.worker.postMessage({ op: 'end', id });
        }),
      drop: () =>
        new Promise<void>((resolve) => {
          if (ended() || gone()) return resolve();
          state.drop = resolve;
          this.worker.postMessage({ op: 'drop', id });
        }),
    };
  }
}

/**
 * A pool of hashing worker threads, started lazily (none until the first stream) and unreferenced whenever
 * idle, so an idle pool never keeps the process alive. A new stream goes to the thread with the fewest streams,
 * starting another thread while fewer than `size` run and every running one is busy.
 */
export class HashWorkerPool {
  private readonly threads: HashThread[] = [];
  private nextId = 1;
  private closed = false;

  /** @param size the most threads to run (at least 1). */
  constructor(private readonly size: number) {}

  /** Starts a new stream on the least busy thread. */
  open(): HashStream {
    if (this.closed) throw new Error('The hash worker pool is closed');
    let best: HashThread | undefined;
    for (const thread of this.threads) if (!best || thread.streams.size < best.streams.size) best = thread;
    if (!best || (best.streams.size > 0 && this.threads.length < this.size)) {
      best = new HashThread((gone) => {
        const at = this.threads.indexOf(gone);
        if (at >= 0) this.threads.splice(at, 1);
      });
      this.threads.push(best);
    }
    return best.open(this.nextId++);
  }

  /**
   * Terminates every thread and refuses new streams; pending streams fail (digests reject, drops and update callbacks
   * complete).
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.splice(0).map((thread) => thread.worker.terminate()));
  }
}
