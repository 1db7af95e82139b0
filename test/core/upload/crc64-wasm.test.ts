import { expect } from 'chai';
import { createCRC64 } from 'hash-wasm';
import { CRC64_WASM, defineWasmCrc64 } from '../../../src/core/upload/crc64-wasm.js';
import { Crc64, crc64 } from '../../../src/core/upload/crc64.js';
import { randomBytes } from '../../helpers/random-bytes.js';

const WasmCrc64 = defineWasmCrc64(CRC64_WASM)!;
const wasmCrc = (bytes: Uint8Array): bigint => new WasmCrc64().update(bytes).digest();

/** Unsigned LEB128, as WebAssembly writes sizes, indexes and offsets. */
const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    const low = n & 0x7f;
    n >>>= 7;
    out.push(n ? low | 0x80 : low);
  } while (n);
  return out;
};
const vec = (bytes: number[]): number[] => [...uleb(bytes.length), ...bytes];
const section = (id: number, bytes: number[]): number[] => [id, ...vec(bytes)];
const [GET, SET, I64_CONST, I32_CONST] = [0x20, 0x21, 0x42, 0x41];
const [I64_XOR, I64_SHR_U, WRAP, I32_AND, I32_SHL, I32_ADD, I32_SUB] = [0x85, 0x88, 0xa7, 0x71, 0x74, 0x6a, 0x6b];
const [I64_LOAD, I64_LOAD8_U, I32_LT_U, I32_GE_U, BR_IF, BR, END] = [0x29, 0x31, 0x49, 0x4f, 0x0d, 0x0c, 0x0b];
const BLOCK_LOOP = [0x02, 0x40, 0x03, 0x40];
/** Locals: 0 crc (i64), 1 length (i32), 2 p (i32), 3 end (i32), 4 x (i64); the input starts at 16384. */
const [CRC, LENGTH, P, STOP, X] = [0, 1, 2, 3, 4];
/** `table[7 - k][(x >> 8k) & 255]`: table j (after j zero bytes) at 2048 j, 8 bytes an entry. */
const lookup = (k: number): number[] => [
  GET, X, ...(k ? [I64_CONST, 8 * k, I64_SHR_U] : []), WRAP, I32_CONST, 0xff, 0x01, I32_AND,
  I32_CONST, 3, I32_SHL, I64_LOAD, 3, ...uleb((7 - k) * 2048),
];
const body = [
  ...[0x02, 0x02, 0x7f, 0x01, 0x7e], // locals: 2 x i32, 1 x i64
  ...[GET, CRC, I64_CONST, 0x7f, I64_XOR, SET, CRC], // crc = ~crc
  ...[I32_CONST, 0x80, 0x80, 0x01, SET, P], // p = 16384
  ...[GET, LENGTH, I32_CONST, 0x80, 0x80, 0x01, I32_ADD, SET, STOP], // end = length + 16384
  ...BLOCK_LOOP, // words
  ...[GET, STOP, GET, P, I32_SUB, I32_CONST, 8, I32_LT_U, BR_IF, 1], // while end - p >= 8
  ...[GET, CRC, GET, P, I64_LOAD, 3, 0, I64_XOR, SET, X], // x = crc ^ load64(p)
  ...lookup(0), ...[1, 2, 3, 4, 5, 6, 7].flatMap((k) => [...lookup(k), I64_XOR]), SET, CRC,
  ...[GET, P, I32_CONST, 8, I32_ADD, SET, P, BR, 0, END, END], // p += 8
  ...BLOCK_LOOP, // the last bytes
  ...[GET, P, GET, STOP, I32_GE_U, BR_IF, 1], // while p < end
  ...[GET, CRC, GET, P, I64_LOAD8_U, 0, 0, I64_XOR, WRAP, I32_CONST, 0xff, 0x01, I32_AND], // (crc ^ byte) & 255
  ...[I32_CONST, 3, I32_SHL, I64_LOAD, 3, 0], // table 0
  ...[GET, CRC, I64_CONST, 8, I64_SHR_U, I64_XOR, SET, CRC], // ^ crc >> 8
  ...[GET, P, I32_CONST, 1, I32_ADD, SET, P, BR, 0, END, END], // p += 1
  ...[GET, CRC, I64_CONST, 0x7f, I64_XOR, END], // return ~crc
];
/** The module: type (i64, i32) -> i64; one function; 2 pages of memory; exports "m" (memory) and "u". */
const MODULE = [
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, [1, 0x60, 2, 0x7e, 0x7f, 1, 0x7e]),
  ...section(3, [1, 0]),
  ...section(5, [1, 0, 2]),
  ...section(7, [2, 1, 0x6d, 2, 0, 1, 0x75, 0, 0]),
  ...section(10, [1, ...vec(body)]),
];

describe('defineWasmCrc64', () => {
  it('should be the module written out opcode by opcode here', () => {
    expect(CRC64_WASM).to.equal(btoa(String.fromCharCode(...MODULE)));
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
