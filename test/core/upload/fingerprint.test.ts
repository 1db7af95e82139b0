import { expect } from 'chai';
import { crc64, formatCrc64 } from '../../../src/core/upload/crc64.js';
import { fileFingerprint } from '../../../src/core/upload/fingerprint.js';

const KiB = 1024;
const MODIFIED = 1_700_000_000_000;

/** Deterministic pseudo-random bytes (xorshift32). */
function bytes(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** `data` with the byte at `index` flipped. */
function flipped(data: Uint8Array<ArrayBuffer>, index: number): Uint8Array<ArrayBuffer> {
  const copy = data.slice();
  copy[index] = copy[index]! ^ 0xff;
  return copy;
}

const file = (data: Uint8Array<ArrayBuffer>, name = 'movie.mp4', options: FilePropertyBag = {}): File =>
  new File([data], name, { type: 'video/mp4', lastModified: MODIFIED, ...options });

/** A Blob look-alike that records the byte ranges read through `slice`. */
function recordingBlob(blob: Blob, reads: Array<[number, number]>): Blob {
  return {
    size: blob.size,
    type: blob.type,
    slice(start = 0, end = blob.size) {
      reads.push([start, end]);
      return blob.slice(start, end);
    },
  } as Blob;
}

describe('fileFingerprint', () => {
  it('should give the same fingerprint for the same bytes and metadata', async () => {
    const data = bytes(300 * KiB);
    expect(await fileFingerprint(file(data))).to.equal(await fileFingerprint(file(data.slice())));
  });

  it('should be short visible ASCII that does not reveal the file name', async () => {
    const fingerprint = await fileFingerprint(file(bytes(200 * KiB), 'secret-plans.mp4'));
    expect(fingerprint).to.match(/^1:\d+:\d+:\d+:\d+$/);
    expect(fingerprint.length).to.be.at.most(81);
    expect(fingerprint).not.to.include('secret');
  });

  it('should give the known form for an empty blob', async () => {
    const metadata = formatCrc64(crc64(new TextEncoder().encode('[null,0,"",null]')));
    expect(await fileFingerprint(new Blob([]))).to.equal(`1:0:${metadata}:0:0`);
  });

  it('should handle an empty file', async () => {
    const empty = await fileFingerprint(file(new Uint8Array(0)));
    expect(empty).to.match(/^1:0:\d+:0:0$/);
    expect(empty).not.to.equal(await fileFingerprint(new Blob([])));
  });

  it('should fingerprint a plain Blob deterministically, apart from a File with the same bytes', async () => {
    const data = bytes(100 * KiB);
    const blob = await fileFingerprint(new Blob([data], { type: 'video/mp4' }));
    expect(blob).to.equal(await fileFingerprint(new Blob([data.slice()], { type: 'video/mp4' })));
    expect(blob).not.to.equal(await fileFingerprint(file(data)));
    expect(blob).not.to.equal(await fileFingerprint(file(data, '')));
  });

  it('should change when the name changes', async () => {
    const data = bytes(100 * KiB);
    expect(await fileFingerprint(file(data, 'a.mp4'))).not.to.equal(await fileFingerprint(file(data, 'b.mp4')));
  });

  it('should change when lastModified changes', async () => {
    const data = bytes(100 * KiB);
    expect(await fileFingerprint(file(data))).not.to.equal(
      await fileFingerprint(file(data, 'movie.mp4', { lastModified: MODIFIED + 1 })),
    );
  });

  it('should change when the type changes', async () => {
    const data = bytes(100 * KiB);
    expect(await fileFingerprint(file(data))).not.to.equal(
      await fileFingerprint(file(data, 'movie.mp4', { type: 'video/quicktime' })),
    );
  });

  it('should change when the size changes', async () => {
    const data = bytes(300 * KiB);
    const shorter = data.slice(0, 300 * KiB - 1);
    expect(await fileFingerprint(file(data))).not.to.equal(await fileFingerprint(file(shorter)));
  });

  it('should change when a byte in the first or last 64 KiB of a large file changes', async () => {
    const data = bytes(1024 * KiB);
    const original = await fileFingerprint(file(data));
    for (const index of [0, 64 * KiB - 1, 960 * KiB, 1024 * KiB - 1]) {
      expect(await fileFingerprint(file(flipped(data, index))), `byte ${index}`).not.to.equal(original);
    }
  });

  it('should change when any byte of a file smaller than 128 KiB changes', async () => {
    const data = bytes(100 * KiB);
    const original = await fileFingerprint(file(data));
    for (const index of [0, 50 * KiB, 64 * KiB, 70 * KiB, 100 * KiB - 1]) {
      expect(await fileFingerprint(file(flipped(data, index))), `byte ${index}`).not.to.equal(original);
    }
  });

  it('should see a change at the sample boundaries of a file just over 64 KiB', async () => {
    const data = bytes(64 * KiB + 1);
    const original = await fileFingerprint(file(data));
    expect(await fileFingerprint(file(flipped(data, 64 * KiB)))).not.to.equal(original);
    expect(await fileFingerprint(file(flipped(data, 64 * KiB - 1)))).not.to.equal(original);
  });

  it('should read at most 128 KiB of a large file, without overlapping ranges', async () => {
    const reads: Array<[number, number]> = [];
    const size = 8 * 1024 * KiB;
    await fileFingerprint(recordingBlob(new Blob([new Uint8Array(size)]), reads));
    expect(reads.sort((a, b) => a[0] - b[0])).to.deep.equal([
      [0, 64 * KiB],
      [size - 64 * KiB, size],
    ]);
  });

  it('should read a file of 64 KiB or less once, whole', async () => {
    const reads: Array<[number, number]> = [];
    await fileFingerprint(recordingBlob(new Blob([bytes(10 * KiB)]), reads));
    expect(reads).to.deep.equal([[0, 10 * KiB]]);
  });

  it('should read a file between 64 and 128 KiB once in total', async () => {
    const reads: Array<[number, number]> = [];
    await fileFingerprint(recordingBlob(new Blob([bytes(100 * KiB)]), reads));
    expect(reads.sort((a, b) => a[0] - b[0])).to.deep.equal([
      [0, 64 * KiB],
      [64 * KiB, 100 * KiB],
    ]);
  });
});
