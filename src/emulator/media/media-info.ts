/**
 * Builds the CI service's `Operation.MediaInfo` element from an {@link Mp4Probe}, the way the service writes it:
 * every value a string, fractional numbers with six decimals (`"4.000000"`), ffprobe's codec names and tags.
 * Fields the probe cannot derive are omitted rather than invented; the fixed container names, `StartTime` and the
 * sample format of the usual decoders are the exceptions.
 *
 * @module
 */

import type { Mp4Probe, Mp4Track } from './mp4-probe.js';

/** `MediaInfo.Format`. */
export interface CiMediaFormat {
  /** Overall bit rate in kbps. */
  Bitrate?: string;
  /** Seconds. */
  Duration?: string;
  FormatLongName: string;
  FormatName: string;
  NumProgram: string;
  NumStream: string;
  /** Bytes. */
  Size: string;
  StartTime: string;
}

/** One `MediaInfo.Stream.Video`. */
export interface CiVideoStream {
  Index: string;
  CodecName?: string;
  CodecLongName?: string;
  /** ffprobe's `codec_tag`: the fourcc read as a little-endian number, `0x31637661` for `avc1`. */
  CodecTag?: string;
  CodecTagString?: string;
  Profile?: string;
  Level?: string;
  Width?: string;
  Height?: string;
  Sar?: string;
  Dar?: string;
  PixFormat?: string;
  Fps?: string;
  AvgFps?: string;
  NumFrames?: string;
  Duration: string;
  /** kbps. */
  Bitrate?: string;
  Language?: string;
  Timebase?: string;
  StartTime: string;
  Rotation: string;
}

/** One `MediaInfo.Stream.Audio`. */
export interface CiAudioStream {
  Index: string;
  CodecName?: string;
  CodecLongName?: string;
  CodecTag?: string;
  CodecTagString?: string;
  Channel?: string;
  ChannelLayout?: string;
  SampleRate?: string;
  SampleFmt?: string;
  Duration: string;
  /** kbps. */
  Bitrate?: string;
  Timebase?: string;
  Language?: string;
  StartTime: string;
}

/** One `MediaInfo.Stream.Subtitle`. */
export interface CiSubtitleStream {
  Index: string;
  Language?: string;
}

/** `Operation.MediaInfo` as the service writes it; parses with `MediaInfoSchema`. */
export interface CiMediaInfo {
  Format: CiMediaFormat;
  Stream: { Video: CiVideoStream[]; Audio: CiAudioStream[]; Subtitle: CiSubtitleStream[] };
}

/** A number as the service writes fractions: six decimals. */
const decimal = (value: number): string => value.toFixed(6);

/** ffprobe's `codec_tag`: the four bytes of the code read little-endian, as `0x` and eight hex digits. */
function codecTag(fourcc: string): string {
  return `0x${Buffer.from(fourcc.padEnd(4, ' ').slice(0, 4), 'latin1').readUInt32LE(0).toString(16).padStart(8, '0')}`;
}

interface Codec {
  readonly name: string;
  readonly longName?: string;
}

const H264: Codec = { name: 'h264', longName: 'H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10' };
const HEVC: Codec = { name: 'hevc', longName: 'H.265 / HEVC (High Efficiency Video Coding)' };
const VIDEO_CODECS: Record<string, Codec> = { avc1: H264, avc3: H264, hvc1: HEVC, hev1: HEVC };

const AAC: Codec = { name: 'aac', longName: 'AAC (Advanced Audio Coding)' };
const AUDIO_CODECS: Record<string, Codec> = {
  mp4a: AAC,
  'ac-3': { name: 'ac3', longName: 'ATSC A/52A (AC-3)' },
  'ec-3': { name: 'eac3', longName: 'ATSC A/52B (AC-3, E-AC-3)' },
  Opus: { name: 'opus', longName: 'Opus (Opus Interactive Audio Codec)' },
};
/** Decoders whose output ffprobe reports as planar float. */
const PLANAR_FLOAT = new Set(['aac', 'ac3', 'eac3', 'opus']);

const H264_PROFILES: Record<number, string> = {
  66: 'Baseline',
  77: 'Main',
  88: 'Extended',
  100: 'High',
  110: 'High 10',
  122: 'High 4:2:2',
  244: 'High 4:4:4 Predictive',
};
const HEVC_PROFILES: Record<number, string> = { 1: 'Main', 2: 'Main 10', 3: 'Main Still Picture', 4: 'Rext' };

/** Profile name as ffprobe prints it (`Constrained Baseline` when constraint_set1 is set). */
function profile(codec: Codec | undefined, track: Mp4Track): string | undefined {
  if (track.profileIdc === undefined) return undefined;
  if (codec === H264) {
    const constrained = track.profileIdc === 66 && ((track.profileConstraints ?? 0) & 0x40) !== 0;
    return constrained ? 'Constrained Baseline' : H264_PROFILES[track.profileIdc];
  }
  return codec === HEVC ? HEVC_PROFILES[track.profileIdc] : undefined;
}

/** Pixel format implied by the profile: 8-bit 4:2:0 for the common ones, 10-bit for High 10 / Main 10. */
function pixFormat(codec: Codec | undefined, profileName: string | undefined): string | undefined {
  if (profileName === 'High 10' || profileName === 'Main 10') return 'yuv420p10le';
  if (codec === H264 && profileName !== undefined && !profileName.startsWith('High ')) return 'yuv420p';
  if (codec === HEVC && (profileName === 'Main' || profileName === 'Main Still Picture')) return 'yuv420p';
  return undefined;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** `a:b` reduced. */
function ratio(a: number, b: number): string {
  const divisor = gcd(a, b) || 1;
  return `${a / divisor}:${b / divisor}`;
}

const CHANNEL_LAYOUTS: Record<number, string> = { 1: 'mono', 2: 'stereo', 6: '5.1', 8: '7.1' };

/** kbps from a byte count and a duration, when both are known. */
const kbps = (bytes: number | undefined, seconds: number): string | undefined =>
  bytes !== undefined && seconds > 0 ? decimal((bytes * 8) / seconds / 1000) : undefined;

/** Drops the `undefined` fields, so the element has no empty children. */
function defined<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as T;
}

/** The fields video and audio streams share, after `Index`, `CodecName` and `CodecLongName`. */
function common(track: Mp4Track) {
  return {
    CodecTag: track.codec === undefined ? undefined : codecTag(track.codec),
    CodecTagString: track.codec,
    Duration: decimal(track.durationSeconds),
    Language: track.language,
    Timebase: track.timescale > 0 ? `1/${track.timescale}` : undefined,
    StartTime: decimal(0),
  };
}

function videoStream(track: Mp4Track, index: number): CiVideoStream {
  const codec = track.codec === undefined ? undefined : (VIDEO_CODECS[track.codec] ?? { name: track.codec });
  const profileName = profile(codec, track);
  const width = track.width || track.displayWidth || undefined;
  const height = track.height || track.displayHeight || undefined;
  const [hSpacing, vSpacing] = track.pixelAspect ?? [];
  const frames = track.sampleCount;
  const fps = frames !== undefined && track.durationSeconds > 0 ? decimal(frames / track.durationSeconds) : undefined;
  return defined({
    Index: String(index),
    CodecName: codec?.name,
    CodecLongName: codec?.longName,
    ...common(track),
    Profile: profileName,
    Level: track.levelIdc === undefined ? undefined : String(track.levelIdc),
    Width: width === undefined ? undefined : String(width),
    Height: height === undefined ? undefined : String(height),
    Sar: hSpacing && vSpacing ? ratio(hSpacing, vSpacing) : undefined,
    Dar: hSpacing && vSpacing && width && height ? ratio(width * hSpacing, height * vSpacing) : undefined,
    PixFormat: pixFormat(codec, profileName),
    Fps: fps,
    AvgFps: fps,
    NumFrames: frames === undefined ? undefined : String(frames),
    Bitrate: kbps(track.sampleBytes, track.durationSeconds),
    Rotation: String(track.rotation),
  });
}

function audioStream(track: Mp4Track, index: number): CiAudioStream {
  const codec = track.codec === undefined ? undefined : (AUDIO_CODECS[track.codec] ?? { name: track.codec });
  const channels = track.channels;
  return defined({
    Index: String(index),
    CodecName: codec?.name,
    CodecLongName: codec?.longName,
    ...common(track),
    Channel: channels === undefined ? undefined : String(channels),
    ChannelLayout: channels ? (CHANNEL_LAYOUTS[channels] ?? `${channels} channels`) : undefined,
    SampleRate: track.sampleRate ? String(Math.round(track.sampleRate)) : undefined,
    SampleFmt: codec && PLANAR_FLOAT.has(codec.name) ? 'fltp' : undefined,
    Bitrate: kbps(track.sampleBytes, track.durationSeconds),
  });
}

/**
 * The CI `MediaInfo` of a probed MP4.
 *
 * @param probe - what `probeMp4` found.
 * @param fileSize - size of the described file in bytes; defaults to the probed size (pass the output's size
 *   when the probe was of another copy of the same media).
 * @returns `Format` and the `Video`, `Audio` and `Subtitle` streams, indexed in track order.
 * @example
 * ```ts
 * const info = mediaInfoFromProbe(await probeMp4('/tmp/out.mp4'));
 * info.Format.Duration; // "4.000000"
 * ```
 */
export function mediaInfoFromProbe(probe: Mp4Probe, fileSize: number = probe.fileSize): CiMediaInfo {
  const info: CiMediaInfo = { Format: formatOf(probe, fileSize), Stream: { Video: [], Audio: [], Subtitle: [] } };
  probe.tracks.forEach((track, index) => {
    if (track.kind === 'video') info.Stream.Video.push(videoStream(track, index));
    else if (track.kind === 'audio') info.Stream.Audio.push(audioStream(track, index));
    else if (track.kind === 'subtitle') {
      info.Stream.Subtitle.push(defined({ Index: String(index), Language: track.language }));
    }
  });
  return info;
}

function formatOf(probe: Mp4Probe, fileSize: number): CiMediaFormat {
  const seconds = probe.durationSeconds;
  return defined({
    Bitrate: kbps(fileSize, seconds),
    Duration: seconds > 0 ? decimal(seconds) : undefined,
    FormatLongName: 'QuickTime / MOV',
    FormatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    NumProgram: '0',
    NumStream: String(probe.tracks.length),
    Size: String(fileSize),
    StartTime: decimal(0),
  });
}
