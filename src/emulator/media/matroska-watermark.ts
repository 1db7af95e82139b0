/**
 * The emulator's digital watermark in a Matroska / WebM file: one EBML `Void` element (ID `0xEC`) appended as the
 * file's last element. `Void` is a global element that every Matroska reader skips at any level, so the file keeps
 * playing and seeking with its clusters and cues untouched. The element's data is {@link WATERMARK_UUID_BYTES}, then
 * the payload of `watermark-payload.ts`.
 *
 * Because the element always ends the file, it is found again by reading the file's last bytes only, whether the
 * `Segment` before it has a known size or not.
 *
 * @module
 */

import type { FileHandle } from 'node:fs/promises';
import { MAX_PAYLOAD, WATERMARK_UUID_BYTES } from './watermark-payload.js';

/** The EBML magic every Matroska / WebM file starts with (the ID of the `EBML` header element). */
const EBML_MAGIC = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);
const VOID_ID = 0xec;
/** ID byte and a two-byte size. */
const ELEMENT_HEAD = 3;
const LONGEST = ELEMENT_HEAD + WATERMARK_UUID_BYTES.length + MAX_PAYLOAD;
/** Most watermarks of ours stripped from one file's end before giving up (each was appended by an earlier embed). */
const MAX_STRIPPED = 16;

/** Whether a file's first bytes are those of an EBML (Matroska / WebM) file. */
export const isMatroska = (head: Buffer): boolean => head.subarray(0, 4).equals(EBML_MAGIC);

/** A complete `Void` element carrying `payload`. */
export function matroskaWatermarkElement(payload: Buffer): Buffer {
  const length = WATERMARK_UUID_BYTES.length + payload.length;
  if (length > 0x3ffe) throw new RangeError('digital watermark payload too large');
  const head = Buffer.from([VOID_ID, 0x40 | (length >> 8), length & 0xff]);
  return Buffer.concat([head, WATERMARK_UUID_BYTES, payload]);
}

/**
 * The watermark element of ours that ends the file, if any: where it starts and its payload.
 *
 * @param handle - the open file.
 * @param size - its size in bytes.
 */
export async function findMatroskaWatermark(
  handle: FileHandle,
  size: number,
): Promise<{ offset: number; payload: Buffer } | undefined> {
  const length = Math.min(size, LONGEST);
  const tail = Buffer.alloc(length);
  const { bytesRead } = await handle.read(tail, 0, length, size - length);
  if (bytesRead !== length) return undefined;
  const start = ELEMENT_HEAD + WATERMARK_UUID_BYTES.length;
  for (let at = 0; at + start <= length; at += 1) {
    if (tail[at] !== VOID_ID || ((tail[at + 1] ?? 0) & 0xc0) !== 0x40) continue;
    const dataLength = (((tail[at + 1] ?? 0) & 0x3f) << 8) | (tail[at + 2] ?? 0);
    if (at + ELEMENT_HEAD + dataLength !== length) continue;
    if (!tail.subarray(at + ELEMENT_HEAD, at + start).equals(WATERMARK_UUID_BYTES)) continue;
    return { offset: size - length + at, payload: tail.subarray(at + start) };
  }
  return undefined;
}

/**
 * Embeds a watermark in a Matroska / WebM file in place: watermarks of ours at its end are cut off (re-watermarking
 * replaces the message), then the new element is appended.
 *
 * @param handle - the file, open for reading and writing.
 * @param payload - the encoded watermark.
 * @returns the file's new size.
 */
export async function embedMatroskaWatermark(handle: FileHandle, payload: Buffer): Promise<number> {
  let { size } = await handle.stat();
  for (let stripped = 0; stripped < MAX_STRIPPED; stripped += 1) {
    const found = await findMatroskaWatermark(handle, size);
    if (!found) break;
    await handle.truncate(found.offset);
    size = found.offset;
  }
  const element = matroskaWatermarkElement(payload);
  await handle.write(element, 0, element.length, size);
  return size + element.length;
}
