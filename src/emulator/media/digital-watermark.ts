/**
 * The emulator's CI "digital watermark": a text message embedded in an output MP4 and found again from its bytes.
 *
 * The message travels in one extra top-level ISO-BMFF `uuid` box appended to the file. Players and demuxers skip
 * unknown top-level boxes, so the file stays a valid, playable MP4 with its sample offsets untouched. The box is
 * recognised by its usertype, {@link WATERMARK_BOX_UUID}, and carries a versioned payload:
 *
 * ```text
 * u8  format version (1)
 * u32 CRC-32 (big-endian) of the body below
 * u8  length + ASCII Type     ("Text")
 * u8  length + ASCII Version  ("V1")
 * u16 length + UTF-8 Message
 * ```
 *
 * Unlike the service's watermark this one does not survive re-encoding; the emulator only copies bytes.
 *
 * @module
 */

import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { WATERMARK_TEXT_PATTERN } from '../../core/protocol/watermark.js';
import { MediaProbeError, walkTopLevelBoxes, type BoxHeader } from './mp4-probe.js';

/** The usertype of the emulator's watermark `uuid` box (a fixed random UUID, chosen once for this format). */
export const WATERMARK_BOX_UUID = '2ac02c43-3d7d-4066-b6b2-14559c154fe8';
const USER_TYPE = WATERMARK_BOX_UUID.replaceAll('-', '');
const FORMAT_VERSION = 1;
/** Largest payload a watermark box of ours may have; anything larger is treated as corrupt. */
const MAX_PAYLOAD = 1024;
const BOX_HEADER = 8 + 16;

/** A digital watermark to embed: the `DigitalWatermark` operation of a transcode job. */
export interface DigitalWatermarkMark {
  /** The service's only type. */
  readonly type: 'Text';
  /** The service's only version. */
  readonly version: 'V1';
  /** 1 to 64 Chinese characters, ASCII letters, digits, `_`, `-` or `*`. */
  readonly message: string;
}

/** What kind of watermark an extraction job looks for (`ExtractDigitalWatermark`). */
export interface WatermarkKind {
  /** Must equal the embedded type. */
  readonly type: string;
  /** Must equal the embedded version. */
  readonly version: string;
}

/** The outcome of {@link extractWatermark}. */
export type WatermarkExtraction = { found: true; message: string } | { found: false; reason: string };

const NOT_FOUND: WatermarkExtraction = { found: false, reason: 'no digital watermark found' };
const CORRUPT: WatermarkExtraction = { found: false, reason: 'watermark payload is corrupt' };

const isOurs = (box: BoxHeader): boolean => box.type === 'uuid' && box.userType === USER_TYPE;

function prefixed(value: string, encoding: 'latin1' | 'utf8', width: 1 | 2): Buffer {
  const bytes = Buffer.from(value, encoding);
  const length = Buffer.alloc(width);
  length.writeUIntBE(bytes.length, 0, width);
  return Buffer.concat([length, bytes]);
}

/**
 * Encodes a watermark as a complete top-level `uuid` box, ready to append to an MP4.
 *
 * @param mark - type `Text`, version `V1` and the message.
 * @returns the box bytes.
 * @throws RangeError when the type or version is not the service's, or the message is empty, longer than 64
 *   characters or has characters other than Chinese characters, ASCII letters, digits, `_`, `-` and `*`.
 */
export function watermarkBox(mark: DigitalWatermarkMark): Buffer {
  if (mark.type !== 'Text' || mark.version !== 'V1') {
    throw new RangeError('digital watermark must be Type Text, Version V1');
  }
  if (typeof mark.message !== 'string' || !WATERMARK_TEXT_PATTERN.test(mark.message)) {
    throw new RangeError('digital watermark message must be 1 to 64 Chinese characters, letters, digits, _, - or *');
  }
  const body = Buffer.concat([
    prefixed(mark.type, 'latin1', 1),
    prefixed(mark.version, 'latin1', 1),
    prefixed(mark.message, 'utf8', 2),
  ]);
  const head = Buffer.alloc(BOX_HEADER + 5);
  head.writeUInt32BE(BOX_HEADER + 5 + body.length, 0);
  head.write('uuid', 4, 'latin1');
  head.write(USER_TYPE, 8, 'hex');
  head.writeUInt8(FORMAT_VERSION, BOX_HEADER);
  head.writeUInt32BE(crc32(body), BOX_HEADER + 1);
  return Buffer.concat([head, body]);
}

/** Decodes a payload written by {@link watermarkBox}; `undefined` when it is corrupt or of an unknown format. */
function decodePayload(payload: Buffer): { type: string; version: string; message: string } | undefined {
  if (payload.length < 5 || payload.readUInt8(0) !== FORMAT_VERSION) return undefined;
  const body = payload.subarray(5);
  if (crc32(body) !== payload.readUInt32BE(1)) return undefined;
  let at = 0;
  const field = (width: 1 | 2, encoding: 'latin1' | 'utf8'): string | undefined => {
    if (at + width > body.length) return undefined;
    const length = body.readUIntBE(at, width);
    const start = at + width;
    if (start + length > body.length) return undefined;
    at = start + length;
    const bytes = body.subarray(start, at);
    try {
      return encoding === 'utf8' ? new TextDecoder('utf-8', { fatal: true }).decode(bytes) : bytes.toString('latin1');
    } catch {
      return undefined;
    }
  };
  const type = field(1, 'latin1');
  const version = field(1, 'latin1');
  const message = field(2, 'utf8');
  if (type === undefined || version === undefined || message === undefined || at !== body.length) return undefined;
  return { type, version, message };
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
 * (an existing watermark is kept, as a robust watermark survives transcoding).
 *
 * @param input - path of the source file.
 * @param output - path of the file to write (created or truncated); must not be `input`.
 * @param mark - the watermark to embed, or `undefined` for a plain copy.
 * @returns the size of the written file in bytes.
 * @throws RangeError for an invalid `mark`; {@link MediaProbeError} when `mark` is given and `input` is not an MP4.
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

/**
 * Looks for the emulator's digital watermark in a file's top-level boxes and decodes it (the last one wins, should
 * there be several).
 *
 * @param file - path of the file to examine.
 * @param expected - the `Type` and `Version` of the extraction job; they must match the embedded ones.
 * @returns the message, or why there is none: `not an MP4 file`, `no digital watermark found`,
 *   `watermark type/version mismatch` or `watermark payload is corrupt`.
 * @throws only for file-system errors (a missing file, for example), never for the file's content.
 */
export async function extractWatermark(file: string, expected: WatermarkKind): Promise<WatermarkExtraction> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    let boxes: BoxHeader[];
    try {
      boxes = await walkTopLevelBoxes(handle, size);
    } catch (error) {
      if (error instanceof MediaProbeError) return { found: false, reason: 'not an MP4 file' };
      throw error;
    }
    const box = boxes.filter(isOurs).at(-1);
    if (!box) return NOT_FOUND;
    const length = box.size - box.headerSize;
    if (length > MAX_PAYLOAD) return CORRUPT;
    const payload = Buffer.alloc(length);
    const { bytesRead } = await handle.read(payload, 0, length, box.offset + box.headerSize);
    const mark = bytesRead === length ? decodePayload(payload) : undefined;
    if (!mark) return CORRUPT;
    if (mark.type !== expected.type || mark.version !== expected.version) {
      return { found: false, reason: 'watermark type/version mismatch' };
    }
    return { found: true, message: mark.message };
  } finally {
    await handle.close();
  }
}
