/**
 * What a transcode template and visible watermarks mean as FFmpeg arguments. Pure: no I/O, no clock; the caller
 * (the job) finds the binary, the font and the watermark images, runs the arguments and checks that the binary has
 * every encoder and filter the plan lists.
 *
 * Codec settings per template (see `ci/templates.ts` for the table and the TSC choice):
 *
 * | codec | encoder | defaults | container extras |
 * |---|---|---|---|
 * | H.264 | `libx264` | preset `veryfast`, CRF 23, `yuv420p`, profile high | mp4: `-movflags +faststart` |
 * | H.264 TSC | `libx264` | preset `medium`, CRF 23 capped at ~0.07 bit/pixel and the source's bitrate, `aq-mode 3`, `psy-rd 1.0:0.15` | idem |
 * | H.265 | `libx265` | preset `ultrafast`, CRF 28, `yuv420p` | mp4: `-tag:v hvc1` (Apple players and browsers) |
 * | VP9 | `libvpx-vp9` | `deadline realtime`, `cpu-used 8`, `row-mt`, CRF 36 (`-b:v 0`) | webm |
 * | aac / mp3 / opus | `aac` / `libmp3lame` / `libopus` | template's rate and bitrate; channels as the template says, else the source's | |
 *
 * @module
 */

import type { Watermark } from '../../core/protocol/watermark.js';
import type { TranscodeTemplate } from '../ci/templates.js';
import { EncodePlanError, watermarkFilters, type WatermarkInput } from './watermark-filters.js';

export { EncodePlanError };

/** The source video as probed by the caller. */
export interface EncodeSource {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly durationSeconds: number;
  readonly hasAudio: boolean;
  readonly fps?: number;
  /** Overall bitrate of the source, kbps, when known: the TSC family never exceeds it. */
  readonly bitrateKbps?: number;
}

/** Everything a plan depends on. */
export interface EncodeInput {
  readonly template: TranscodeTemplate;
  /** Resolved (`TemplateRegistry.resolveWatermarks`), in drawing order, at most three. */
  readonly watermarks: readonly Watermark[];
  readonly source: EncodeSource;
  /** `Image.Url` → local file of the image object. A URL missing here fails the plan, except the built-in logo. */
  readonly images: ReadonlyMap<string, string>;
  /** The font for text watermarks (`chooseFontFile`); `undefined` fails a plan that has a text watermark. */
  readonly fontFile: string | undefined;
  /** Temporary output path, ending with `.${extension}`. */
  readonly output: string;
  /** Encoder and filter threads. */
  readonly threads: number;
}

/** FFmpeg arguments and what the binary must offer to run them. */
export interface EncodePlan {
  /** After the binary; the runner adds `-progress` / `-nostats`. */
  readonly args: string[];
  /** Encoder names as `ffmpeg -encoders` lists them. */
  readonly encoders: string[];
  /** Filter names as `ffmpeg -filters` lists them. */
  readonly filters: string[];
  /** What `${ext}` resolves to. */
  readonly extension: string;
  /** Output picture size. */
  readonly width: number;
  readonly height: number;
}


const even = (value: number): number => Math.max(2, 2 * Math.round(value / 2));

/**
 * The output size: the template's width and height; with one side only, the other follows the source's aspect
 * ratio; with neither, the source's size. Always even (4:2:0 chroma needs it).
 */
export function outputSize(
  video: Pick<TranscodeTemplate['video'], 'width' | 'height'>,
  source: Pick<EncodeSource, 'width' | 'height'>,
): { width: number; height: number } {
  const { width, height } = video;
  if (width !== undefined && height !== undefined) return { width: even(width), height: even(height) };
  if (width !== undefined) return { width: even(width), height: even((width * source.height) / source.width) };
  if (height !== undefined) return { width: even((height * source.width) / source.height), height: even(height) };
  return { width: even(source.width), height: even(source.height) };
}

/** Longest side a template may set (`Video.Width` / `Video.Height`), and so the longest one it may derive. */
export const MAX_TEMPLATE_SIDE = 4096;

/**
 * The kbps cap of the TSC family: about 0.07 bits per pixel and frame, at least 200 kbps, and never more than the
 * source's own bitrate when it is known (re-encoding must not make a file bigger for the same picture).
 */
export function tscMaxrate(width: number, height: number, fps: number, sourceKbps?: number): number {
  const bySize = Math.max(200, Math.round((width * height * fps * 0.07) / 1000));
  return sourceKbps !== undefined && sourceKbps > 0 ? Math.min(bySize, Math.round(sourceKbps)) : bySize;
}

const VIDEO_ENCODERS = { 'H.264': 'libx264', 'H.265': 'libx265', VP9: 'libvpx-vp9' } as const;
const AUDIO_ENCODERS = { aac: 'aac', mp3: 'libmp3lame', opus: 'libopus' } as const;
const DEFAULT_CRF = { 'H.264': 23, 'H.265': 28, VP9: 36 } as const;

function videoArgs(
  template: TranscodeTemplate,
  size: { width: number; height: number },
  source: { fps: number; bitrateKbps: number | undefined },
  threads: number,
) {
  const { codec, bitrate, crf } = template.video;
  const args = ['-c:v', VIDEO_ENCODERS[codec]];
  const quality = crf ?? (bitrate === undefined ? DEFAULT_CRF[codec] : undefined);
  if (codec === 'H.264') {
    args.push('-preset', template.tsc ? 'medium' : 'veryfast', '-profile:v', 'high');
    if (template.tsc) args.push('-aq-mode', '3', '-psy-rd', '1.0:0.15');
  } else if (codec === 'H.265') {
    args.push('-preset', 'ultrafast', '-x265-params', `log-level=error:pools=${threads}`);
  } else {
    args.push('-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1');
  }
  const tscCap = () => tscMaxrate(size.width, size.height, source.fps, source.bitrateKbps);
  const cap = template.tsc ? (bitrate ?? tscCap()) : bitrate;
  if (quality !== undefined) {
    args.push('-crf', String(quality));
    // The TSC cap is held over one second (bufsize = maxrate), a plain template's over two.
    if (codec === 'VP9') args.push('-b:v', cap === undefined ? '0' : `${cap}k`);
    else if (cap !== undefined) args.push('-maxrate', `${cap}k`, '-bufsize', `${template.tsc ? cap : cap * 2}k`);
  } else if (bitrate !== undefined) {
    args.push('-b:v', `${bitrate}k`, '-maxrate', `${Math.round(bitrate * 1.5)}k`, '-bufsize', `${bitrate * 2}k`);
  }
  args.push('-pix_fmt', 'yuv420p');
  if (template.video.fps !== undefined) args.push('-r', String(template.video.fps));
  if (codec === 'H.265' && template.container === 'mp4') args.push('-tag:v', 'hvc1');
  return args;
}

function audioArgs(template: TranscodeTemplate): string[] {
  const { codec, samplerate, bitrate, channels } = template.audio;
  const args = ['-c:a', AUDIO_ENCODERS[codec], '-b:a', `${bitrate}k`, '-ar', String(samplerate)];
  if (channels !== undefined) args.push('-ac', String(channels));
  return args;
}

/**
 * The FFmpeg arguments for `input`: one video stream scaled to {@link outputSize}, the watermarks drawn over it in
 * order, the template's codecs, the container's flags. Throws {@link EncodePlanError} when a text watermark has no
 * font, an image watermark has no image file, or the side a one-sided template derives from the input's aspect
 * ratio is longer than {@link MAX_TEMPLATE_SIDE} (`InvalidInput`).
 */
export function planEncode(input: EncodeInput): EncodePlan {
  const { template, source, threads } = input;
  const size = outputSize(template.video, source);
  const given = [template.video.width, template.video.height].filter((side) => side !== undefined).length;
  if (given === 1 && Math.max(size.width, size.height) > MAX_TEMPLATE_SIDE) {
    // A tiny input of an extreme aspect ratio would otherwise ask FFmpeg for frames of hundreds of megapixels.
    throw new EncodePlanError(
      'InvalidInput',
      `The input's aspect ratio (${source.width}x${source.height}) makes the template's output ${size.width}x` +
        `${size.height}, beyond ${MAX_TEMPLATE_SIDE} pixels on a side.`,
    );
  }
  const fps = template.video.fps ?? source.fps ?? 25;
  const marks: WatermarkInput = {
    watermarks: input.watermarks,
    images: input.images,
    fontFile: input.fontFile,
    width: size.width,
    height: size.height,
    durationSeconds: source.durationSeconds,
    firstInput: 1,
  };
  const drawn = watermarkFilters(marks);
  const filters = new Set<string>(['scale', ...drawn.filters]);
  const scale = `scale=${size.width}:${size.height}:flags=bicubic,setsar=1`;
  filters.add('setsar');
  const chain = [`[0:v]${scale}[v0]`, ...drawn.chains];
  // The runner puts its own flags first (-hide_banner -nostdin -y -progress): the plan starts at the inputs.
  const args = ['-i', source.file, ...drawn.inputArgs];
  args.push('-filter_complex', chain.join(';'), '-filter_complex_threads', String(threads));
  args.push('-map', `[${drawn.output ?? 'v0'}]`);
  const encoders: string[] = [VIDEO_ENCODERS[template.video.codec]];
  args.push(...videoArgs(template, size, { fps, bitrateKbps: source.bitrateKbps }, threads));
  if (source.hasAudio) {
    args.push('-map', '0:a:0', ...audioArgs(template));
    encoders.push(AUDIO_ENCODERS[template.audio.codec]);
  } else {
    args.push('-an');
  }
  args.push('-threads', String(threads), '-map_metadata', '-1', '-sn', '-dn');
  if (template.container === 'mp4') args.push('-movflags', '+faststart', '-f', 'mp4');
  else args.push('-f', 'webm');
  args.push(input.output);
  return {
    args,
    encoders,
    filters: [...filters].sort(),
    extension: template.container,
    width: size.width,
    height: size.height,
  };
}
