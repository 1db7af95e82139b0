/**
 * A small, defensive ISO-BMFF (MP4 / MOV) probe: walks the top-level boxes of a file with positional reads, reads
 * only the `moov` box into memory (at most {@link MAX_MOOV_BYTES}) and reports what the CI service's `MediaInfo`
 * needs: duration, tracks, codecs, dimensions, audio layout and sample counts. Every read is bounds-checked, box
 * counts and nesting are capped, and a malformed file ends in a {@link MediaProbeError}, never a hang.
 *
 * Fragmented MP4 (`moof` boxes) is probed from its `moov` only, so sample counts are those of the `moov`.
 *
 * @module
 */

import { open, type FileHandle } from 'node:fs/promises';

/** Largest `moov` box the probe reads into memory: 16 MiB. */
export const MAX_MOOV_BYTES = 16 * 1024 * 1024;
/** Most top-level boxes a file may have before the walker gives up. */
export const MAX_TOP_LEVEL_BOXES = 100_000;
const MAX_CHILD_BOXES = 10_000;
const MAX_DEPTH = 8;
/** Box types a file may start with (QuickTime files may start with `moov`, `mdat`, `wide`...). */
const FIRST_BOX_TYPES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'uuid']);

/** The file is not an MP4 / MOV, or it is truncated or malformed. The message says which and where. */
export class MediaProbeError extends Error {
  override name = 'MediaProbeError';
}

/** A box header as the walker found it. Offsets and sizes are in bytes from the start of the file. */
export interface BoxHeader {
  /** The four-character type (`ftyp`, `moov`, `mdat`, `uuid`...). */
  readonly type: string;
  /** Where the box starts. */
  readonly offset: number;
  /** Bytes of header: 8, 16 with a 64-bit `largesize`, plus 16 for a `uuid` box's usertype. */
  readonly headerSize: number;
  /** The whole box, header included. */
  readonly size: number;
  /** Whether the size field was 0 ("to the end of the file"). */
  readonly toEndOfFile: boolean;
  /** For a `uuid` box: its 16-byte usertype as 32 lowercase hex digits. */
  readonly userType?: string;
}

/** What a track carries, from its `hdlr` handler type. */
export type TrackKind = 'video' | 'audio' | 'subtitle' | 'other';

/** One `trak` of the `moov`. Absent fields were not in the file. */
export interface Mp4Track {
  /** `tkhd` track ID. */
  readonly trackId: number;
  /** `hdlr` handler type (`vide`, `soun`, `sbtl`...), `''` without a `hdlr`. */
  readonly handlerType: string;
  /** The handler type as a kind. */
  readonly kind: TrackKind;
  /** `mdhd` time scale (units per second). */
  readonly timescale: number;
  /** `mdhd` duration in time-scale units (0 when unknown). */
  readonly duration: number;
  /** `duration / timescale`. */
  readonly durationSeconds: number;
  /** `mdhd` ISO-639-2 language (`und`, `eng`...). */
  readonly language?: string;
  /** The first `stsd` sample entry's four-character code (`avc1`, `hvc1`, `mp4a`...). */
  readonly codec?: string;
  /** Video: the sample entry's coded width in pixels. */
  readonly width?: number;
  /** Video: the sample entry's coded height in pixels. */
  readonly height?: number;
  /** `tkhd` presentation width (16.16 fixed point, as a number). */
  readonly displayWidth?: number;
  /** `tkhd` presentation height (16.16 fixed point, as a number). */
  readonly displayHeight?: number;
  /** Clockwise rotation in degrees from the `tkhd` matrix (0, 90, 180 or 270 for the usual matrices). */
  readonly rotation: number;
  /** Video: `pasp` pixel aspect ratio as `[hSpacing, vSpacing]`. */
  readonly pixelAspect?: readonly [number, number];
  /** Video: `avcC`/`hvcC` profile indication (`profile_idc`, `general_profile_idc`). */
  readonly profileIdc?: number;
  /** Video: `avcC` constraint flags (`profile_compatibility`). */
  readonly profileConstraints?: number;
  /** Video: `avcC`/`hvcC` level indication (`level_idc`, `general_level_idc`). */
  readonly levelIdc?: number;
  /** Audio: sample entry channel count. */
  readonly channels?: number;
  /** Audio: sample entry sample rate in Hz. */
  readonly sampleRate?: number;
  /** `stsz`/`stz2` sample count (frames of a video track). */
  readonly sampleCount?: number;
  /** Sum of the `stsz` sample sizes in bytes. */
  readonly sampleBytes?: number;
}

/** What {@link probeMp4} found. */
export interface Mp4Probe {
  /** Size of the file in bytes. */
  readonly fileSize: number;
  /** `ftyp` major brand (`isom`, `mp42`, `qt  `...), absent without a `ftyp`. */
  readonly majorBrand?: string;
  /** `mvhd` time scale. */
  readonly timescale: number;
  /** `mvhd` duration in time-scale units (0 when unknown). */
  readonly duration: number;
  /** Duration in seconds: `mvhd`, or the longest track when `mvhd` gives none. */
  readonly durationSeconds: number;
  /** Overall bit rate in bits per second (file size / duration), absent without a duration. */
  readonly bitrate?: number;
  /** The tracks, in `moov` order. */
  readonly tracks: readonly Mp4Track[];
  /** The top-level boxes, in file order. */
  readonly boxes: readonly BoxHeader[];
}

/** A box inside the in-memory `moov`. */
interface Child {
  readonly type: string;
  /** First byte of the payload in the buffer, and one past the last byte of the box. */
  readonly start: number;
  readonly end: number;
}

const fail = (message: string): never => {
  throw new MediaProbeError(message);
};

const isPrintable = (bytes: Buffer): boolean => bytes.every((byte) => byte >= 0x20 && byte <= 0x7e);

/** Checks that `length` bytes at `at` lie inside `box`: every read of a box's fields goes through it. */
function need(at: number, length: number, box: Child): void {
  if (at < box.start || at + length > box.end) fail(`malformed MP4: the '${box.type}' box is truncated`);
}
const u8 = (buf: Buffer, at: number, box: Child): number => (need(at, 1, box), buf.readUInt8(at));
const u16 = (buf: Buffer, at: number, box: Child): number => (need(at, 2, box), buf.readUInt16BE(at));
const u32 = (buf: Buffer, at: number, box: Child): number => (need(at, 4, box), buf.readUInt32BE(at));
const i32 = (buf: Buffer, at: number, box: Child): number => (need(at, 4, box), buf.readInt32BE(at));
/** A 64-bit unsigned field; `NaN` when it exceeds `Number.MAX_SAFE_INTEGER`. */
function u64(buf: Buffer, at: number, box: Child): number {
  need(at, 8, box);
  const value = buf.readBigUInt64BE(at);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.NaN : Number(value);
}
const fourcc = (buf: Buffer, at: number, box: Child): string => (need(at, 4, box), buf.toString('latin1', at, at + 4));

/**
 * Parses the box header at the start of `bytes` (up to 32 bytes of it). `room` is how many bytes the enclosing
 * file or box has left there; `where` and `within` place the box in messages.
 */
function parseHeader(bytes: Buffer, offset: number, room: number, where: string, within: string): BoxHeader {
  if (bytes.length < 8) fail(`malformed MP4: truncated box header ${where}`);
  const typeBytes = bytes.subarray(4, 8);
  if (!isPrintable(typeBytes)) fail(`malformed MP4: invalid box type 0x${typeBytes.toString('hex')} ${where}`);
  const type = typeBytes.toString('latin1');
  const size32 = bytes.readUInt32BE(0);
  let [headerSize, size] = [8, size32 === 0 ? room : size32];
  if (size32 === 1) {
    if (bytes.length < 16) fail(`malformed MP4: truncated 64-bit size of box '${type}' ${where}`);
    [headerSize, size] = [16, u64(bytes, 8, { type, start: 0, end: bytes.length })];
    if (Number.isNaN(size)) fail(`malformed MP4: box '${type}' ${where} has an impossible 64-bit size`);
  }
  let userType: string | undefined;
  if (type === 'uuid') {
    if (bytes.length < headerSize + 16) fail(`malformed MP4: truncated usertype of 'uuid' box ${where}`);
    userType = bytes.toString('hex', headerSize, headerSize + 16);
    headerSize += 16;
  }
  if (size < headerSize) fail(`malformed MP4: box '${type}' ${where} has an invalid size ${size}`);
  if (size > room) fail(`malformed MP4: box '${type}' ${where} (${size} bytes) runs past the end of ${within}`);
  const header = { type, offset, headerSize, size, toEndOfFile: size32 === 0 };
  return userType === undefined ? header : { ...header, userType };
}

/**
 * Lists the top-level boxes of an open file, reading only their headers: positional reads of a 4 KiB window, so a
 * run of small boxes costs one read and a large box is skipped, not read.
 *
 * @param handle - an open file.
 * @param fileSize - its size in bytes.
 * @returns the boxes in file order, covering the whole file.
 * @throws {@link MediaProbeError} when the file is empty, does not start like an MP4, or a box is malformed or
 *   runs past the end of the file.
 */
export async function walkTopLevelBoxes(handle: FileHandle, fileSize: number): Promise<BoxHeader[]> {
  if (fileSize === 0) fail('not an MP4 file: the file is empty');
  const boxes: BoxHeader[] = [];
  const window = Buffer.alloc(4096);
  let [windowStart, windowLength, offset] = [0, 0, 0];
  while (offset < fileSize) {
    if (boxes.length >= MAX_TOP_LEVEL_BOXES) fail(`unsupported MP4: over ${MAX_TOP_LEVEL_BOXES} top-level boxes`);
    const wanted = Math.min(32, fileSize - offset);
    if (offset < windowStart || offset + wanted > windowStart + windowLength) {
      windowStart = offset;
      ({ bytesRead: windowLength } = await handle.read(window, 0, Math.min(window.length, fileSize - offset), offset));
    }
    const bytes = window.subarray(offset - windowStart, Math.min(offset - windowStart + wanted, windowLength));
    if (boxes.length === 0 && (bytes.length < 8 || !FIRST_BOX_TYPES.has(bytes.toString('latin1', 4, 8)))) {
      fail('not an MP4 file: it does not start with an ISO-BMFF box such as ftyp or moov');
    }
    const header = parseHeader(bytes, offset, fileSize - offset, `at offset ${offset}`, 'the file');
    boxes.push(header);
    offset += header.size;
  }
  return boxes;
}

/** The boxes inside `buf[start, end)`, the payload of a `parent` box at nesting `depth`. */
function children(buf: Buffer, start: number, end: number, parent: string, depth: number): Child[] {
  if (depth > MAX_DEPTH) fail(`malformed MP4: boxes nested deeper than ${MAX_DEPTH} levels`);
  const found: Child[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 8 && buf.subarray(at, end).every((byte) => byte === 0)) break; // QuickTime zero terminator
    if (found.length >= MAX_CHILD_BOXES) fail(`malformed MP4: more than ${MAX_CHILD_BOXES} boxes in '${parent}'`);
    const bytes = buf.subarray(at, Math.min(end, at + 32));
    const header = parseHeader(bytes, at, end - at, `in '${parent}'`, `its parent '${parent}'`);
    found.push({ type: header.type, start: at + header.headerSize, end: at + header.size });
    at += header.size;
  }
  return found;
}

const find = (boxes: readonly Child[], type: string): Child | undefined => boxes.find((box) => box.type === type);

/** Reads the creation/modification/timescale/duration header shared by `mvhd` and `mdhd`. */
function timing(buf: Buffer, box: Child): { timescale: number; duration: number; next: number } {
  const version = u8(buf, box.start, box);
  const at = box.start + (version === 1 ? 20 : 12);
  const timescale = u32(buf, at, box);
  let duration = version === 1 ? u64(buf, at + 4, box) : u32(buf, at + 4, box);
  if (Number.isNaN(duration) || (version !== 1 && duration === 0xffffffff)) duration = 0;
  return { timescale, duration, next: at + (version === 1 ? 12 : 8) };
}

/** Unpacks an ISO-639-2 language (three 5-bit letters); QuickTime Macintosh codes give `undefined`. */
function language(packed: number): string | undefined {
  if (packed < 0x400 || packed === 0x7fff) return undefined;
  const codes = [(packed >> 10) & 31, (packed >> 5) & 31, packed & 31].map((code) => code + 0x60);
  return codes.every((code) => code >= 0x61 && code <= 0x7a) ? String.fromCharCode(...codes) : undefined;
}

const KINDS: Partial<Record<string, TrackKind>> = { vide: 'video', soun: 'audio' };
const SUBTITLE_HANDLERS = new Set(['sbtl', 'text', 'subt']);

type SampleEntry = Pick<Mp4Track, 'codec' | 'width' | 'height' | 'pixelAspect' | 'profileIdc' | 'levelIdc'> &
  Pick<Mp4Track, 'profileConstraints' | 'channels' | 'sampleRate'>;

/** A visual sample entry: coded size, then `pasp` and the `avcC`/`hvcC` profile and level among its boxes. */
function videoEntry(buf: Buffer, entry: Child, depth: number): SampleEntry {
  const inner = children(buf, entry.start + 78, entry.end, entry.type, depth);
  const [pasp, avcC, hvcC] = [find(inner, 'pasp'), find(inner, 'avcC'), find(inner, 'hvcC')];
  const aspect = pasp ? ([u32(buf, pasp.start, pasp), u32(buf, pasp.start + 4, pasp)] as const) : ([0, 0] as const);
  return {
    codec: entry.type,
    width: u16(buf, entry.start + 24, entry),
    height: u16(buf, entry.start + 26, entry),
    ...(aspect[0] > 0 && aspect[1] > 0 ? { pixelAspect: aspect } : {}),
    ...(avcC && {
      profileIdc: u8(buf, avcC.start + 1, avcC),
      profileConstraints: u8(buf, avcC.start + 2, avcC),
      levelIdc: u8(buf, avcC.start + 3, avcC),
    }),
    ...(hvcC && { profileIdc: u8(buf, hvcC.start + 1, hvcC) & 0x1f, levelIdc: u8(buf, hvcC.start + 12, hvcC) }),
  };
}

/** An audio sample entry: ISO, or QuickTime sound version 1 or 2. */
function audioEntry(buf: Buffer, entry: Child): SampleEntry {
  const soundVersion = u16(buf, entry.start + 8, entry);
  const v2 = soundVersion === 2;
  if (v2) need(entry.start + 32, 8, entry);
  const channels = v2 ? u32(buf, entry.start + 40, entry) : u16(buf, entry.start + 16, entry);
  const sampleRate = v2 ? buf.readDoubleBE(entry.start + 32) : u32(buf, entry.start + 24, entry) / 65536;
  return { codec: entry.type, channels, sampleRate };
}

/** The first sample entry of `stsd`: its code, and the video or audio fields for `kind`. */
function sampleEntry(buf: Buffer, stsd: Child, kind: TrackKind, depth: number): SampleEntry {
  const [entry] = u32(buf, stsd.start + 4, stsd) === 0 ? [] : children(buf, stsd.start + 8, stsd.end, 'stsd', depth);
  if (!entry) return {};
  if (kind === 'video') return videoEntry(buf, entry, depth + 1);
  return kind === 'audio' ? audioEntry(buf, entry) : { codec: entry.type };
}

/** Sample count and, for `stsz`, the sum of the sample sizes. */
function sampleSizes(buf: Buffer, stbl: readonly Child[]): Pick<Mp4Track, 'sampleCount' | 'sampleBytes'> {
  const stsz = find(stbl, 'stsz');
  if (stsz) {
    const fixed = u32(buf, stsz.start + 4, stsz);
    const sampleCount = u32(buf, stsz.start + 8, stsz);
    if (fixed !== 0) return { sampleCount, sampleBytes: fixed * sampleCount };
    need(stsz.start + 12, sampleCount * 4, stsz);
    let sampleBytes = 0;
    for (let i = 0; i < sampleCount; i += 1) sampleBytes += buf.readUInt32BE(stsz.start + 12 + i * 4);
    return { sampleCount, sampleBytes };
  }
  const stz2 = find(stbl, 'stz2');
  return stz2 ? { sampleCount: u32(buf, stz2.start + 8, stz2) } : {};
}

/** One `trak`: `tkhd`, `mdia/mdhd`, `mdia/hdlr` and `mdia/minf/stbl`. */
function parseTrack(buf: Buffer, trak: Child, depth: number): Mp4Track {
  const boxes = children(buf, trak.start, trak.end, 'trak', depth);
  const tkhd = find(boxes, 'tkhd') ?? fail("malformed MP4: a 'trak' has no 'tkhd'");
  const mdia = find(boxes, 'mdia') ?? fail("malformed MP4: a 'trak' has no 'mdia'");
  const tkhdVersion = u8(buf, tkhd.start, tkhd);
  const trackId = u32(buf, tkhd.start + (tkhdVersion === 1 ? 20 : 12), tkhd);
  const matrix = tkhd.start + (tkhdVersion === 1 ? 52 : 40);
  const [a, b] = [i32(buf, matrix, tkhd), i32(buf, matrix + 4, tkhd)];
  const rotation = (Math.round((Math.atan2(b, a) * 180) / Math.PI) + 360) % 360;
  const displayWidth = u32(buf, matrix + 36, tkhd) / 65536;
  const displayHeight = u32(buf, matrix + 40, tkhd) / 65536;

  const media = children(buf, mdia.start, mdia.end, 'mdia', depth + 1);
  const mdhd = find(media, 'mdhd') ?? fail("malformed MP4: a 'mdia' has no 'mdhd'");
  const { timescale, duration, next } = timing(buf, mdhd);
  const lang = language(u16(buf, next, mdhd));
  const hdlr = find(media, 'hdlr');
  const handlerType = hdlr ? fourcc(buf, hdlr.start + 8, hdlr) : '';
  const kind = KINDS[handlerType] ?? (SUBTITLE_HANDLERS.has(handlerType) ? 'subtitle' : 'other');
  const minf = find(media, 'minf');
  const stblBox = minf && find(children(buf, minf.start, minf.end, 'minf', depth + 2), 'stbl');
  const stbl = stblBox ? children(buf, stblBox.start, stblBox.end, 'stbl', depth + 3) : [];
  const stsd = find(stbl, 'stsd');
  return {
    trackId,
    handlerType,
    kind,
    timescale,
    duration,
    durationSeconds: timescale > 0 ? duration / timescale : 0,
    ...(lang === undefined ? {} : { language: lang }),
    ...(stsd ? sampleEntry(buf, stsd, kind, depth + 4) : {}),
    ...(kind === 'video' ? { displayWidth, displayHeight } : {}),
    rotation,
    ...sampleSizes(buf, stbl),
  };
}

/** Reads the `ftyp` major brand with one positional read. */
async function majorBrand(handle: FileHandle, box: BoxHeader): Promise<{ majorBrand?: string }> {
  if (box.size - box.headerSize < 4) return {};
  const brand = Buffer.alloc(4);
  await handle.read(brand, 0, 4, box.offset + box.headerSize);
  return { majorBrand: brand.toString('latin1') };
}

/**
 * Probes an MP4 / MOV file without loading it: top-level box headers are read in place, and only the `moov` box
 * (at most {@link MAX_MOOV_BYTES}) is read into memory. Works with `moov` before or after `mdat`.
 *
 * @param file - path of the file.
 * @returns the container's duration, brands and tracks.
 * @throws {@link MediaProbeError} when the file is not an MP4, is truncated, has no `moov` or a malformed one.
 * @example
 * ```ts
 * const probe = await probeMp4('/tmp/video.mp4');
 * const video = probe.tracks.find((track) => track.kind === 'video');
 * ```
 */
export async function probeMp4(file: string): Promise<Mp4Probe> {
  const handle = await open(file, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const boxes = await walkTopLevelBoxes(handle, fileSize);
    const ftyp = boxes.find((box) => box.type === 'ftyp');
    const moovBox = boxes.find((box) => box.type === 'moov') ?? fail("malformed MP4: the file has no 'moov' box");
    const moovLength = moovBox.size - moovBox.headerSize;
    if (moovLength > MAX_MOOV_BYTES) fail(`unsupported MP4: the 'moov' box (${moovLength} bytes) is over 16 MiB`);
    const moov = Buffer.alloc(moovLength);
    const { bytesRead } = await handle.read(moov, 0, moovLength, moovBox.offset + moovBox.headerSize);
    if (bytesRead !== moovLength) fail("malformed MP4: the 'moov' box could not be read in full");

    const top = children(moov, 0, moov.length, 'moov', 1);
    if (find(top, 'cmov')) fail("unsupported MP4: the 'moov' box is compressed");
    const mvhd = find(top, 'mvhd') ?? fail("malformed MP4: the 'moov' box has no 'mvhd'");
    const { timescale, duration } = timing(moov, mvhd);
    const tracks = top.filter((box) => box.type === 'trak').map((trak) => parseTrack(moov, trak, 2));
    const fromMvhd = timescale > 0 ? duration / timescale : 0;
    const durationSeconds = fromMvhd > 0 ? fromMvhd : Math.max(0, ...tracks.map((track) => track.durationSeconds));
    return {
      fileSize,
      ...(ftyp ? await majorBrand(handle, ftyp) : {}),
      timescale,
      duration,
      durationSeconds,
      ...(durationSeconds > 0 ? { bitrate: (fileSize * 8) / durationSeconds } : {}),
      tracks,
      boxes,
    };
  } finally {
    await handle.close();
  }
}
