/**
 * The bytes of the emulator's digital watermark, whatever the container carrying them (an MP4 `uuid` box, a
 * Matroska `Void` element): a versioned, checksummed record of the watermark's type, version and message.
 *
 * ```text
 * u8  format version (1)
 * u32 CRC-32 (big-endian) of the body below
 * u8  length + ASCII Type     ("Text")
 * u8  length + ASCII Version  ("V1")
 * u16 length + UTF-8 Message
 * ```
 *
 * @module
 */

import { crc32 } from 'node:zlib';
import { WATERMARK_TEXT_PATTERN } from '../../core/protocol/watermark.js';

/** Identifies the emulator's watermark inside its carrier (a fixed random UUID, chosen once for this format). */
export const WATERMARK_UUID = '2ac02c43-3d7d-4066-b6b2-14559c154fe8';
/** {@link WATERMARK_UUID} as its 16 bytes. */
export const WATERMARK_UUID_BYTES = Buffer.from(WATERMARK_UUID.replaceAll('-', ''), 'hex');
const FORMAT_VERSION = 1;
/** Largest payload a watermark of ours may have; anything larger is treated as corrupt. */
export const MAX_PAYLOAD = 1024;

/** A digital watermark to embed: the `DigitalWatermark` operation of a transcode job. */
export interface DigitalWatermarkMark {
  /** The service's only type. */
  readonly type: 'Text';
  /** The service's only version. */
  readonly version: 'V1';
  /** 1 to 64 Chinese characters, ASCII letters, digits, `_`, `-` or `*`. */
  readonly message: string;
}

function prefixed(value: string, encoding: 'latin1' | 'utf8', width: 1 | 2): Buffer {
  const bytes = Buffer.from(value, encoding);
  const length = Buffer.alloc(width);
  length.writeUIntBE(bytes.length, 0, width);
  return Buffer.concat([length, bytes]);
}

/**
 * Encodes a watermark's payload.
 *
 * @param mark - type `Text`, version `V1` and the message.
 * @returns the payload bytes (format version, CRC, body).
 * @throws RangeError when the type or version is not the service's, or the message is empty, longer than 64
 *   characters or has characters other than Chinese characters, ASCII letters, digits, `_`, `-` and `*`.
 */
export function encodeWatermarkPayload(mark: DigitalWatermarkMark): Buffer {
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
  const head = Buffer.alloc(5);
  head.writeUInt8(FORMAT_VERSION, 0);
  head.writeUInt32BE(crc32(body), 1);
  return Buffer.concat([head, body]);
}

/** The fields of a decoded payload. */
export interface DecodedWatermark {
  readonly type: string;
  readonly version: string;
  readonly message: string;
}

/** Decodes a payload written by {@link encodeWatermarkPayload}; `undefined` when corrupt or of an unknown format. */
export function decodeWatermarkPayload(payload: Buffer): DecodedWatermark | undefined {
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
