import { expect } from 'chai';
import { crc64, formatCrc64 } from '../../../src/core/upload/crc64.js';
import {
  crc64WorkerSource,
  type Crc64Ready,
  type Crc64Reply,
  type Crc64Request,
} from '../../../src/core/upload/crc64-worker.js';
import { randomBytes } from '../../helpers/random-bytes.js';

/**
 * Runs the worker's script text with nothing in scope but a fake `self`, as a worker would run it: whatever the
 * text needed from the module around it would be a ReferenceError here.
 */
function runScript({ wasm = true } = {}) {
  const posted: (Crc64Reply | Crc64Ready)[] = [];
  let onMessage: ((event: { data: Crc64Request }) => void) | undefined;
  const self = {
    addEventListener: (_type: 'message', listener: typeof onMessage) => (onMessage = listener),
    postMessage: (message: Crc64Reply | Crc64Ready) => posted.push(message),
  };
  // Without WebAssembly: a parameter of that name hides the global from the script, as a worker without it sees.
  if (wasm) new Function('self', crc64WorkerSource())(self);
  else new Function('self', 'WebAssembly', crc64WorkerSource())(self, undefined);
  const post = (request: Crc64Request) => onMessage?.({ data: request });
  const replies = async (count: number) => {
    for (let wait = 0; posted.length < count + 1 && wait < 200; wait += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return posted.slice(1);
  };
  return { posted, post, replies };
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

  it('should answer jobs with the decimal CRC-64 of their Blobs, in the order posted', async () => {
    const { post, replies } = runScript();
    const parts = [3 * 1024 * 1024 + 5, 9, 0].map((size, i) => randomBytes(size, 60 + i));
    parts.forEach((part, i) => post({ id: i + 1, blob: new Blob([part]) }));
    expect(await replies(3)).to.deep.equal(parts.map((part, i) => ({ id: i + 1, crc: formatCrc64(crc64(part)) })));
  });
});
