/**
 * The dedicated worker behind {@link createCrc64Hasher}: computes the CRC-64/XZ of Blobs posted to it, so that the
 * page's main thread (UI, progress, XHR callbacks) never runs the CRC loop.
 *
 * The worker's script is not a file: it is the text of self-contained functions ({@link crc64WorkerMain},
 * `defineCrc64`, `defineWasmCrc64`) and the WebAssembly module's base64, served from a Blob URL
 * ({@link crc64WorkerUrl}). So it loads the same from Vite, esbuild, webpack, Rollup or a plain ESM build on a CDN,
 * none of which has to find, rewrite or emit a worker file. A page whose Content-Security-Policy refuses `blob:`
 * workers gets the main-thread fallback of the hasher; one that refuses WebAssembly gets the JavaScript CRC in the
 * worker.
 *
 * Protocol: the worker first posts {@link Crc64Ready}; then the page posts {@link Crc64Request}s. A `{ id, blob }`
 * job is answered by exactly one {@link Crc64Reply} (`{ id, crc }` with the decimal CRC, or `{ id, error }`), unless
 * a `{ cancel: id }` arrives first: a cancelled job stops at its next read and is not answered. Jobs run one at a
 * time, in the order received. While a job runs, the worker posts a {@link Crc64Heartbeat} at most once per
 * {@link CRC64_HEARTBEAT_MS} of reading, so that the page can tell a long job from a read that never returns.
 *
 * @module
 */
import { defineCrc64, type Crc64 } from './crc64.js';
import { CRC64_WASM, defineWasmCrc64 } from './crc64-wasm.js';

/** Asks the worker to hash all of `blob` (a structured clone shares the bytes, it does not copy them). */
export interface Crc64Job {
  /** Chosen by the page, unique among its jobs in flight; echoed in the reply. */
  id: number;
  /** The bytes to hash, typically `file.slice(start, end)`. */
  blob: Blob;
}

/** What the worker reads a Blob's stream with. */
type BlobReader = ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader;
type ReadResult = ReadableStreamReadResult<Uint8Array>;

/** Asks the worker to drop job `cancel` (queued or running) without answering it. */
export interface Crc64Cancel {
  /** The id of the job to drop. */
  cancel: number;
}

/** A message from the page to the worker. */
export type Crc64Request = Crc64Job | Crc64Cancel;

/** The worker's answer to a {@link Crc64Job}: the CRC as an unsigned decimal string, or why reading failed. */
export type Crc64Reply = { id: number; crc: string } | { id: number; error: string };

/**
 * What the worker says while a long job runs: that its reads still return (`read`: bytes of job `id` hashed so far).
 * The worker reads on past a read that stalls ({@link CRC64_READ_STALL_MS}); should it be stuck all the same, the
 * missing heartbeats tell the page to give up on it (see `Crc64PoolOptions.stallTimeout`).
 */
export interface Crc64Heartbeat {
  id: number;
  read: number;
}

/** The least time between two {@link Crc64Heartbeat}s of the worker, ms. */
export const CRC64_HEARTBEAT_MS = 1000;

/**
 * How long one read of at most 1 MiB may take before the worker gives up on it and reads on, from the same byte, on
 * a fresh stream, ms. In Chromium 156 on the browser bench, BYOB reads of Blob streams left 3 of 375 uploads stuck
 * for good without this watch; with it, none of 750 (and no read came near the limit): the cause is Chromium's.
 */
export const CRC64_READ_STALL_MS = 3000;

/** What the worker says once loaded: that it is ready, and whether it hashes with WebAssembly. */
export interface Crc64Ready {
  ready: true;
  /** `false` where WebAssembly is refused (a CSP without `'wasm-unsafe-eval'`) or absent: JavaScript hashes. */
  wasm: boolean;
}

/** The parts of `DedicatedWorkerGlobalScope` the worker uses (the project compiles against the DOM library). */
export interface Crc64WorkerScope {
  addEventListener(type: 'message', listener: (event: MessageEvent<Crc64Request>) => void): void;
  postMessage(message: Crc64Reply | Crc64Ready | Crc64Heartbeat): void;
}

/** The CRC engines the worker can use, passed in as text with it (see {@link crc64WorkerSource}). */
export interface Crc64WorkerEngines {
  /** `defineCrc64`: the JavaScript engine, always available. */
  defineJs: () => new () => Crc64;
  /** `defineWasmCrc64`: the WebAssembly engine, or `undefined` where it cannot run. */
  defineWasm: (base64: string) => (new () => Crc64) | undefined;
  /** The WebAssembly module, base64 (`CRC64_WASM`). */
  wasm: string;
  /** {@link CRC64_HEARTBEAT_MS}. */
  heartbeat: number;
  /** {@link CRC64_READ_STALL_MS}. */
  readStall: number;
}

/**
 * The worker's program: answers the {@link Crc64Request}s `scope` receives. It refers to nothing outside its body
 * but its arguments and the language's globals, because the worker's script is its text.
 */
export function crc64WorkerMain(scope: Crc64WorkerScope, engines: Crc64WorkerEngines): void {
  const WasmEngine = engines.defineWasm(engines.wasm);
  const Crc64Engine = WasmEngine ?? engines.defineJs();
  /** Jobs waiting their turn, oldest first. */
  const queue: Crc64Job[] = [];
  /** The job being hashed, if any, and whether it was cancelled meanwhile. */
  let current: { id: number; cancelled: boolean } | undefined;
  /**
   * The buffer a BYOB reader fills again and again: the worker's memory stays flat whatever the part size. Each byte
   * is read once, here; the upload itself sends the `Blob`, which the browser reads from the file without the page
   * (sending the bytes read here instead costs Chromium's XHR many times the CPU: see `crc64-hasher.ts`).
   */
  const CHUNK_BYTES = 1024 * 1024;
  let scratch = new ArrayBuffer(CHUNK_BYTES);
  /** Whether Blob streams here support BYOB readers; unknown (true) until one refuses. */
  let byobSupported = true;

  /** A reader of `blob`'s stream: BYOB where Blob streams support it, else the default reader. */
  function readerOf(blob: Blob): { reader: BlobReader; byob: boolean } {
    const stream = blob.stream();
    try {
      if (byobSupported) return { reader: stream.getReader({ mode: 'byob' }), byob: true };
    } catch {
      byobSupported = false;
    }
    return { reader: stream.getReader(), byob: false };
  }

  /**
   * The next chunk of `reader`, or `undefined` when the read took over `engines.readStall` ms: the stream is then
   * cancelled (which settles the read) and the caller reads on from a fresh one.
   */
  async function readOrStall(reader: BlobReader, byob: boolean): Promise<ReadResult | undefined> {
    // A read that failed, stalled or was cancelled leaves the buffer transferred away (detached, 0 bytes long).
    if (byob && scratch.byteLength === 0) scratch = new ArrayBuffer(CHUNK_BYTES);
    const read = byob
      ? (reader as ReadableStreamBYOBReader).read(new Uint8Array(scratch, 0, CHUNK_BYTES))
      : (reader as ReadableStreamDefaultReader<Uint8Array>).read();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), engines.readStall);
    });
    const chunk = await Promise.race([read, stalled]).finally(() => clearTimeout(timer));
    if (chunk === undefined) {
      read.catch(() => undefined);
      await reader.cancel().catch(() => undefined);
    } else if (byob) {
      // The read transfers the buffer: keep the returned one for the next read.
      scratch = chunk.value ? (chunk.value.buffer as ArrayBuffer) : new ArrayBuffer(CHUNK_BYTES);
    }
    return chunk;
  }

  /**
   * Reads `blob` through its stream into one reused 1 MiB buffer (a BYOB reader), or with the default reader where
   * Blob streams do not support BYOB; `undefined` as soon as the job is cancelled. The default reader, like
   * `arrayBuffer()`, hands out fresh buffers, which pile up as garbage faster than they are collected (170 MiB of
   * buffers in the page and its worker at peak while uploading 1 GiB, against 18 with BYOB, and 4 times the renderer's
   * CPU, in Chromium 156). A read that stalls is given up after `engines.readStall` ms and the rest of the Blob is
   * read from a fresh stream; should every read stall, the silence tells the page to give up on this worker.
   */
  async function hashBlob(blob: Blob, job: { id: number; cancelled: boolean }): Promise<string | undefined> {
    const crc = new Crc64Engine();
    let [read, beat] = [0, Date.now()];
    for (;;) {
      const { reader, byob } = readerOf(read === 0 ? blob : blob.slice(read));
      try {
        for (;;) {
          const chunk = await readOrStall(reader, byob);
          if (job.cancelled) {
            await reader.cancel().catch(() => undefined);
            return undefined;
          }
          if (chunk === undefined) break;
          // The header form: unsigned decimal (as `formatCrc64`, which the worker's text cannot import).
          if (chunk.done) return BigInt.asUintN(64, crc.digest()).toString(10);
          crc.update(chunk.value);
          read += chunk.value.byteLength;
          if (Date.now() - beat >= engines.heartbeat) {
            beat = Date.now();
            scope.postMessage({ id: job.id, read });
          }
        }
      } finally {
        reader.releaseLock();
      }
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
        const said = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        if (!running.cancelled) scope.postMessage({ id: job.id, error: said });
      }
    }
    current = undefined;
  }

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

  // Tells the page the worker loaded: until then, the page is ready to fall back to hashing on its own thread.
  scope.postMessage({ ready: true, wasm: WasmEngine !== undefined });
}

/**
 * The worker's script: the functions' text and the module's base64, then the call that starts it. esbuild's
 * `keepNames` (tsx, some library builds) wraps named functions in calls of a bundle helper, `__name(fn, 'name')`:
 * the script defines a stand-in, since a function's name is only cosmetic here.
 */
export const crc64WorkerSource = (): string =>
  'var __name = (target) => target;\n' +
  `(${String(crc64WorkerMain)})(self, { defineJs: ${String(defineCrc64)}, defineWasm: ${String(defineWasmCrc64)}, ` +
  `wasm: ${JSON.stringify(CRC64_WASM)}, heartbeat: ${CRC64_HEARTBEAT_MS}, readStall: ${CRC64_READ_STALL_MS} });\n`;

let workerUrl: string | undefined;

/**
 * A `blob:` URL of the worker's script (`new Worker(crc64WorkerUrl())`, a classic worker). Made once per page and
 * kept: every worker of the page loads from it.
 */
export function crc64WorkerUrl(): string {
  workerUrl ??= URL.createObjectURL(new Blob([crc64WorkerSource()], { type: 'text/javascript' }));
  return workerUrl;
}
