import { expect } from 'chai';
import { Crc64, crc64 } from '../../../src/core/upload/crc64.js';
import { rejection } from '../../helpers/expect-error.js';
import { watchAbortListeners } from '../transport/leak-tracker.js';
import { randomBytes } from '../../helpers/random-bytes.js';
import { countJsCrcUpdates, trackHashers } from '../../helpers/tracked-hashers.js';

const MiB = 1024 * 1024;


/** Hashers made by a test, closed after it. */
const hasherOf = trackHashers();

describe('createCrc64Hasher', () => {
  it('should give the CRC-64/XZ check value of "123456789"', async () => {
    const crc = await hasherOf().hash(new Blob(['123456789']));
    expect(crc).to.equal(11051210869376104954n);
  });

  it('should give 0 for an empty blob', async () => {
    expect(await hasherOf().hash(new Blob([]))).to.equal(0n);
  });

  it('should hash a multi-MiB blob like crc64 over its bytes', async () => {
    const bytes = randomBytes(5 * MiB + 123, 1);
    expect(await hasherOf().hash(new Blob([bytes]))).to.equal(crc64(bytes));
  });

  it('should hash only the bytes of a slice, unaligned and nested slices included', async () => {
    const bytes = randomBytes(3 * MiB + 7, 2);
    const blob = new Blob([bytes]);
    const hasher = hasherOf();
    const ranges: Array<[number, number]> = [
      [0, MiB],
      [MiB, 2 * MiB + 1],
      [2 * MiB + 1, bytes.length],
      [5, 6],
      [17, 17],
    ];
    for (const [start, end] of ranges) {
      expect(await hasher.hash(blob.slice(start, end)), `${start}..${end}`).to.equal(
        crc64(bytes.subarray(start, end)),
      );
    }
    const nested = blob.slice(1000, 2 * MiB + 3).slice(333, MiB + 9);
    expect(await hasher.hash(nested)).to.equal(crc64(bytes.subarray(1333, 1000 + MiB + 9)));
  });

  it('should answer concurrent hashes each with its own CRC', async () => {
    const hasher = hasherOf();
    const parts = [3 * MiB, 1, 0, MiB + 5, 2 * MiB, 100].map((size, i) => randomBytes(size, 10 + i));
    const crcs = await Promise.all(parts.map((part) => hasher.hash(new Blob([part]))));
    expect(crcs).to.deep.equal(parts.map((part) => crc64(part)));
  });

  it('should reject at once with code aborted when the signal aborts mid-hash', async () => {
    const hasher = hasherOf();
    const controller = new AbortController();
    const pending = hasher.hash(new Blob([randomBytes(16 * MiB, 3)]), controller.signal);
    controller.abort(new Error('stop'));
    const error = await rejection(pending);
    expect(error.code).to.equal('aborted');
    expect(error.phase).to.equal('upload');
    expect((error.cause as Error).message).to.equal('stop');
  });

  it('should reject with code aborted when the signal has already aborted', async () => {
    const error = await rejection(hasherOf().hash(new Blob(['x']), AbortSignal.abort()));
    expect(error.code).to.equal('aborted');
  });

  it('should still answer the other hashes, and later ones, after one is aborted', async () => {
    const hasher = hasherOf();
    const controller = new AbortController();
    const first = randomBytes(2 * MiB, 4);
    const third = randomBytes(MiB, 5);
    const before = hasher.hash(new Blob([first]));
    const aborted = rejection(hasher.hash(new Blob([randomBytes(4 * MiB, 6)]), controller.signal));
    const after = hasher.hash(new Blob([third]));
    controller.abort();
    expect(await before).to.equal(crc64(first));
    expect((await aborted).code).to.equal('aborted');
    expect(await after).to.equal(crc64(third));
    expect(await hasher.hash(new Blob(['123456789']))).to.equal(11051210869376104954n);
  });

  it('should remove its abort listener once the hash settles', async () => {
    const controller = new AbortController();
    const watched = watchAbortListeners(controller.signal);
    await hasherOf().hash(new Blob(['abc']), controller.signal);
    expect(watched.listeners).to.equal(0);
  });

  it('should hash on the main thread with worker: false', async () => {
    const hasher = hasherOf({ worker: false });
    const bytes = randomBytes(2 * MiB + 1, 7);
    expect(await hasher.hash(new Blob([bytes]))).to.equal(crc64(bytes));
    expect(hasher.offMainThread).to.equal(false);
  });

  it('should hash with WebAssembly, not the JavaScript Crc64, where WebAssembly runs', async () => {
    const bytes = randomBytes(MiB + 9, 10);
    const expected = crc64(bytes);
    const jsUpdates = await countJsCrcUpdates(Crc64, async () => {
      expect(await hasherOf({ worker: false }).hash(new Blob([bytes]))).to.equal(expected);
    });
    expect(jsUpdates).to.equal(0);
  });

  it('should hash with the JavaScript Crc64 where WebAssembly is refused (a CSP without it)', async () => {
    const bytes = randomBytes(2 * MiB + 3, 11);
    const expected = crc64(bytes);
    const { Module } = WebAssembly;
    WebAssembly.Module = function refused() {
      throw new WebAssembly.CompileError('Refused to compile WebAssembly');
    } as unknown as typeof WebAssembly.Module;
    try {
      const jsUpdates = await countJsCrcUpdates(Crc64, async () => {
        expect(await hasherOf({ worker: false }).hash(new Blob([bytes]))).to.equal(expected);
      });
      expect(jsUpdates).to.equal(3);
    } finally {
      WebAssembly.Module = Module;
    }
  });

  it('should not run in a worker before the first hash', () => {
    expect(hasherOf().offMainThread).to.equal(false);
  });

  it('should keep hashing after close(), which may be called twice', async () => {
    const hasher = hasherOf();
    await hasher.hash(new Blob(['warm up']));
    hasher.close();
    hasher.close();
    expect(await hasher.hash(new Blob(['123456789']))).to.equal(11051210869376104954n);
  });

  it('should finish the hashes pending at close()', async () => {
    const hasher = hasherOf();
    const bytes = randomBytes(3 * MiB, 8);
    const pending = hasher.hash(new Blob([bytes]));
    hasher.close();
    expect(await pending).to.equal(crc64(bytes));
    expect(hasher.offMainThread).to.equal(false);
  });
});
