import { TranscoderError } from '../errors.js';

const MiB = 1024 * 1024;

/** The smallest part COS accepts, except for the last one: 1 MiB. */
export const MIN_PART_SIZE = MiB;
/** The largest part COS accepts: 5 GiB. */
export const MAX_PART_SIZE = 5 * 1024 * MiB;
/** The most parts one multipart upload may have. */
export const MAX_PARTS = 10_000;
/** The largest object a multipart upload can make: 10,000 parts of 5 GiB. */
export const MAX_OBJECT_SIZE = MAX_PARTS * MAX_PART_SIZE;

/**
 * The part size used when none is given: 8 MiB. Measured with `npm run bench` (see the README): on loopback, where
 * each request's CPU cost dominates, 4 MiB parts were clearly slower and 16–32 MiB parts 20–30 % faster than 8 MiB.
 * On a real link the per-request cost shrinks next to the transfer, while what a part in flight costs does not: a
 * dropped connection, a pause or a reload sends it again (about a second of work per part at 10 MB/s). 8 MiB
 * keeps that small and still amortises the requests.
 */
export const DEFAULT_PART_SIZE = 8 * MiB;

/** One part of a multipart upload: its number (from 1) and byte range `[start, end)` in the file. */
export interface PlannedPart {
  readonly partNumber: number;
  readonly start: number;
  readonly end: number;
}

/**
 * The part size for a file of `size` bytes: `preferred`, raised to the next whole MiB that keeps the upload at
 * {@link MAX_PARTS} parts or fewer.
 *
 * @throws {TranscoderError} `invalid-options` when `size` exceeds {@link MAX_OBJECT_SIZE}, or `preferred` is not a
 * whole number of bytes from {@link MIN_PART_SIZE} to {@link MAX_PART_SIZE}.
 * @example
 * ```ts
 * planPartSize(100 * 2 ** 20); // 8 MiB: 13 parts
 * planPartSize(200 * 2 ** 30); // 21 MiB: 9,753 parts
 * ```
 */
export function planPartSize(size: number, preferred: number = DEFAULT_PART_SIZE): number {
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_OBJECT_SIZE) {
    throw new TranscoderError(`A multipart upload holds at most ${MAX_OBJECT_SIZE} bytes; the file has ${size}`, {
      code: 'invalid-options',
      phase: 'options',
    });
  }
  if (!Number.isSafeInteger(preferred) || preferred < MIN_PART_SIZE || preferred > MAX_PART_SIZE) {
    throw new TranscoderError(`partSize must be a whole number of bytes from ${MIN_PART_SIZE} to ${MAX_PART_SIZE}`, {
      code: 'invalid-options',
      phase: 'options',
    });
  }
  if (Math.ceil(size / preferred) <= MAX_PARTS) return preferred;
  return Math.min(MAX_PART_SIZE, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}

/** Whether a part size can upload a file of `size` bytes (a resume record's, for example). */
export const isUsablePartSize = (size: number, partSize: number): boolean =>
  Number.isSafeInteger(partSize) &&
  partSize >= MIN_PART_SIZE &&
  partSize <= MAX_PART_SIZE &&
  Math.ceil(size / partSize) <= MAX_PARTS;

/**
 * The parts of a file of `size` bytes cut every `partSize` bytes; a file of 0 bytes has one empty part.
 *
 * @example
 * ```ts
 * planParts(10, 4); // [{ partNumber: 1, start: 0, end: 4 }, { 2, 4, 8 }, { 3, 8, 10 }]
 * ```
 */
export function planParts(size: number, partSize: number): PlannedPart[] {
  const count = Math.max(1, Math.ceil(size / partSize));
  return Array.from({ length: count }, (_, index) => ({
    partNumber: index + 1,
    start: index * partSize,
    end: Math.min(size, (index + 1) * partSize),
  }));
}
