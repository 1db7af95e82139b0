/**
 * CRC-64/XZ in WebAssembly: hash-wasm's CRC-64 module (MIT licence, (c) Dani Biró; the `crc64` entry of
 * hash-wasm 4.13, checked byte for byte against the installed package by a test) with a glue of our own, a few
 * hundred bytes instead of hash-wasm's generic loader. About twice the speed of the JavaScript {@link Crc64} and
 * steady from the first call (no JIT warm-up).
 *
 * Where WebAssembly is refused (a Content-Security-Policy without `'wasm-unsafe-eval'`) or absent,
 * {@link defineWasmCrc64} returns `undefined` and callers use the JavaScript engine.
 *
 * @module
 */
import type { Crc64 } from './crc64.js';

/** The module's bytes, base64: 1.2 kB, fixed memory of two 64 KiB pages, its tables built by `Hash_Init`. */
export const CRC64_WASM =
  'AGFzbQEAAAABDANgAAF/YAAAYAF/AAMHBgABAgEAAQUEAQECAgYPAn8BQYCABAt/AEGAgAQLB4IBCQZtZW1vcnkCAA9fX3N0YWNrX3BvaW50ZXID' +
  'AA5IYXNoX0dldEJ1ZmZlcgAACUhhc2hfSW5pdAABC0hhc2hfVXBkYXRlAAIKSGFzaF9GaW5hbAADDUhhc2hfR2V0U3RhdGUABA5IYXNoX0NhbGN1' +
  'bGF0ZQAFClNUQVRFX1NJWkUDAQrSBwYGAEGAgQQL4QMDAX4BfwJ+AkBBACkDgIEGQQApA4CBBCIAUQ0AQYCBBSEBQgAhAgNAIAFCAEIAQgBCAEIA' +
  'QgBCAEIAIAJCAYN9IACDIAJCAYiFIgNCAYN9IACDIANCAYiFIgNCAYN9IACDIANCAYiFIgNCAYN9IACDIANCAYiFIgNCAYN9IACDIANCAYiFIgNC' +
  'AYN9IACDIANCAYiFIgNCAYN9IACDIANCAYiFIgNCAYN9IACDIANCAYiFNwMAIAFBCGohASACQgF8IgJCgAJSDQALQQAhAQNAIAFBiJEFaiABQYiB' +
  'BWopAwAiAqdB/wFxQQN0KQOAgQUgAkIIiIUiAjcDACABQYihBWogAqdB/wFxQQN0KQOAgQUgAkIIiIUiAjcDACABQYixBWogAqdB/wFxQQN0KQOA' +
  'gQUgAkIIiIUiAjcDACABQYjBBWogAqdB/wFxQQN0KQOAgQUgAkIIiIUiAjcDACABQYjRBWogAqdB/wFxQQN0KQOAgQUgAkIIiIUiAjcDACABQYjh' +
  'BWogAqdB/wFxQQN0KQOAgQUgAkIIiIUiAjcDACABQYjxBWogAqdB/wFxQQN0KQOAgQUgAkIIiIU3AwAgAUEIaiIBQfgPRw0AC0EAIAA3A4CBBgtB' +
  'AEIANwOIgQYL9QICAX4Cf0EAKQOIgQZCf4UhAUGAgQQhAgJAIABBCEkNAEGAgQQhAgNAIAIpAwAgAYUiAUIwiKdB/wFxQQN0KQOAkQUgAUI4iKdB' +
  'A3QpA4CBBYUgAUIoiKdB/wFxQQN0KQOAoQWFIAFCIIinQf8BcUEDdCkDgLEFhSABpyIDQRV2QfgPcSkDgMEFhSADQQ12QfgPcSkDgNEFhSADQQV2' +
  'QfgPcSkDgOEFhSADQf8BcUEDdCkDgPEFhSEBIAJBCGohAiAAQXhqIgBBB0sNAAsLAkAgAEUNAAJAAkAgAEEBcQ0AIAAhAwwBCyABQv8BgyACMQAA' +
  'hadBA3QpA4CBBSABQgiIhSEBIAJBAWohAiAAQX9qIQMLIABBAUYNAANAIAFC/wGDIAIxAACFp0EDdCkDgIEFIAFCCIiFIgFC/wGDIAJBAWoxAACF' +
  'p0EDdCkDgIEFIAFCCIiFIQEgAkECaiECIANBfmoiAw0ACwtBACABQn+FNwOIgQYLZQEBfkEAQQApA4iBBiIAQjiGIABCgP4Dg0IohoQgAEKAgPwH' +
  'g0IYhiAAQoCAgPgPg0IIhoSEIABCCIhCgICA+A+DIABCGIhCgID8B4OEIABCKIhCgP4DgyAAQjiIhISENwOAgQQLBgBBiIEGCwIACwsMAQBBgIAE' +
  'CwQIAAAA';

/**
 * Defines a CRC-64/XZ engine class over the WebAssembly module `base64` ({@link CRC64_WASM}), or returns
 * `undefined` when the platform cannot compile or run it. Like `defineCrc64`, it refers to nothing outside its
 * body, because the CRC worker's script is its text. Each instance keeps its own CRC and lends it to the one module
 * instance for each `update`, so that several CRCs can be computed interleaved.
 */
export function defineWasmCrc64(base64: string): { new (): Crc64; readonly prototype: Crc64 } | undefined {
  /** The module's exports (hash-wasm's names). */
  interface Exports {
    memory: WebAssembly.Memory;
    /** Address of the input buffer (16 KiB), where `Hash_Init` also reads the polynomial. */
    Hash_GetBuffer(): number;
    /** Address of the CRC so far (8 bytes, little endian, final form: 0 for no bytes). */
    Hash_GetState(): number;
    Hash_Init(): void;
    /** Feeds the first `length` bytes of the input buffer. */
    Hash_Update(length: number): void;
  }
  let wasm: Exports;
  try {
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    // Synchronous compile: allowed on a page's main thread for modules this small.
    wasm = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Exports;
  } catch {
    return undefined;
  }
  /** Bytes the input buffer holds: hash-wasm feeds the module this much at a time. */
  const CHUNK = 16 * 1024;
  const input = wasm.Hash_GetBuffer();
  const state = wasm.Hash_GetState();
  // The memory never grows (its maximum is its size), so these views stay valid.
  const view = new DataView(wasm.memory.buffer);
  const heap = new Uint8Array(wasm.memory.buffer);
  // The reflected CRC-64/XZ polynomial 0xC96C5795D7870F42, little endian: Hash_Init builds its tables from it.
  view.setUint32(input, 0xd7870f42, true);
  view.setUint32(input + 4, 0xc96c5795, true);
  wasm.Hash_Init();

  class WasmCrc64 {
    /** Low 32 bits of the CRC so far. */
    private lo = 0;
    /** High 32 bits of the CRC so far. */
    private hi = 0;

    /** Feeds `bytes` (any length, including 0; any backing buffer) and returns `this` for chaining. */
    update(bytes: Uint8Array): this {
      view.setUint32(state, this.lo, true);
      view.setUint32(state + 4, this.hi, true);
      for (let at = 0; at < bytes.length; at += CHUNK) {
        const chunk = bytes.subarray(at, at + CHUNK);
        heap.set(chunk, input);
        wasm.Hash_Update(chunk.length);
      }
      this.lo = view.getUint32(state, true);
      this.hi = view.getUint32(state + 4, true);
      return this;
    }

    /** The CRC of every byte fed so far, as an unsigned 64-bit BigInt. Does not reset; more updates may follow. */
    digest(): bigint {
      return (BigInt(this.hi) << 32n) | BigInt(this.lo);
    }
  }
  return WasmCrc64;
}
