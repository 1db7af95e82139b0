import { expect } from 'chai';
import { crc64, crc64Combine } from '../../src/core/upload/crc64.js';
import type { Crc64Hasher } from '../../src/core/upload/crc64-hasher.js';
import { CRC64_WASM, defineWasmCrc64 } from '../../src/core/upload/crc64-wasm.js';
import { crc64WorkerSource, crc64WorkerUrl } from '../../src/core/upload/crc64-worker.js';
import { completeReply, crcOf, initiateReply, nextParts, partEtag, uploadSetup } from '../helpers/upload-setup.js';
import { randomBytes } from '../helpers/random-bytes.js';
import { trackHashers } from '../helpers/tracked-hashers.js';

const MiB = 1024 * 1024;

/**
 * Every `Worker` this page constructs from now on, counted by a subclass put in place of the global constructor:
 * this file's page has not started the shared worker before (each test file runs in a page of its own).
 */
const NativeWorker = globalThis.Worker;
let constructed = 0;
globalThis.Worker = class CountedWorker extends NativeWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(url, options);
    constructed += 1;
  }
};

const hasherOf = trackHashers();

/** Uploads `size` bytes in 1 MiB parts through a scripted service with `hasher` (the upload's own when undefined). */
async function upload(size: number, seed: number, hasher: Crc64Hasher | undefined) {
  const { transport, upload: running, data } = uploadSetup({ size, data: randomBytes(size, seed), hasher });
  const parts = size / MiB;
  const done = running.start();
  (await transport.nextRequest()).respondWith(initiateReply());
  for (const part of await nextParts(transport, parts)) {
    const n = Number(part.query['partNumber']);
    const crc = crcOf(data.subarray((n - 1) * MiB, n * MiB));
    part.respondWith({ status: 200, headers: { etag: partEtag(n), 'x-cos-hash-crc64ecma': crc } });
  }
  (await transport.nextRequest()).respondWith(completeReply(data, parts));
  return done;
}

/** A `blob:` URL of the worker's script run where `WebAssembly` is absent, as under a CSP that refuses it. */
const noWasmWorkerUrl = (): string =>
  URL.createObjectURL(new Blob([`self.WebAssembly = undefined;\n${crc64WorkerSource()}`], { type: 'text/javascript' }));

describe('the CRC-64 worker shared by the page', () => {
  it('should hash two uploads at once in one worker, started by the first hash and kept after they end', async () => {
    expect(constructed).to.equal(0);
    const results = await Promise.all([upload(3 * MiB, 1, undefined), upload(4 * MiB, 2, undefined)]);
    expect(results.map((result) => [result.hashing, result.verified])).to.deep.equal([
      ['worker', true],
      ['worker', true],
    ]);
    expect(constructed).to.equal(1);
    expect(await hasherOf().hash(new Blob(['123456789']))).to.equal(11051210869376104954n);
    expect(constructed).to.equal(1);
  });

  it('should go on hashing for the other hashers when one hasher is closed', async () => {
    const [closing, staying] = [hasherOf(), hasherOf()];
    const bytes = randomBytes(8 * MiB + 3, 3);
    const pending = staying.hash(new Blob([bytes]));
    const alsoPending = closing.hash(new Blob(['123456789']));
    closing.close();
    expect(await pending).to.equal(crc64(bytes));
    expect(await alsoPending).to.equal(11051210869376104954n);
    expect([staying.offMainThread, closing.offMainThread]).to.deep.equal([true, false]);
  });

  it('should give each part the CRC of the JavaScript Crc64, and the parts the whole file CRC', async () => {
    const bytes = randomBytes(3 * 8 * MiB + 12_345, 4);
    const file = new Blob([bytes]);
    const hasher = hasherOf();
    const bounds = [0, 8 * MiB, 16 * MiB, 24 * MiB, bytes.length];
    const parts = await Promise.all(bounds.slice(1).map((end, i) => hasher.hash(file.slice(bounds[i], end))));
    expect(parts).to.deep.equal(bounds.slice(1).map((end, i) => crc64(bytes.subarray(bounds[i], end))));
    const whole = parts.reduce((total, crc, i) => crc64Combine(total, crc, bounds[i + 1]! - bounds[i]!));
    expect(whole).to.equal(crc64(bytes));
  });

  it("should compute in this browser's WebAssembly the CRC of the JavaScript Crc64 on random data", () => {
    const WasmCrc64 = defineWasmCrc64(CRC64_WASM);
    expect(WasmCrc64).to.not.equal(undefined);
    const bytes = randomBytes(2 * MiB + 77, 5);
    const wasm = new WasmCrc64!();
    for (const [start, end] of [[0, 5], [5, 16_389], [16_389, MiB + 1], [MiB + 1, bytes.length]] as const) {
      wasm.update(bytes.subarray(start, end));
      expect(wasm.digest(), `0..${end}`).to.equal(crc64(bytes.subarray(0, end)));
    }
  });

  it('should end a worker idle for idleTimeout and start another for the next hash', async () => {
    let started = 0;
    let terminated = 0;
    const hasher = hasherOf({
      idleTimeout: 50,
      createWorker: () => {
        started += 1;
        const worker = new NativeWorker(crc64WorkerUrl());
        const terminate = worker.terminate.bind(worker);
        worker.terminate = () => {
          terminated += 1;
          terminate();
        };
        return worker;
      },
    });
    await hasher.hash(new Blob(['first']));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([started, terminated]).to.deep.equal([1, 1]);
    expect(await hasher.hash(new Blob(['123456789']))).to.equal(11051210869376104954n);
    expect([started, hasher.offMainThread]).to.deep.equal([2, true]);
  });
});

describe('verified uploads without WebAssembly', () => {
  it('should verify every part with the JavaScript CRC in a worker that has no WebAssembly', async () => {
    const url = noWasmWorkerUrl();
    const said: unknown[] = [];
    const hasher = hasherOf({
      createWorker: () => {
        const worker = new NativeWorker(url);
        worker.addEventListener('message', (event) => said.push(event.data));
        return worker;
      },
    });
    const result = await upload(3 * MiB, 6, hasher);
    URL.revokeObjectURL(url);
    expect(said[0]).to.deep.equal({ ready: true, wasm: false });
    const expected = crcOf(randomBytes(3 * MiB, 6));
    expect([result.hashing, result.verified, result.crc64]).to.deep.equal(['worker', true, expected]);
  });

  it('should verify on the main thread with the JavaScript CRC where WebAssembly is refused', async () => {
    const { Module } = WebAssembly;
    WebAssembly.Module = function refused() {
      throw new WebAssembly.CompileError("Refused to compile WebAssembly: 'wasm-unsafe-eval' is not allowed");
    } as unknown as typeof WebAssembly.Module;
    try {
      const result = await upload(2 * MiB, 7, hasherOf({ worker: false }));
      expect([result.hashing, result.verified]).to.deep.equal(['main-thread', true]);
    } finally {
      WebAssembly.Module = Module;
    }
  });
});
