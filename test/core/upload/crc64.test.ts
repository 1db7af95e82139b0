import { expect } from 'chai';
import { createCRC64 } from 'hash-wasm';
import { Crc64, crc64, crc64Combine, formatCrc64, parseCrc64 } from '../../../src/core/upload/crc64.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be reproduced. */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const MAX = 2n ** 64n - 1n;
const GiB = 1024n ** 3n;

describe('Crc64', () => {
  it('should give the CRC-64/XZ check values', () => {
    expect(formatCrc64(crc64(text('123456789')))).to.equal('11051210869376104954');
    expect(crc64(text(''))).to.equal(0n);
    expect(formatCrc64(crc64(text('hello ')))).to.equal('1796661072844795914');
    expect(formatCrc64(crc64(text('world')))).to.equal('4472352582074980600');
    expect(formatCrc64(crc64(text('hello world')))).to.equal('5981764153023615706');
    expect(new Crc64().digest()).to.equal(0n);
  });

  it('should give the same CRC over random splits, unaligned views included, as in one call', () => {
    const data = bytes(100_003, 7);
    const whole = crc64(data);
    let seed = 99;
    for (let round = 0; round < 20; round += 1) {
      const hasher = new Crc64();
      let offset = 0;
      while (offset < data.length) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const size = round % 2 ? seed % 17 : seed % 20_000;
        hasher.update(data.subarray(offset, offset + size));
        offset += size;
      }
      expect(hasher.digest()).to.equal(whole);
    }
  });

  it('should let digest be called between updates', () => {
    const hasher = new Crc64().update(text('hello '));
    expect(formatCrc64(hasher.digest())).to.equal('1796661072844795914');
    expect(formatCrc64(hasher.update(text('world')).digest())).to.equal('5981764153023615706');
  });

  it('should agree with hash-wasm on random data of many lengths', async () => {
    const wasm = await createCRC64();
    for (const length of [1, 3, 7, 8, 9, 15, 16, 17, 255, 4096, 65_537, 1_000_001]) {
      const data = bytes(length, length);
      const expected = BigInt(`0x${wasm.init().update(data).digest('hex')}`);
      expect(crc64(data), `length ${length}`).to.equal(expected);
      expect(crc64(data.subarray(1)), `length ${length - 1}, offset 1`).to.equal(
        BigInt(`0x${wasm.init().update(data.subarray(1)).digest('hex')}`),
      );
    }
  });
});

describe('crc64Combine', () => {
  it('should join the CRCs of "hello " and "world"', () => {
    const combined = crc64Combine(crc64(text('hello ')), crc64(text('world')), 5);
    expect(formatCrc64(combined)).to.equal('5981764153023615706');
    expect(crc64Combine(crc64(text('hello ')), crc64(text('world')), 5n)).to.equal(combined);
  });

  it('should return the first CRC for an empty second part', () => {
    const a = crc64(text('123456789'));
    expect(crc64Combine(a, 0n, 0)).to.equal(a);
    expect(crc64Combine(0n, a, 9)).to.equal(a); // an empty first part
  });

  it('should chain many random parts to the CRC of the whole', () => {
    const data = bytes(300_000, 3);
    let seed = 5;
    let offset = 0;
    let crc = 0n;
    let parts = 0;
    while (offset < data.length) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const size = Math.min(data.length - offset, parts % 5 === 0 ? 0 : seed % 9000);
      crc = crc64Combine(crc, crc64(data.subarray(offset, offset + size)), size);
      offset += size;
      parts += 1;
    }
    expect(parts).to.be.greaterThan(50);
    expect(crc).to.equal(crc64(data));
  });

  it('should handle multi-GiB lengths quickly and consistently', () => {
    const start = performance.now();
    // CRCs of runs of 2^k MiB of zeros by doubling from a directly computed 1 MiB, checked directly at 4 MiB.
    const zeros = new Map<bigint, bigint>([[1n << 20n, crc64(new Uint8Array(1 << 20))]]);
    for (let length = 1n << 20n; length < 4n * GiB; length *= 2n) {
      const half = zeros.get(length)!;
      zeros.set(2n * length, crc64Combine(half, half, length));
    }
    expect(zeros.get(4n << 20n)).to.equal(crc64(new Uint8Array(4 << 20)));
    const z1 = zeros.get(GiB)!;
    const z2 = zeros.get(2n * GiB)!;
    const z4 = zeros.get(4n * GiB)!;
    const fiveGiB = crc64Combine(z4, z1, GiB);
    expect(crc64Combine(z1, z4, 4n * GiB)).to.equal(fiveGiB);
    expect(crc64Combine(crc64Combine(z2, z1, GiB), z2, 2n * GiB)).to.equal(fiveGiB);
    expect(crc64Combine(z1, z4, Number(4n * GiB))).to.equal(fiveGiB);
    // Grouping arbitrary parts differently gives the same CRC.
    const [a, b, c] = [0x0123456789abcdefn, 0xfedcba9876543210n, 12345n];
    const left = crc64Combine(crc64Combine(a, b, 5n * GiB), c, 3n * GiB + 7n);
    const right = crc64Combine(a, crc64Combine(b, c, 3n * GiB + 7n), 8n * GiB + 7n);
    expect(left).to.equal(right);
    const huge = 2n ** 70n + 3n; // beyond any real object: the table of powers grows past 64 entries
    expect(crc64Combine(crc64Combine(a, b, huge), c, huge)).to.equal(crc64Combine(a, crc64Combine(b, c, huge), 2n * huge));
    expect(performance.now() - start).to.be.lessThan(1000);
  });

  it('should match a direct computation for zero runs built by combining', () => {
    const z = (n: number): bigint => crc64(new Uint8Array(n));
    expect(crc64Combine(z(1000), z(2000), 2000)).to.equal(z(3000));
    const data = bytes(5000, 11);
    const joined = new Uint8Array(5000 + 70_000);
    joined.set(data);
    expect(crc64Combine(crc64(data), z(70_000), 70_000)).to.equal(crc64(joined));
  });

  it('should reject negative or fractional lengths', () => {
    expect(() => crc64Combine(1n, 2n, -1)).to.throw(RangeError);
    expect(() => crc64Combine(1n, 2n, -1n)).to.throw(RangeError);
    expect(() => crc64Combine(1n, 2n, 1.5)).to.throw(RangeError);
    expect(() => crc64Combine(1n, 2n, Number.NaN)).to.throw(RangeError);
  });
});

describe('formatCrc64 and parseCrc64', () => {
  it('should round-trip unsigned 64-bit values in decimal', () => {
    for (const value of [0n, 1n, 11051210869376104954n, MAX]) {
      expect(parseCrc64(formatCrc64(value))).to.equal(value);
    }
    expect(formatCrc64(MAX)).to.equal('18446744073709551615');
    expect(formatCrc64(0n)).to.equal('0');
  });

  it('should accept leading zeros', () => {
    expect(parseCrc64('007')).to.equal(7n);
    expect(parseCrc64('000000000000000000000000000018446744073709551615')).to.equal(MAX);
  });

  it('should refuse anything but decimal digits up to 2^64 - 1', () => {
    for (const bad of ['', ' 1', '1 ', '+1', '-1', '1e3', '0x10', '1.0', '1_000', '１２', '18446744073709551616', '9'.repeat(40)]) {
      expect(parseCrc64(bad), JSON.stringify(bad)).to.equal(undefined);
    }
  });
});
