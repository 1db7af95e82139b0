import { open, rm, stat } from 'node:fs/promises';
import type { EmulatorEnv } from '../env.js';
import { embedDigitalWatermark, type DigitalWatermarkMark } from '../media/digital-watermark.js';
import { planEncode, type EncodePlan, type EncodeSource } from '../media/encode-plan.js';
import { EncodeError, runFfmpeg } from '../media/ffmpeg-run.js';
import type { MediaTools } from '../media/ffmpeg-tools.js';
import { chooseFontFile, fontQueryFor } from '../media/fonts.js';
import type { CiMediaInfo } from '../media/media-info.js';
import { probeMediaInfo } from '../media/media-probe.js';
import { EncodePlanError, imageObjectOf } from '../media/watermark-filters.js';
import type { TranscodeTemplate } from './templates.js';

/** FFmpeg found at start. */
export type FfmpegTools = Extract<MediaTools, { mode: 'ffmpeg' }>;

/** What a job's encode is told and tells. */
export interface EncodeControl {
  /** Aborts when the emulator closes: FFmpeg is killed and the temporary files removed. */
  readonly signal: AbortSignal;
  /** The encoder's progress, 0 to 1. */
  readonly onProgress: (fraction: number) => void;
}

/** Why an encode did not give an output: the failed job's `Code` and `Message`. */
export class EncodeFailure extends Error {
  override name = 'EncodeFailure' as const;

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The encoded output, in a temporary file the caller commits or removes. */
export interface EncodedOutput {
  file: string;
  size: number;
  mediaInfo: CiMediaInfo;
  /** The container's MIME type. */
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = { mp4: 'video/mp4', webm: 'video/webm' };

const num = (text: string | undefined): number | undefined => {
  const value = text === undefined ? NaN : Number(text);
  return Number.isFinite(value) && value > 0 ? value : undefined;
};

/**
 * Text that starts playlists and manifests (HLS, FFmpeg concat, DASH, SMIL...): FFmpeg would open the files and URLs
 * they name, so that an uploaded one could make the emulator read any file of the machine into an output.
 */
const REFERENCING_INPUT = /^(?:\uFEFF)?\s*(?:#EXTM3U|ffconcat|<\?xml|<MPD|<smil|\[playlist\])/i;

/** Demuxers (ffprobe's `format_name` parts) that open other files or URLs. */
const REFERENCING_FORMATS = new Set(['hls', 'applehttp', 'concat', 'dash', 'webm_dash_manifest', 'smil', 'tee']);

/** The first bytes of a file. */
async function headOf(file: string, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(length), 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Refuses an input that names other files or URLs (see {@link REFERENCING_INPUT}). */
async function refuseReferencingInput(file: string): Promise<void> {
  if (REFERENCING_INPUT.test((await headOf(file, 256)).toString('utf8'))) {
    throw new EncodeFailure('InvalidInput', 'The input object is a playlist or manifest, not a video file.');
  }
}

/** Whether a file starts as a PNG, JPEG, GIF, BMP or WebP picture does (what FFmpeg then reads as one image). */
async function isPicture(file: string): Promise<boolean> {
  const bytes = await headOf(file, 12);
  const ascii = (from: number, to: number) => bytes.toString('latin1', from, to);
  return (
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) ||
    (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) ||
    ascii(0, 4) === 'GIF8' ||
    ascii(0, 2) === 'BM' ||
    (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP')
  );
}

/** The source's picture as displayed (a 90° rotation swaps its sides), duration and audio, from its probe. */
async function describeSource(
  tools: FfmpegTools,
  file: string,
  dataDir: string,
  signal: AbortSignal,
): Promise<EncodeSource> {
  await refuseReferencingInput(file);
  let info: CiMediaInfo;
  try {
    info = await probeMediaInfo(tools, file, (await stat(file)).size, signal);
  } catch (error) {
    // ffprobe's message names the file: the client sees neither its path nor the data folder's.
    const why = (error as Error).message.replaceAll(file, 'the input').replaceAll(dataDir, '<data>');
    throw new EncodeFailure('InvalidInput', `The input object is not a video FFmpeg can read: ${why}`);
  }
  if (info.Format.FormatName.split(',').some((name) => REFERENCING_FORMATS.has(name))) {
    throw new EncodeFailure('InvalidInput', 'The input object is a playlist or manifest, not a video file.');
  }
  const video = info.Stream.Video[0];
  const width = num(video?.Width);
  const height = num(video?.Height);
  if (!video || width === undefined || height === undefined) {
    throw new EncodeFailure('InvalidInput', 'The input object has no video stream.');
  }
  const turned = Math.abs(Number(video.Rotation) || 0) % 180 === 90;
  const fps = num(video.AvgFps) ?? num(video.Fps);
  // The video stream's rate (else the file's): the TSC template never outputs more bits than it was given.
  const bitrateKbps = num(video.Bitrate) ?? num(info.Format.Bitrate);
  return {
    file,
    width: turned ? height : width,
    height: turned ? width : height,
    durationSeconds: num(info.Format.Duration) ?? num(video.Duration) ?? 0,
    hasAudio: info.Stream.Audio.length > 0,
    ...(fps === undefined ? {} : { fps }),
    ...(bitrateKbps === undefined ? {} : { bitrateKbps }),
  };
}

/**
 * Local files of the image watermarks' objects (`Image.Url` → file); a URL whose object is missing is left out (the
 * plan fails it, `ResourceNotFound`). An object that is not a PNG, JPEG, GIF, BMP or WebP picture fails the job
 * (`InvalidInput`): FFmpeg would read anything, a playlist naming local files included.
 */
async function imageFiles(env: EmulatorEnv, bucket: string, urls: readonly string[]): Promise<Map<string, string>> {
  const images = new Map<string, string>();
  for (const url of urls) {
    const object = imageObjectOf(url, bucket);
    const file = object && (await env.objects.localFile(object.bucket, object.key));
    if (file === undefined) continue;
    if (!(await isPicture(file))) {
      throw new EncodeFailure('InvalidInput', `The watermark image ${url} is not a PNG, JPEG, GIF, BMP or WebP picture.`);
    }
    images.set(url, file);
  }
  return images;
}

/** Fails with `EncoderUnavailable` when the binary lacks an encoder or filter the plan needs, naming it. */
function checkCapabilities(tools: FfmpegTools, plan: EncodePlan, template: TranscodeTemplate): void {
  const encoders = plan.encoders.filter((name) => !tools.encoders.has(name));
  const filters = plan.filters.filter((name) => !tools.filters.has(name));
  if (encoders.length === 0 && filters.length === 0) return;
  const needs = [
    ...encoders.map((name) => `the encoder ${name}`),
    ...filters.map((name) => `the filter ${name}`),
  ].join(' and ');
  throw new EncodeFailure(
    'EncoderUnavailable',
    `The template ${template.name} (${template.id}) needs ${needs}, which the emulator's FFmpeg ` +
      `(${tools.version}, from ${tools.source}) does not have; use an FFmpeg built with it (--ffmpeg <path>).`,
  );
}

/**
 * Encodes a transcode job's input as its template says, with its visible watermarks drawn, into a temporary file
 * (`env.objects.tempFile()` with the container's extension), then adds the digital watermark when asked and reads
 * the output's `MediaInfo`. Throws an {@link EncodeFailure} (the job's `Code` and `Message`) or, when `signal`
 * aborts, an {@link EncodeError} `Aborted`; either way no temporary file is left.
 *
 * Failure codes: `InvalidInput` (an input FFmpeg cannot read, without video, or a playlist; one whose aspect ratio
 * makes a one-sided template's output longer than 4096 px on a side; a watermark image that is no picture), `ResourceNotFound` (a watermark
 * image object that does not exist), `FontNotFound` (a text watermark on a machine without fonts),
 * `EncoderUnavailable` (an encoder or filter the FFmpeg in use lacks), `JobTimeout` (longer than `media.timeoutMs`),
 * `EncodeFailed` (FFmpeg exited with an error: the message ends with its last lines).
 */
export async function encodeTranscode(
  env: EmulatorEnv,
  tools: FfmpegTools,
  job: { bucket: string; template: TranscodeTemplate; operation: Parameters<EmulatorEnv['templates']['resolveWatermarks']>[0] },
  source: string,
  mark: DigitalWatermarkMark | undefined,
  control: EncodeControl,
): Promise<EncodedOutput> {
  const { template } = job;
  const described = await describeSource(tools, source, env.dataDir, control.signal);
  const watermarks = env.templates.resolveWatermarks(job.operation, job.bucket);
  const urls = watermarks.flatMap((w) => (w.Type === 'Image' && w.Image ? [w.Image.Url] : []));
  const fontQuery = fontQueryFor(watermarks);
  const encoded = `${env.objects.tempFile()}.${template.container}`;
  const temps = [encoded];
  try {
    let plan: EncodePlan;
    try {
      plan = planEncode({
        template,
        watermarks,
        source: described,
        images: await imageFiles(env, job.bucket, urls),
        fontFile: fontQuery && (await chooseFontFile(fontQuery)),
        output: encoded,
        threads: env.options.media.threads,
      });
    } catch (error) {
      if (error instanceof EncodePlanError) throw new EncodeFailure(error.code, error.message);
      throw error;
    }
    checkCapabilities(tools, plan, template);
    try {
      await runFfmpeg({
        tools,
        // The input is opened as a local file only: no URL an input could name is fetched.
        args: ['-protocol_whitelist', 'file', ...plan.args],
        durationSeconds: described.durationSeconds,
        timeoutMs: env.options.media.timeoutMs,
        signal: control.signal,
        onProgress: control.onProgress,
        redact: [env.dataDir, source],
      });
    } catch (error) {
      if (error instanceof EncodeError && error.code !== 'Aborted') throw new EncodeFailure(error.code, error.message);
      throw error;
    }
    const file = encoded;
    // The encoder's own temporary output carries the mark: written in place, no second copy of the video.
    if (mark) await embedDigitalWatermark(file, template.container, mark);
    const { size } = await stat(file);
    let mediaInfo: CiMediaInfo;
    try {
      mediaInfo = await probeMediaInfo(tools, file, size, control.signal);
    } catch (error) {
      // Without ffprobe only MP4 outputs can be described (a WebM one then fails here).
      const hint = tools.ffprobe === undefined ? ' No ffprobe was found: pass --ffprobe <path>.' : '';
      const why = (error as Error).message.replaceAll(file, 'the output').replaceAll(env.dataDir, '<data>');
      throw new EncodeFailure('InternalError', `The output's MediaInfo could not be read: ${why}.${hint}`);
    }
    temps.splice(temps.indexOf(file), 1);
    return { file, size, mediaInfo, contentType: CONTENT_TYPES[template.container] ?? 'application/octet-stream' };
  } finally {
    await Promise.all(temps.map((temp) => rm(temp, { force: true })));
  }
}
