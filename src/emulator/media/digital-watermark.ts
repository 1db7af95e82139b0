/**
 * The emulator's CI "digital watermark": a text message embedded in an output file and found again from its bytes,
 * in every container the templates offer.
 *
 * - MP4 / MOV: one extra top-level ISO-BMFF `uuid` box appended to the file. Players and demuxers skip unknown
 *   top-level boxes, so the file stays a valid, playable MP4 with its sample offsets untouched. The box is recognised
 *   by its usertype, {@link WATERMARK_BOX_UUID}.
 * - Matroska / WebM: one EBML `Void` element appended to the file (`matroska-watermark.ts`), which every reader skips.
 *
 * Both carry the versioned, checksummed payload of `watermark-payload.ts`. Unlike the service's watermark this one
 * lives in the container, not in the pictures: it survives the emulator's own jobs (the transcode job embeds it after
 * encoding) but not a re-encode or a remux by another tool.
 *
 * @module
 */

import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { embedMatroskaWatermark, findMatroskaWatermark, isMatroska } from './matroska-watermark.js';
import { MediaProbeError, walkTopLevelBoxes, type BoxHeader } from './mp4-probe.js';
import {
  MAX_PAYLOAD,
  WATERMARK_UUID,
  decodeWatermarkPayload,
  encodeWatermarkPayload,
  type DigitalWatermarkMark,
} from './watermark-payload.js';

export type { DigitalWatermarkMark } from './watermark-payload.js';

/** The usertype of the emulator's watermark `uuid` box (a fixed random UUID, chosen once for this format). */
export const WATERMARK_BOX_UUID = WATERMARK_UUID;
const USER_TYPE = WATERMARK_BOX_UUID.replaceAll('-', '');
const BOX_HEADER = 8 + 16;

/** What kind of watermark an extraction job looks for (`ExtractDigitalWatermark`). */
export interface WatermarkKind {
  /** Must equal the embedded type. */
  readonly type: string;
  /** Must equal the embedded version. */
  readonly version: string;
}

/**
 * The outcome of {@link extractWatermark}. The reason {@link UNSUPPORTED_REASON} (its wording kept for callers
 * that compare it) says the file is neither an MP4 / MOV nor a Matroska / WebM file.
 */
export type WatermarkExtraction = { found: true; message: string } | { found: false; reason: string };

/** The reason of an extraction from a file in neither container. */
export const UNSUPPORTED_REASON = 'not an MP4 file';

const NOT_FOUND: WatermarkExtraction = { found: false, reason: 'no digital watermark found' };
const CORRUPT: WatermarkExtraction = { found: false, reason: 'watermark payload is corrupt' };
const UNSUPPORTED: WatermarkExtraction = { found: false, reason: UNSUPPORTED_REASON };

const isOurs = (box: BoxHeader): boolean => box.type === 'uuid' && box.userType === USER_TYPE;

/**
 * Encodes a watermark as a complete top-level `uuid` box, ready to append to an MP4.
 *
 * @param mark - type `Text`, version `V1` and the message.
 * @returns the box bytes.
 * @throws RangeError when the type or version is not the service's, or the message is empty, longer than 64
 *   characters or has characters other than Chinese characters, ASCII letters, digits, `_`, `-` and `*`.
 */
export function watermarkBox(mark: DigitalWatermarkMark): Buffer {
  const payload = encodeWatermarkPayload(mark);
  const head = Buffer.alloc(BOX_HEADER);
  head.writeUInt32BE(BOX_HEADER + payload.length, 0);
  head.write('uuid', 4, 'latin1');
  head.write(USER_TYPE, 8, 'hex');
  return Buffer.concat([head, payload]);
}

/** A piece of the output: a byte range of the input, or literal bytes. */
type Piece = { readonly start: number; readonly end: number } | Buffer;

/**
 * The pieces of a watermarked copy: the input without any watermark box of ours, then `box`. A last box sized
 * "to the end of the file" gets its real size written, or it would swallow the appended box.
 */
function plan(boxes: readonly BoxHeader[], fileSize: number, box: Buffer): Piece[] {
  const pieces: Piece[] = [];
  let at = 0;
  for (const header of boxes) {
    if (!isOurs(header)) continue;
    if (header.offset > at) pieces.push({ start: at, end: header.offset });
    at = header.offset + header.size;
  }
  const last = boxes.at(-1);
  if (last && last.toEndOfFile && !isOurs(last)) {
    if (last.size > 0xffffffff) {
      throw new MediaProbeError('cannot append a watermark after an open-ended box over 4 GiB');
    }
    const size = Buffer.alloc(4);
    size.writeUInt32BE(last.size);
    pieces.push({ start: at, end: last.offset }, size);
    at = last.offset + 4;
  }
  if (fileSize > at) pieces.push({ start: at, end: fileSize });
  pieces.push(box);
  return pieces;
}

/**
 * Copies `input` to `output`, streaming, and appends the watermark box of `mark`. A watermark box of ours already
 * in the input is dropped, so re-watermarking replaces the message. Without `mark` the copy is byte for byte
 * (an existing watermark is kept, as a robust watermark survives transcoding). A Matroska / WebM input is copied,
 * then watermarked in place as {@link embedDigitalWatermark} does.
 *
 * @param input - path of the source file.
 * @param output - path of the file to write (created or truncated); must not be `input`.
 * @param mark - the watermark to embed, or `undefined` for a plain copy.
 * @returns the size of the written file in bytes.
 * @throws RangeError for an invalid `mark`; {@link MediaProbeError} when `mark` is given and `input` is neither an
 *   MP4 nor a Matroska / WebM file.
 */
export async function writeWatermarkedCopy(
  input: string,
  output: string,
  mark?: DigitalWatermarkMark,
): Promise<{ size: number }> {
  if (resolve(input) === resolve(output)) throw new RangeError('the watermarked copy must not overwrite its input');
  const box = mark && watermarkBox(mark);
  if (!box) {
    await pipeline(createReadStream(input), createWriteStream(output));
    return { size: (await stat(output)).size };
  }
  const handle = await open(input, 'r');
  let pieces: Piece[];
  try {
    if (isMatroska(await head(handle))) {
      await pipeline(createReadStream(input), createWriteStream(output));
      return await embedDigitalWatermark(output, 'webm', mark);
    }
    const { size } = await handle.stat();
    pieces = plan(await walkTopLevelBoxes(handle, size), size, box);
  } finally {
    await handle.close();
  }
  async function* bytes(): AsyncGenerator<Buffer> {
    for (const piece of pieces) {
      if (Buffer.isBuffer(piece)) yield piece;
      else if (piece.end > piece.start) yield* createReadStream(input, { start: piece.start, end: piece.end - 1 });
    }
  }
  await pipeline(bytes, createWriteStream(output));
  const length = (piece: Piece): number => (Buffer.isBuffer(piece) ? piece.length : piece.end - piece.start);
  return { size: pieces.reduce((sum, piece) => sum + length(piece), 0) };
}

/** Checks an embedded watermark's kind against the one an extraction looks for. */
function matching(payload: Buffer, expected: WatermarkKind): WatermarkExtraction {
  const mark = payload.length <= MAX_PAYLOAD ? decodeWatermarkPayload(payload) : undefined;
  if (!mark) return CORRUPT;
  if (mark.type !== expected.type || mark.version !== expected.version) {
    return { found: false, reason: 'watermark type/version mismatch' };
  }
  return { found: true, message: mark.message };
}

/** The first bytes of a file, to tell its container. */
async function head(handle: FileHandle): Promise<Buffer> {
  const bytes = Buffer.alloc(16);
  const { bytesRead } = await handle.read(bytes, 0, bytes.length, 0);
  return bytes.subarray(0, bytesRead);
}

/** The MP4 watermark: the last `uuid` box of ours among the top-level boxes. */
async function extractFromMp4(handle: FileHandle, size: number, expected: WatermarkKind): Promise<WatermarkExtraction> {
  let boxes: BoxHeader[];
  try {
    boxes = await walkTopLevelBoxes(handle, size);
  } catch (error) {
    if (error instanceof MediaProbeError) return UNSUPPORTED;
    throw error;
  }
  const box = boxes.filter(isOurs).at(-1);
  if (!box) return NOT_FOUND;
  const length = box.size - box.headerSize;
  if (length > MAX_PAYLOAD) return CORRUPT;
  const payload = Buffer.alloc(length);
  const { bytesRead } = await handle.read(payload, 0, length, box.offset + box.headerSize);
  return bytesRead === length ? matching(payload, expected) : CORRUPT;
}

/**
 * Looks for the emulator's digital watermark in a file and decodes it. The container is told from the file's first
 * bytes: Matroska / WebM (the `Void` element ending the file), else MP4 / MOV (the last `uuid` box of ours, should
 * there be several).
 *
 * @param file - path of the file to examine.
 * @param expected - the `Type` and `Version` of the extraction job; they must match the embedded ones.
 * @returns the message, or why there is none: `not an MP4 file` (neither container),
 *   `no digital watermark found`, `watermark type/version mismatch` or `watermark payload is corrupt`.
 * @throws only for file-system errors (a missing file, for example), never for the file's content.
 */
export async function extractWatermark(file: string, expected: WatermarkKind): Promise<WatermarkExtraction> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (!isMatroska(await head(handle))) return await extractFromMp4(handle, size, expected);
    const found = await findMatroskaWatermark(handle, size);
    return found ? matching(found.payload, expected) : NOT_FOUND;
  } finally {
    await handle.close();
  }
}

/** Embeds in an MP4 in place when the boxes of ours are at its end (the usual case), else through a copy. */
async function embedInMp4(handle: FileHandle, mark: DigitalWatermarkMark): Promise<number> {
  const box = watermarkBox(mark);
  let { size } = await handle.stat();
  const boxes = await walkTopLevelBoxes(handle, size);
  let keep = boxes.length;
  while (keep > 0 && isOurs(boxes[keep - 1]!)) keep -= 1;
  if (boxes.slice(0, keep).some(isOurs)) return -1;
  const last = boxes[keep - 1];
  if (keep < boxes.length) {
    size = boxes[keep]!.offset;
    await handle.truncate(size);
  }
  if (last?.toEndOfFile) {
    if (last.size > 0xffffffff) {
      throw new MediaProbeError('cannot append a watermark after an open-ended box over 4 GiB');
    }
    const field = Buffer.alloc(4);
    field.writeUInt32BE(last.size);
    await handle.write(field, 0, 4, last.offset);
  }
  await handle.write(box, 0, box.length, size);
  return size + box.length;
}

/**
 * Embeds the digital watermark of a transcode job in its encoded output, **in place**: the file is changed where it
 * is (a watermark of ours already in it is replaced), so the caller commits the same path afterwards. The container
 * is told from the file's bytes; `extension` only names it in messages.
 *
 * @param file - the encoded output (MP4 / MOV or Matroska / WebM).
 * @param extension - what `${ext}` resolved to (`mp4`, `webm`...).
 * @param mark - the watermark.
 * @returns the file's new size in bytes.
 * @throws RangeError for an invalid `mark`; {@link MediaProbeError} when the file is in neither container or is a
 *   malformed MP4.
 * @example
 * ```ts
 * const { size } = await embedDigitalWatermark(temp, 'webm', { type: 'Text', version: 'V1', message: 'abc' });
 * ```
 */
export async function embedDigitalWatermark(
  file: string,
  extension: string,
  mark: DigitalWatermarkMark,
): Promise<{ size: number }> {
  const payload = encodeWatermarkPayload(mark);
  const handle = await open(file, 'r+');
  let size: number;
  try {
    const first = await head(handle);
    if (isMatroska(first)) return { size: await embedMatroskaWatermark(handle, payload) };
    try {
      size = await embedInMp4(handle, mark);
    } catch (error) {
      if (!(error instanceof MediaProbeError) || !error.message.startsWith('not an MP4')) throw error;
      throw new MediaProbeError(`cannot embed a digital watermark in this .${extension} file: ${error.message}`);
    }
  } finally {
    await handle.close();
  }
  if (size >= 0) return { size };
  const copy = `${file}.watermark`;
  try {
    const written = await writeWatermarkedCopy(file, copy, mark);
    await rename(copy, file);
    return written;
  } finally {
    await rm(copy, { force: true });
  }
}
