/**
 * The dedicated worker behind {@link createCrc64Hasher}: computes the CRC-64/XZ of Blobs posted to it, so that the
 * page's main thread (UI, progress, XHR callbacks) never runs the CRC loop.
 *
 * Protocol: the page posts {@link Crc64Request}s. A `{ id, blob }` job is answered by exactly one
 * {@link Crc64Reply} (`{ id, crc }` with the decimal CRC, or `{ id, error }`), unless a `{ cancel: id }` arrives
 * first: a cancelled job stops at its next chunk and is not answered. Jobs run one at a time, in the order received.
 *
 * @module
 */
import { Crc64, formatCrc64 } from './crc64.js';

/** Asks the worker to hash all of `blob` (a structured clone shares the bytes, it does not copy them). */
export interface Crc64Job {
  /** Chosen by the page, unique among its jobs in flight; echoed in the reply. */
  id: number;
  /** The bytes to hash, typically `file.slice(start, end)`. */
  blob: Blob;
}

/** Asks the worker to drop job `cancel` (queued or running) without answering it. */
export interface Crc64Cancel {
  /** The id of the job to drop. */
  cancel: number;
}

/** A message from the page to the worker. */
export type Crc64Request = Crc64Job | Crc64Cancel;

/** The worker's answer to a {@link Crc64Job}: the CRC as an unsigned decimal string, or why reading failed. */
export type Crc64Reply = { id: number; crc: string } | { id: number; error: string };

/** The parts of `DedicatedWorkerGlobalScope` used here (the project compiles against the DOM library). */
interface WorkerScope {
  addEventListener(type: 'message', listener: (event: MessageEvent<Crc64Request>) => void): void;
  postMessage(message: Crc64Reply | { ready: true }): void;
}

const scope = globalThis as unknown as WorkerScope;

/** Jobs waiting their turn, oldest first. */
const queue: Crc64Job[] = [];
/** The job being hashed, if any, and whether it was cancelled meanwhile. */
let current: { id: number; cancelled: boolean } | undefined;

/** The buffer a BYOB reader fills again and again: the worker's memory stays flat whatever the part size. */
const CHUNK_BYTES = 1024 * 1024;
let scratch = new ArrayBuffer(CHUNK_BYTES);
/** Whether Blob streams here support BYOB readers; unknown (true) until one refuses. */
let byobSupported = true;

/**
 * Reads `blob` through its stream into one reused 1 MiB buffer (a BYOB reader), or with the default reader where
 * Blob streams do not support BYOB; returns `undefined` as soon as the job is cancelled. The default reader hands out
 * a fresh chunk each time, which piles up as garbage faster than it is collected (about 180 MiB over a 1 GiB file).
 */
async function hashBlob(blob: Blob, job: { cancelled: boolean }): Promise<string | undefined> {
  const crc = new Crc64();
  const stream = blob.stream();
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = byobSupported ? stream.getReader({ mode: 'byob' }) : undefined;
  } catch {
    byobSupported = false;
  }
  // A read that failed or was cancelled leaves the buffer transferred away (detached, 0 bytes long).
  if (byob && scratch.byteLength === 0) scratch = new ArrayBuffer(CHUNK_BYTES);
  const reader = byob ?? stream.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      if (byob) {
        chunk = await byob.read(new Uint8Array(scratch, 0, CHUNK_BYTES));
        // The read transfers the buffer: keep the returned one for the next read.
        scratch = chunk.value ? (chunk.value.buffer as ArrayBuffer) : new ArrayBuffer(CHUNK_BYTES);
      } else {
        chunk = await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
      }
      if (job.cancelled) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      if (chunk.done) return formatCrc64(crc.digest());
      crc.update(chunk.value);
    }
  } finally {
    reader.releaseLock();
  }
}

/** Runs the queued jobs one after another: one chunk loop at a time gives the oldest part its CRC soonest. */
async function drain(): Promise<void> {
  for (let job = queue.shift(); job; job = queue.shift()) {
    const running = { id: job.id, cancelled: false };
    current = running;
    try {
      const crc = await hashBlob(job.blob, running);
      if (crc !== undefined) scope.postMessage({ id: job.id, crc });
    } catch (error) {
      if (!running.cancelled) scope.postMessage({ id: job.id, error: describe(error) });
    }
  }
  current = undefined;
}

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

scope.addEventListener('message', (event) => {
  const request = event.data;
  if ('cancel' in request) {
    if (current?.id === request.cancel) current.cancelled = true;
    const index = queue.findIndex((job) => job.id === request.cancel);
    if (index >= 0) queue.splice(index, 1);
    return;
  }
  queue.push(request);
  if (current === undefined) void drain();
});

/** Tells the page the worker loaded: until then, the page is ready to fall back to hashing on its own thread. */
scope.postMessage({ ready: true });
