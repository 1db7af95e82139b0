/**
 * File fingerprints: a cheap identity for "the same file as last time", so a resume record is only reused for the
 * file it was made for.
 *
 * @module
 */

import { crc64, formatCrc64 } from './crc64.js';

/** Bytes sampled at each end of the file. */
const SAMPLE_BYTES = 64 * 1024;

/** The bytes of `blob` from `start` to `end`, read through a lazy slice so no more than that is loaded. */
async function readRange(blob: Blob, start: number, end: number): Promise<Uint8Array> {
  if (end <= start) return new Uint8Array(0);
  return new Uint8Array(await blob.slice(start, end).arrayBuffer());
}

/**
 * A fingerprint of a file's identity and content sample: name (when a File), size, type, lastModified, and CRC-64
 * of the first and last 64 KiB. Reads at most 128 KiB however large the file, so it is fast enough to compute
 * before every upload; the ranges sampled do not overlap (a file of 64 KiB or less is read once, whole).
 *
 * The result is `1:<size>:<metadata CRC>:<head CRC>:<tail CRC>` (decimal CRC-64s): visible ASCII, at most 81
 * characters, and free of the file name itself. It changes when the size, name, type, modification time or a
 * sampled byte changes; an edit confined to the middle of a large file, keeping its size and modification time, goes
 * unnoticed, which is why the engine also checks the parts' CRCs.
 *
 * @example
 * ```ts
 * const fingerprint = await fileFingerprint(input.files[0]);
 * const id = resumeRecordId({ bucket, region, key, fingerprint });
 * ```
 */
export async function fileFingerprint(file: Blob): Promise<string> {
  const { name, lastModified } = file as Partial<Pick<File, 'name' | 'lastModified'>>;
  // Duck-typed rather than `instanceof File`, which fails for a File from another realm (an iframe's input).
  const metadata = JSON.stringify([
    typeof name === 'string' ? name : null,
    file.size,
    file.type,
    typeof lastModified === 'number' && Number.isFinite(lastModified) ? lastModified : null,
  ]);
  const headEnd = Math.min(file.size, SAMPLE_BYTES);
  const tailStart = Math.max(headEnd, file.size - SAMPLE_BYTES);
  const [head, tail] = await Promise.all([readRange(file, 0, headEnd), readRange(file, tailStart, file.size)]);
  const parts = [crc64(new TextEncoder().encode(metadata)), crc64(head), crc64(tail)].map(formatCrc64);
  return `1:${file.size}:${parts.join(':')}`;
}
