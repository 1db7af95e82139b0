import { expect } from 'chai';
import { crc64, defineCrc64, formatCrc64 } from '../../../src/core/upload/crc64.js';
import {
  crc64WorkerMain,
  crc64WorkerSource,
  CRC64_HEARTBEAT_MS,
  type Crc64Heartbeat,
  type Crc64Ready,
  type Crc64Reply,
  type Crc64Request,
} from '../../../src/core/upload/crc64-worker.js';
import { randomBytes } from '../../helpers/random-bytes.js';

/** A fake worker scope: what the worker posts, a way to post it jobs, and its answers to them. */
function fakeScope() {
  const posted: (Crc64Reply | Crc64Ready | Crc64Heartbeat)[] = [];
  let onMessage: ((event: MessageEvent<Crc64Request>) => void) | undefined;
  const self = {
    addEventListener: (_type: 'message', listener: typeof onMessage) => void (onMessage = listener),
    postMessage: (message: Crc64Reply | Crc64Ready | Crc64Heartbeat) => void posted.push(message),
  };
  const post = (request: Crc64Request) => onMessage?.({ data: request } as MessageEvent<Crc64Request>);
  /** The first `count` answers to jobs (heartbeats left out), waiting up to about a second for them. */
  const replies = async (count: number) => {
    const answers = () => posted.filter((message) => 'crc' in message || 'error' in message);
    for (let wait = 0; answers().length < count && wait < 200; wait += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return answers();
  };
  return { self, posted, post, replies };
}

/**
 * Runs the worker's script text with nothing in scope but a fake `self`, as a worker would run it: whatever the
 * text needed from the module around it would be a ReferenceError here.
 */
function runScript({ wasm = true } = {}) {
  const scope = fakeScope();
  // Without WebAssembly: a parameter of that name hides the global from the script, as a worker without it sees.
  if (wasm) new Function('self', crc64WorkerSource())(scope.self);
  else new Function('self', 'WebAssembly', crc64WorkerSource())(scope.self, undefined);
  return scope;
}

describe('crc64WorkerSource', () => {
  it('should be a self-contained script that says it is ready', () => {
    expect(runScript().posted).to.deep.equal([{ ready: true, wasm: true }]);
  });

  it('should say it hashes without WebAssembly where there is none', () => {
    expect(runScript({ wasm: false }).posted).to.deep.equal([{ ready: true, wasm: false }]);
  });

  for (const wasm of [true, false]) {
    it(`should hash a Blob larger than one read ${wasm ? 'with' : 'without'} WebAssembly`, async () => {
      const { post, replies } = runScript({ wasm });
      const bytes = randomBytes(8 * 1024 * 1024 + 13, 70);
      post({ id: 7, blob: new Blob([bytes]).slice(3) });
      expect(await replies(1)).to.deep.equal([{ id: 7, crc: formatCrc64(crc64(bytes.subarray(3))) }]);
    });
  }

  it('should say it is still reading, at most once a second, while a read takes long', async () => {
    const { posted, post, replies } = runScript();
    // A Blob whose stream gives 4 bytes every 0.4 s: 1.2 s to read in all.
    const chunks = [1, 2, 3, 4].map((i) => new Uint8Array([i, i, i, i]));
    const slowBlob = {
      stream: () =>
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            await new Promise((resolve) => setTimeout(resolve, 400));
            const next = chunks.shift();
            if (next) controller.enqueue(next);
            else controller.close();
          },
        }),
    } as unknown as Blob;
    post({ id: 9, blob: slowBlob });
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const all = new Uint8Array([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4]);
    expect(await replies(1)).to.deep.equal([{ id: 9, crc: formatCrc64(crc64(all)) }]);
    const beats = posted.filter((message) => 'read' in message);
    // Reads end at 0.4, 0.8, 1.2, 1.6 s (then done at 2.0 s): one heartbeat, after the third, with 12 bytes read.
    expect(CRC64_HEARTBEAT_MS).to.equal(1000);
    expect(beats).to.deep.equal([{ id: 9, read: 12 }]);
  });

  it('should read on from a fresh stream past a read that never settles', async () => {
    const { self, post, replies } = fakeScope();
    const engines = { defineJs: defineCrc64, defineWasm: () => undefined, wasm: '', heartbeat: 1000, readStall: 60 };
    crc64WorkerMain(self, engines);
    const bytes = randomBytes(3000, 80);
    const sliced: number[] = [];
    // The first 1,000 bytes come, then the next read hangs for good; the slice the worker reads on from works.
    const hanging = {
      stream: () =>
        new ReadableStream<Uint8Array>({
          start: (controller) => controller.enqueue(bytes.slice(0, 1000)),
          pull: () => new Promise<void>(() => undefined),
        }),
      slice: (start: number) => {
        sliced.push(start);
        return new Blob([bytes]).slice(start);
      },
    } as unknown as Blob;
    post({ id: 5, blob: hanging });
    expect(await replies(1)).to.deep.equal([{ id: 5, crc: formatCrc64(crc64(bytes)) }]);
    expect(sliced).to.deep.equal([1000]);
  });

  it('should answer jobs with the decimal CRC-64 of their Blobs, in the order posted', async () => {
    const { post, replies } = runScript();
    const parts = [3 * 1024 * 1024 + 5, 9, 0].map((size, i) => randomBytes(size, 60 + i));
    parts.forEach((part, i) => post({ id: i + 1, blob: new Blob([part]) }));
    expect(await replies(3)).to.deep.equal(parts.map((part, i) => ({ id: i + 1, crc: formatCrc64(crc64(part)) })));
  });
});
