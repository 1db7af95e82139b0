/**
 * The CI `MediaInfo` of a real output file, read with ffprobe for any container (MP4, WebM / Matroska, MPEG-TS...),
 * in the shape {@link mediaInfoFromProbe} gives from the MP4 parser: every value a string, fractions with six
 * decimals, ffprobe's codec names and tags. Without an ffprobe the MP4 parser is used, so MP4 / MOV outputs are
 * still described; other containers then fail with a {@link MediaProbeError}.
 *
 * ffprobe runs with a time limit ({@link PROBE_TIMEOUT_MS}) and a cap on what it may print ({@link PROBE_MAX_OUTPUT});
 * a file that makes it exceed either is reported as not probed, never waited for.
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { mediaInfoFromProbe, type CiAudioStream, type CiMediaInfo, type CiVideoStream } from './media-info.js';
import { MediaProbeError, probeMp4 } from './mp4-probe.js';

/** Longest an ffprobe run may take before it is killed. */
export const PROBE_TIMEOUT_MS = 15_000;
/** Most bytes of JSON an ffprobe run may print. */
export const PROBE_MAX_OUTPUT = 4 * 1024 * 1024;

/** What {@link probeMediaInfo} needs of the located tools (a `MediaTools` of `ffmpeg-tools.ts` fits). */
export type ProbeTools = { readonly mode: 'ffmpeg'; readonly ffprobe: string | undefined } | { readonly mode: 'copy' };

/** The parts of ffprobe's `-show_streams` JSON this module reads. */
interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  codec_long_name?: string;
  codec_tag?: string;
  codec_tag_string?: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  display_aspect_ratio?: string;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  duration?: string;
  bit_rate?: string;
  time_base?: string;
  start_time?: string;
  sample_fmt?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
}

/** The parts of ffprobe's `-show_format` JSON this module reads. */
interface FfprobeFormat {
  nb_streams?: number;
  nb_programs?: number;
  format_name?: string;
  format_long_name?: string;
  start_time?: string;
  duration?: string;
}

/** ffprobe's JSON answer. */
export interface FfprobeResult {
  streams?: FfprobeStream[];
  format?: FfprobeFormat;
}

/**
 * Runs ffprobe on `file` and parses its JSON; `countPackets` adds `-count_packets` (reads the whole file). When
 * `signal` aborts (the emulator closing), ffprobe is killed at once and the promise rejects.
 */
export function runFfprobe(
  ffprobe: string,
  file: string,
  countPackets = false,
  signal?: AbortSignal,
): Promise<FfprobeResult> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams'];
  if (countPackets) args.push('-count_packets');
  const options = { timeout: PROBE_TIMEOUT_MS, maxBuffer: PROBE_MAX_OUTPUT, killSignal: 'SIGKILL' as const, signal };
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new MediaProbeError('the probe was stopped: the emulator is closing'));
      return;
    }
    execFile(ffprobe, [...args, '--', file], options, (error, stdout, stderr) => {
      if (error) {
        const why = signal?.aborted
          ? 'the probe was stopped: the emulator is closing'
          : (error as { killed?: boolean }).killed
          ? `ffprobe did not answer within ${PROBE_TIMEOUT_MS} ms or printed too much`
          : `ffprobe could not read the file: ${String(stderr).trim().split('\n').at(-1) || error.message}`;
        reject(new MediaProbeError(why));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as FfprobeResult);
      } catch {
        reject(new MediaProbeError('ffprobe printed something that is not JSON'));
      }
    });
  });
}

/** A number as the service writes fractions: six decimals. */
const decimal = (value: number): string => value.toFixed(6);

/** A finite number from ffprobe's text, or `undefined` (`N/A`, absent). */
function numberOf(value: string | number | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** `30000/1001` as a number; `undefined` for `0/0` or junk. */
function fraction(value: string | undefined): number | undefined {
  const [num, den] = (value ?? '').split('/').map(Number);
  return num !== undefined && den !== undefined && num > 0 && den > 0 ? num / den : undefined;
}

/** Matroska's `DURATION` tag, `00:00:04.000000000`, in seconds. */
function clockSeconds(value: string | undefined): number | undefined {
  const match = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value ?? '');
  return match ? Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]) : undefined;
}

/** A tag by name, whatever its case (MP4 writes `language`, Matroska `LANGUAGE` or `language`). */
const tag = (stream: FfprobeStream, name: string): string | undefined =>
  Object.entries(stream.tags ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];

/** Drops the `undefined` fields, so the element has no empty children. */
function defined<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as T;
}

const ratio = (value: string | undefined): string | undefined =>
  value && /^[1-9]\d*:[1-9]\d*$/.test(value) ? value : undefined;

/** Clockwise rotation in degrees: the old `rotate` tag, or the display matrix's counter-clockwise `rotation`. */
function rotation(stream: FfprobeStream): number {
  const tagged = numberOf(tag(stream, 'rotate'));
  const matrix = stream.side_data_list?.find((data) => data.rotation !== undefined)?.rotation;
  const degrees = tagged ?? (matrix === undefined ? 0 : -matrix);
  return ((Math.round(degrees) % 360) + 360) % 360;
}

/** A codec tag ffprobe prints as `0x0000` / `[0][0][0][0]` means "none" (Matroska): left out. */
const codecTag = (stream: FfprobeStream) =>
  stream.codec_tag && !/^0x0+$/.test(stream.codec_tag)
    ? { CodecTag: stream.codec_tag, CodecTagString: stream.codec_tag_string }
    : {};

/** The fields video and audio streams share. */
function common(stream: FfprobeStream, formatSeconds: number | undefined) {
  const seconds = numberOf(stream.duration) ?? clockSeconds(tag(stream, 'duration')) ?? formatSeconds ?? 0;
  const bitrate = numberOf(stream.bit_rate) ?? numberOf(tag(stream, 'bps'));
  const language = tag(stream, 'language');
  return {
    Index: String(stream.index ?? 0),
    CodecName: stream.codec_name,
    CodecLongName: stream.codec_long_name,
    ...codecTag(stream),
    Duration: decimal(seconds),
    Bitrate: bitrate === undefined ? undefined : decimal(bitrate / 1000),
    Language: language,
    Timebase: stream.time_base,
    StartTime: decimal(numberOf(stream.start_time) ?? 0),
  };
}

function videoStream(stream: FfprobeStream, formatSeconds: number | undefined): CiVideoStream {
  const shared = common(stream, formatSeconds);
  const [fps, avgFps] = [fraction(stream.r_frame_rate), fraction(stream.avg_frame_rate)];
  const frames = numberOf(stream.nb_frames) ?? numberOf(stream.nb_read_packets);
  return defined({
    ...shared,
    Profile: stream.profile,
    Level: stream.level !== undefined && stream.level >= 0 ? String(stream.level) : undefined,
    Width: stream.width ? String(stream.width) : undefined,
    Height: stream.height ? String(stream.height) : undefined,
    Sar: ratio(stream.sample_aspect_ratio),
    Dar: ratio(stream.display_aspect_ratio),
    PixFormat: stream.pix_fmt,
    Fps: fps === undefined ? undefined : decimal(fps),
    AvgFps: avgFps === undefined ? undefined : decimal(avgFps),
    NumFrames: frames === undefined ? undefined : String(frames),
    Rotation: String(rotation(stream)),
  });
}

function audioStream(stream: FfprobeStream, formatSeconds: number | undefined): CiAudioStream {
  return defined({
    ...common(stream, formatSeconds),
    Channel: stream.channels === undefined ? undefined : String(stream.channels),
    ChannelLayout: stream.channel_layout,
    SampleRate: stream.sample_rate,
    SampleFmt: stream.sample_fmt,
  });
}

/**
 * The CI `MediaInfo` of ffprobe's answer about a file.
 *
 * @param probe - ffprobe's `-show_format -show_streams` JSON.
 * @param size - the file's size in bytes (`Format.Size`, and the overall bit rate with the duration).
 * @returns `Format` and the `Video`, `Audio` and `Subtitle` streams, indexed as ffprobe indexes them.
 */
export function mediaInfoFromFfprobe(probe: FfprobeResult, size: number): CiMediaInfo {
  const format = probe.format ?? {};
  const streams = probe.streams ?? [];
  const seconds = numberOf(format.duration);
  const info: CiMediaInfo = {
    Format: defined({
      Bitrate: seconds ? decimal((size * 8) / seconds / 1000) : undefined,
      Duration: seconds === undefined ? undefined : decimal(seconds),
      FormatLongName: format.format_long_name ?? '',
      FormatName: format.format_name ?? '',
      NumProgram: String(format.nb_programs ?? 0),
      NumStream: String(format.nb_streams ?? streams.length),
      Size: String(size),
      StartTime: decimal(numberOf(format.start_time) ?? 0),
    }),
    Stream: { Video: [], Audio: [], Subtitle: [] },
  };
  for (const stream of streams) {
    const isCover = tag(stream, 'mimetype')?.startsWith('image/') || stream.codec_name === 'png';
    if (stream.codec_type === 'video' && !isCover) info.Stream.Video.push(videoStream(stream, seconds));
    else if (stream.codec_type === 'audio') info.Stream.Audio.push(audioStream(stream, seconds));
    else if (stream.codec_type === 'subtitle') {
      info.Stream.Subtitle.push(defined({ Index: String(stream.index ?? 0), Language: tag(stream, 'language') }));
    }
  }
  return info;
}

/**
 * Describes a media file as the CI service's `MediaInfo`: with ffprobe when the tools have one (any container; the
 * frame count of a container that does not store it, such as WebM, comes from a second, packet-counting run), with
 * the MP4 parser otherwise.
 *
 * @param tools - the located media tools (`mode: 'copy'` or no `ffprobe`: the MP4 parser).
 * @param file - path of the file.
 * @param size - its size in bytes.
 * @param signal - kills ffprobe when it aborts (the emulator closing).
 * @returns the `MediaInfo` element's content.
 * @throws {@link MediaProbeError} when the file cannot be probed (not media, ffprobe timed out, or not an MP4 and
 *   there is no ffprobe).
 * @example
 * ```ts
 * const info = await probeMediaInfo(tools, '/tmp/out.webm', (await stat('/tmp/out.webm')).size);
 * info.Stream.Video[0]?.CodecName; // "vp9"
 * ```
 */
export async function probeMediaInfo(
  tools: ProbeTools,
  file: string,
  size: number,
  signal?: AbortSignal,
): Promise<CiMediaInfo> {
  const ffprobe = tools.mode === 'ffmpeg' ? tools.ffprobe : undefined;
  if (ffprobe === undefined) return mediaInfoFromProbe(await probeMp4(file), size);
  let probe = await runFfprobe(ffprobe, file, false, signal);
  const uncounted = probe.streams?.some((stream) => stream.codec_type === 'video' && stream.nb_frames === undefined);
  if (uncounted) probe = await runFfprobe(ffprobe, file, true, signal).catch(() => probe);
  return mediaInfoFromFfprobe(probe, size);
}
