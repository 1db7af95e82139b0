/**
 * CRC-64 as COS reports it in `x-cos-hash-crc64ecma`: the CRC-64/XZ variant (also called GO-ECMA), i.e. the
 * reflected polynomial `0xC96C5795D7870F42`, initial value and final xor all ones, written as an unsigned 64-bit
 * decimal number.
 *
 * Portable (browser and Node, no dependency): {@link Crc64} is a slicing-by-8 implementation working on two 32-bit
 * halves, so the hot loop never touches BigInt; {@link crc64Combine} joins the CRCs of consecutive byte ranges (the
 * parts of a multipart upload) in O(log n) without seeing their bytes.
 *
 * @module
 */

/** The reflected polynomial as a BigInt, for {@link crc64Combine}. */
const POLY = 0xc96c5795d7870f42n;
const MASK64 = 0xffffffffffffffffn;

/** What {@link Crc64} computes with: feed bytes, read the CRC. */
export interface Crc64 {
  /** Feeds `bytes` (any length, including 0; any backing buffer) and returns `this` for chaining. */
  update(bytes: Uint8Array): this;
  /** The CRC of every byte fed so far, as an unsigned 64-bit BigInt. Does not reset; more updates may follow. */
  digest(): bigint;
}

/**
 * Defines the CRC-64/XZ engine class. It refers to nothing outside its own body (only to the language's globals),
 * because the CRC worker is made from its text (`Function.prototype.toString`): the worker then loads from a Blob
 * URL, with no bundler having to find and emit a worker file.
 */
export function defineCrc64(): { new (): Crc64; readonly prototype: Crc64 } {
  /** The reflected CRC-64/XZ polynomial, as two 32-bit halves. */
  const POLY_HI = 0xc96c5795 | 0;
  const POLY_LO = 0xd7870f42 | 0;

  /**
   * Slicing-by-8 tables: entry `k * 256 + b` is the CRC register after feeding byte `b` followed by `k` zero bytes
   * into a zero register. Low and high 32-bit halves are kept in separate arrays of signed 32-bit integers (small
   * integers to the JIT, where unsigned values above 2^31 would be boxed). Built on first use.
   */
  let tableLo: Int32Array | undefined;
  let tableHi: Int32Array | undefined;

  /** Whether the platform stores a 32-bit word low byte first (every current browser and Node target does). */
  const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

  function buildTables(): [Int32Array, Int32Array] {
    const lo = new Int32Array(8 * 256);
    const hi = new Int32Array(8 * 256);
    for (let b = 0; b < 256; b += 1) {
      let l = b;
      let h = 0;
      for (let bit = 0; bit < 8; bit += 1) {
        const carry = l & 1;
        l = (l >>> 1) | (h << 31);
        h >>>= 1;
        if (carry) {
          l ^= POLY_LO;
          h ^= POLY_HI;
        }
      }
      lo[b] = l;
      hi[b] = h;
    }
    for (let k = 1; k < 8; k += 1) {
      for (let b = 0; b < 256; b += 1) {
        const l = lo[(k - 1) * 256 + b]!;
        const h = hi[(k - 1) * 256 + b]!;
        lo[k * 256 + b] = lo[l & 0xff]! ^ ((l >>> 8) | (h << 24));
        hi[k * 256 + b] = hi[l & 0xff]! ^ (h >>> 8);
      }
    }
    return [lo, hi];
  }

  class Crc64Engine {
    /** Low 32 bits of the (non-inverted) CRC register. */
    private lo = -1;
    /** High 32 bits of the (non-inverted) CRC register. */
    private hi = -1;

    /** Feeds `bytes` (any length, including 0; any backing buffer) and returns `this` for chaining. */
    update(bytes: Uint8Array): this {
      if (!tableLo || !tableHi) [tableLo, tableHi] = buildTables();
      const tl = tableLo;
      const th = tableHi;
      let l = this.lo;
      let h = this.hi;
      const n = bytes.length;
      let i = 0;
      // Bytes one at a time up to a 4-byte boundary, so that the bulk can be read as aligned 32-bit words.
      const head = LITTLE_ENDIAN ? Math.min(n, (4 - (bytes.byteOffset & 3)) & 3) : n;
      for (; i < head; i += 1) {
        const idx = (l ^ bytes[i]!) & 0xff;
        l = tl[idx]! ^ ((l >>> 8) | (h << 24));
        h = th[idx]! ^ (h >>> 8);
      }
      const words = (n - i) >>> 3 << 1;
      if (words > 0) {
        const w = new Int32Array(bytes.buffer, bytes.byteOffset + i, words);
        for (let j = 0; j < words; j += 2) {
          const a = l ^ w[j]!;
          const b = h ^ w[j + 1]!;
          const i7 = 1792 + (a & 0xff);
          const i6 = 1536 + ((a >>> 8) & 0xff);
          const i5 = 1280 + ((a >>> 16) & 0xff);
          const i4 = 1024 + (a >>> 24);
          const i3 = 768 + (b & 0xff);
          const i2 = 512 + ((b >>> 8) & 0xff);
          const i1 = 256 + ((b >>> 16) & 0xff);
          const i0 = b >>> 24;
          l = tl[i7]! ^ tl[i6]! ^ tl[i5]! ^ tl[i4]! ^ tl[i3]! ^ tl[i2]! ^ tl[i1]! ^ tl[i0]!;
          h = th[i7]! ^ th[i6]! ^ th[i5]! ^ th[i4]! ^ th[i3]! ^ th[i2]! ^ th[i1]! ^ th[i0]!;
        }
        i += words << 2;
      }
      for (; i < n; i += 1) {
        const idx = (l ^ bytes[i]!) & 0xff;
        l = tl[idx]! ^ ((l >>> 8) | (h << 24));
        h = th[idx]! ^ (h >>> 8);
      }
      this.lo = l;
      this.hi = h;
      return this;
    }

    /** The CRC of every byte fed so far, as an unsigned 64-bit BigInt. Does not reset; more updates may follow. */
    digest(): bigint {
      return (BigInt(~this.hi >>> 0) << 32n) | BigInt(~this.lo >>> 0);
    }
  }
  return Crc64Engine;
}

/**
 * Incremental CRC-64/XZ in pure JavaScript (slicing-by-8 over 32-bit halves, about 0.8 GB/s on a current x86 core).
 *
 * @example
 * ```ts
 * const crc = new Crc64().update(new TextEncoder().encode('123456789')).digest();
 * formatCrc64(crc); // '11051210869376104954'
 * ```
 */
export const Crc64 = defineCrc64();

/** CRC-64/XZ of `bytes` in one call; see {@link Crc64}. */
export function crc64(bytes: Uint8Array): bigint {
  return new Crc64().update(bytes).digest();
}

/** Product of `a` and `b` modulo the polynomial, both in the reflected representation (bit 63 is x^0). */
function multModP(a: bigint, b: bigint): bigint {
  if (a === 0n) return 0n;
  let m = 1n << 63n;
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ POLY : b >> 1n;
  }
  return p;
}

/** `x2n[k]` is x^(2^k) modulo the polynomial (reflected), extended on demand by squaring. */
const x2n: bigint[] = [];

/** x^(n * 2^k) modulo the polynomial: the operator that appends `n` zero bytes when k = 3. */
function xPowModP(n: bigint, k: number): bigint {
  let p = 1n << 63n; // x^0
  while (n > 0n) {
    if (x2n.length === 0) x2n.push(1n << 62n); // x^1
    while (x2n.length <= k) x2n.push(multModP(x2n[x2n.length - 1]!, x2n[x2n.length - 1]!));
    if (n & 1n) p = multModP(x2n[k]!, p);
    n >>= 1n;
    k += 1;
  }
  return p;
}

/**
 * The CRC-64/XZ of the concatenation A‖B, from `crc1` = CRC(A), `crc2` = CRC(B) and `len2` = the byte length of B.
 * This is how the CRC of a multipart object follows from the CRCs of its parts. O(log len2) BigInt operations.
 *
 * @throws {RangeError} when `len2` is negative or not an integer.
 * @example
 * ```ts
 * crc64Combine(crc64(hello), crc64(world), world.length) === crc64(helloWorld); // true
 * ```
 */
export function crc64Combine(crc1: bigint, crc2: bigint, len2: number | bigint): bigint {
  if (typeof len2 === 'number' && !Number.isSafeInteger(len2)) throw new RangeError(`Invalid length: ${len2}`);
  const n = BigInt(len2);
  if (n < 0n) throw new RangeError(`Invalid length: ${len2}`);
  if (n === 0n) return crc1 & MASK64;
  return (multModP(xPowModP(n, 3), crc1 & MASK64) ^ (crc2 & MASK64)) & MASK64;
}

/** The header form of a CRC: unsigned decimal, e.g. `'11051210869376104954'`. */
export function formatCrc64(crc: bigint): string {
  return BigInt.asUintN(64, crc).toString(10);
}

/**
 * Parses an `x-cos-hash-crc64ecma` value. Strict: ASCII decimal digits only (no sign, spaces, hex or exponent) and at
 * most 2^64 - 1; anything else gives `undefined`.
 */
export function parseCrc64(text: string): bigint | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const digits = text.replace(/^0+(?=.)/, '');
  if (digits.length > 20) return undefined;
  const value = BigInt(digits);
  return value <= MASK64 ? value : undefined;
}
