/**
 * CRC-64/XZ in WebAssembly: a 300-byte module, somewhat faster than the JavaScript {@link Crc64} once that is
 * warm (about 1 GB/s against 0.8 here) and as fast from the first call (no JIT warm-up in each new worker). Its one
 * function is the slicing-by-8 loop of `Crc64` over 64-bit words; the tables are built here. The module is written
 * out opcode by opcode in `test/core/upload/crc64-wasm.test.ts`, which checks these bytes against it and the CRCs
 * against the JavaScript engine and against hash-wasm's CRC-64.
 *
 * Where WebAssembly is refused (a Content-Security-Policy without `'wasm-unsafe-eval'`) or absent,
 * {@link defineWasmCrc64} returns `undefined` and callers use the JavaScript engine.
 *
 * @module
 */
import type { Crc64 } from './crc64.js';

/**
 * The module, base64. It exports its memory `m` (2 pages: the 8 tables of 256 64-bit entries at 0, the input at
 * 16384) and `u(crc, length)`, the CRC after feeding `length` input bytes to `crc`.
 */
export const CRC64_WASM =
  'AGFzbQEAAAABBwFgAn5/AX4DAgEABQMBAAIHCQIBbQIAAXUAAAqFAgGCAgICfwF+IABCf4UhAEGAgAEhAiABQYCAAWohAwJAA0AgAyACa0EISQ0B' +
  'IAAgAikDAIUhBCAEp0H/AXFBA3QpA4BwIARCCIinQf8BcUEDdCkDgGCFIARCEIinQf8BcUEDdCkDgFCFIARCGIinQf8BcUEDdCkDgECFIARCIIin' +
  'Qf8BcUEDdCkDgDCFIARCKIinQf8BcUEDdCkDgCCFIARCMIinQf8BcUEDdCkDgBCFIARCOIinQf8BcUEDdCkDAIUhACACQQhqIQIMAAsLAkADQCAC' +
  'IANPDQEgACACMQAAhadB/wFxQQN0KQMAIABCCIiFIQAgAkEBaiECDAALCyAAQn+FCw==';

/**
 * Defines a CRC-64/XZ engine class over the WebAssembly module `base64` ({@link CRC64_WASM}), or returns
 * `undefined` when the platform cannot compile or run it. Like `defineCrc64`, it refers to nothing outside its
 * body, because the CRC worker's script is its text. Each instance keeps its own CRC, so that several CRCs can be
 * computed interleaved.
 */
export function defineWasmCrc64(base64: string): { new (): Crc64; readonly prototype: Crc64 } | undefined {
  let wasm: { m: WebAssembly.Memory; u(crc: bigint, length: number): bigint };
  try {
    // Synchronous compile: allowed on a page's main thread for modules this small.
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    wasm = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as typeof wasm;
  } catch {
    return undefined;
  }
  // The memory never grows, so these views stay valid.
  const heap = new Uint8Array(wasm.m.buffer);
  const table = new BigUint64Array(wasm.m.buffer, 0, 2048);
  // Entry k * 256 + b: the CRC register after byte b then k zero bytes (the reflected polynomial of CRC-64/XZ).
  for (let b = 0; b < 256; b += 1) {
    let crc = BigInt(b);
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1n ? (crc >> 1n) ^ 0xc96c5795d7870f42n : crc >> 1n;
    table[b] = crc;
  }
  for (let i = 256; i < 2048; i += 1) table[i] = (table[i - 256]! >> 8n) ^ table[Number(table[i - 256]! & 255n)]!;

  class WasmCrc64 {
    /** The CRC so far (signed, as WebAssembly hands back an i64). */
    private crc = 0n;

    /** Feeds `bytes` (any length, including 0; any backing buffer) and returns `this` for chaining. */
    update(bytes: Uint8Array): this {
      for (let at = 0; at < bytes.length; at += 65536) {
        const chunk = bytes.subarray(at, at + 65536);
        heap.set(chunk, 16384);
        this.crc = wasm.u(this.crc, chunk.length);
      }
      return this;
    }

    /** The CRC of every byte fed so far, as an unsigned 64-bit BigInt. Does not reset; more updates may follow. */
    digest(): bigint {
      return BigInt.asUintN(64, this.crc);
    }
  }
  return WasmCrc64;
}
