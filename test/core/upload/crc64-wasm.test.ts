import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { createCRC64 } from 'hash-wasm';
import { CRC64_WASM, defineWasmCrc64 } from '../../../src/core/upload/crc64-wasm.js';
import { Crc64, crc64 } from '../../../src/core/upload/crc64.js';
import { randomBytes } from '../../helpers/random-bytes.js';

const WasmCrc64 = defineWasmCrc64(CRC64_WASM)!;
const wasmCrc = (bytes: Uint8Array): bigint => new WasmCrc64().update(bytes).digest();

describe('defineWasmCrc64', () => {
  it('should embed the crc64 module of the installed hash-wasm, byte for byte', async () => {
    const entry = createRequire(import.meta.url).resolve('hash-wasm');
    const source = await readFile(entry.replace(/index\.umd\.js$/, 'index.esm.js'), 'utf8');
    const embedded = /name\$\w+ = "crc64";\s*var data\$\w+ = "([A-Za-z0-9+/=]+)"/.exec(source);
    expect(embedded, 'the crc64 module in hash-wasm').to.not.equal(null);
    expect(CRC64_WASM).to.equal(embedded![1]);
  });

  it('should give the CRC-64/XZ check value of "123456789" and 0 for no bytes', () => {
    expect(wasmCrc(new TextEncoder().encode('123456789'))).to.equal(0x995dc9bbdf1939fan);
    expect(wasmCrc(new Uint8Array(0))).to.equal(0n);
    expect(new WasmCrc64().digest()).to.equal(0n);
  });

  it('should equal the JavaScript Crc64 on random data of many lengths and offsets', () => {
    const bytes = randomBytes(200_000, 90);
    for (const [start, end] of [[0, 1], [1, 8], [3, 16_384], [5, 16_391], [7, 65_536 + 3], [0, 200_000]]) {
      const view = bytes.subarray(start!, end);
      expect(wasmCrc(view), `${start}..${end}`).to.equal(crc64(view));
    }
  });

  it('should equal the JavaScript Crc64 when fed in pieces across part and buffer boundaries', () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17, 91);
    const cuts = [0, 1, 16_383, 16_385, 1024 * 1024, 2 * 1024 * 1024 + 7, bytes.length];
    const wasm = new WasmCrc64();
    const js = new Crc64();
    for (let i = 1; i < cuts.length; i += 1) {
      wasm.update(bytes.subarray(cuts[i - 1], cuts[i]));
      js.update(bytes.subarray(cuts[i - 1], cuts[i]));
      expect(wasm.digest(), `after ${cuts[i]} bytes`).to.equal(js.digest());
    }
  });

  it('should keep the CRCs of interleaved instances apart', () => {
    const [a, b] = [randomBytes(40_000, 92), randomBytes(30_000, 93)];
    const [x, y] = [new WasmCrc64(), new WasmCrc64()];
    x.update(a.subarray(0, 20_000));
    y.update(b.subarray(0, 10_000));
    x.update(a.subarray(20_000));
    y.update(b.subarray(10_000));
    expect([x.digest(), y.digest()]).to.deep.equal([crc64(a), crc64(b)]);
  });

  it("should agree with hash-wasm's own createCRC64", async () => {
    const bytes = randomBytes(1024 * 1024 + 5, 94);
    const reference = await createCRC64();
    reference.init();
    reference.update(bytes);
    expect(wasmCrc(bytes)).to.equal(BigInt(`0x${reference.digest('hex')}`));
  });

  it('should return undefined when the module cannot be compiled', () => {
    expect(defineWasmCrc64(CRC64_WASM.slice(0, 40))).to.equal(undefined);
  });

  it('should return undefined where WebAssembly refuses to compile (a CSP without wasm-unsafe-eval)', () => {
    const { Module } = WebAssembly;
    WebAssembly.Module = function refused() {
      throw new WebAssembly.CompileError('Refused to compile WebAssembly: wasm-unsafe-eval is not allowed');
    } as unknown as typeof WebAssembly.Module;
    try {
      expect(defineWasmCrc64(CRC64_WASM)).to.equal(undefined);
    } finally {
      WebAssembly.Module = Module;
    }
  });
});
