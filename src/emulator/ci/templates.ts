/**
 * The emulator's CI templates: built-in ones, so that documented examples run unchanged, and the user's own
 * (`--templates <file.json>`, see `template-file.ts`), so that offline work uses real template ids. The real
 * service resolves `TemplateId` against the account's templates and the system presets.
 *
 * Transcode templates (`Operation.TemplateId`):
 *
 * | id | name | container | video | audio |
 * |---|---|---|---|---|
 * | `t1460606b9752148c4ab182f55163ba7cd` | `high_993874` | mp4 | H.264, source size, TSC (below) | aac 44.1 kHz 128 kbps |
 * | `t1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8c` | `emulator_mp4_h264_720p` | mp4 | H.264 1280x720, CRF 23 | aac 44.1 kHz 128 kbps |
 * | `t1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8d` | `emulator_mp4_h264_480p` | mp4 | H.264 854x480, CRF 23 | aac 44.1 kHz 128 kbps |
 * | `t1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8e` | `emulator_mp4_h265_1080p` | mp4 | H.265 1920x1080, CRF 28, `hvc1` | aac 44.1 kHz 128 kbps |
 * | `t1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8f` | `emulator_mp4_h264_360w` | mp4 | H.264 width 360 (height keeps the aspect), 800 kbps, 15 fps | aac 44.1 kHz 96 kbps mono |
 * | `t1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b90` | `emulator_webm_vp9_480p` | webm | VP9 height 480 (width keeps the aspect), CRF 36 | opus 48 kHz 96 kbps |
 *
 * The emulator-only ids follow the service's `t1` + 32 hex format but do not exist in the cloud. `${ext}` resolves
 * to the container (`mp4`, `webm`).
 *
 * `high_993874` is the service's example of an Ultra-HD ("TSC", Top Speed Codec: high quality at a low bitrate)
 * template. The emulator encodes it as x264 with a constant quality (CRF 23) capped by a bitrate that follows the
 * picture size (about 0.07 bits per pixel and frame: 1080p30 ≈ 4.4 Mbps, 640x360@30 ≈ 0.48 Mbps) and by the source's
 * own bitrate (held over one second), the `medium` preset with psycho-visual tuning (`aq-mode 3`, `psy-rd 1.0:0.15`),
 * so that flat and dark areas keep their detail at the capped rate. The real TSC engine is proprietary; `slow` would save a further ~5-10 % of bits at about twice the
 * time, which a developer machine running two jobs on two cores does not afford. Other templates use speed-leaning
 * presets (x264 `veryfast`, x265 `ultrafast`, VP9 `realtime` with `cpu-used 8`): the emulator shows what a template
 * does, it does not compete with the cloud's compression.
 *
 * Watermark templates (`Operation.WatermarkTemplateId`, at most three per job):
 *
 * | id | name | kind |
 * |---|---|---|
 * | `t1318c5f428d474afba1797f84091cbe22` | `emulator_text_top_right` | text, top right, absolute offset |
 * | `t1318c5f428d474afba1797f84091cbe23` | `emulator_image_bottom_left` | image, bottom left, 10 % of the width |
 * | `t1318c5f428d474afba1797f84091cbe24` | `emulator_text_scrolling` | text scrolling from the left |
 *
 * The three ids are those of the service's example; their contents are the emulator's. The image template's picture
 * is the object `emulator-logo.png` of the job's bucket when there is one, else a generated blue badge.
 *
 * @module
 */

import type { Watermark } from '../../core/protocol/watermark.js';

/** `Container.Format`: what `${ext}` resolves to. */
export type ContainerFormat = 'mp4' | 'webm';
/** `Video.Codec`: H.264 / H.265 in mp4, VP9 in webm. */
export type VideoCodec = 'H.264' | 'H.265' | 'VP9';
/** `Audio.Codec`: aac / mp3 in mp4, opus in webm. */
export type AudioCodec = 'aac' | 'mp3' | 'opus';

/** The video stream a template asks for. Without `width` and `height` the source size is kept. */
export interface TemplateVideo {
  readonly codec: VideoCodec;
  /** Pixels; with only one side given, the other keeps the source's aspect ratio (rounded to even). */
  readonly width?: number;
  readonly height?: number;
  /** Target bitrate, kbps (average). With `crf` too, CRF is used and the bitrate caps it. */
  readonly bitrate?: number;
  /** Constant quality (x264/x265 0-51, VP9 0-63). Neither bitrate nor CRF: the codec's default CRF. */
  readonly crf?: number;
  /** Frames per second; absent keeps the source's. */
  readonly fps?: number;
}

/** The audio stream a template asks for. */
export interface TemplateAudio {
  readonly codec: AudioCodec;
  /** Hz. */
  readonly samplerate: number;
  /** kbps. */
  readonly bitrate: number;
  /** 1 or 2; absent keeps the source's. */
  readonly channels?: number;
}

/** A transcode template. */
export interface TranscodeTemplate {
  readonly id: string;
  readonly name: string;
  /** `Container.Format`, what `${ext}` resolves to. */
  readonly container: ContainerFormat;
  readonly video: TemplateVideo;
  readonly audio: TemplateAudio;
  /** The service's TSC (Ultra-HD) family: high quality at a low bitrate (see the module notes). */
  readonly tsc?: boolean;
  /** The bucket a template created with `POST /template` belongs to; absent for built-in and file templates. */
  readonly bucket?: string;
}

/** A watermark template: a name and a visible watermark. */
export interface WatermarkTemplate {
  readonly id: string;
  readonly name: string;
  readonly watermark: Watermark;
  /** The bucket a template created with `POST /template` belongs to; absent for built-in and file templates. */
  readonly bucket?: string;
}

/** A template a job may use from `bucket`: built-in and file templates from any bucket, created ones from theirs. */
const usableFrom = <T extends { readonly bucket?: string }>(template: T | undefined, bucket?: string): T | undefined =>
  template && (bucket === undefined || template.bucket === undefined || template.bucket === bucket)
    ? template
    : undefined;

/** The `Image.Url` of the built-in image watermark template: drawn from `emulator-logo.png` of the job's bucket. */
export const BUILT_IN_LOGO_URL = 'http://localhost/emulator-logo.png';

const AAC = { codec: 'aac', samplerate: 44100, bitrate: 128 } as const;

const TRANSCODE_TEMPLATES: readonly TranscodeTemplate[] = [
  {
    id: 't1460606b9752148c4ab182f55163ba7cd',
    name: 'high_993874',
    container: 'mp4',
    video: { codec: 'H.264', crf: 23 },
    audio: AAC,
    tsc: true,
  },
  {
    id: 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8c',
    name: 'emulator_mp4_h264_720p',
    container: 'mp4',
    video: { codec: 'H.264', width: 1280, height: 720, crf: 23 },
    audio: AAC,
  },
  {
    id: 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8d',
    name: 'emulator_mp4_h264_480p',
    container: 'mp4',
    video: { codec: 'H.264', width: 854, height: 480, crf: 23 },
    audio: AAC,
  },
  {
    id: 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8e',
    name: 'emulator_mp4_h265_1080p',
    container: 'mp4',
    video: { codec: 'H.265', width: 1920, height: 1080, crf: 28 },
    audio: AAC,
  },
  {
    id: 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8f',
    name: 'emulator_mp4_h264_360w',
    container: 'mp4',
    video: { codec: 'H.264', width: 360, bitrate: 800, fps: 15 },
    audio: { codec: 'aac', samplerate: 44100, bitrate: 96, channels: 1 },
  },
  {
    id: 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b90',
    name: 'emulator_webm_vp9_480p',
    container: 'webm',
    video: { codec: 'VP9', height: 480, crf: 36 },
    audio: { codec: 'opus', samplerate: 48000, bitrate: 96 },
  },
];

const WATERMARK_TEMPLATES: readonly WatermarkTemplate[] = [
  {
    id: 't1318c5f428d474afba1797f84091cbe22',
    name: 'emulator_text_top_right',
    watermark: {
      Type: 'Text',
      Pos: 'TopRight',
      LocMode: 'Absolute',
      Dx: 16,
      Dy: 16,
      Text: { Text: 'emulator', FontSize: 24, FontType: 'simfang.ttf', FontColor: '0xFFFFFF', Transparency: 80 },
    },
  },
  {
    id: 't1318c5f428d474afba1797f84091cbe23',
    name: 'emulator_image_bottom_left',
    watermark: {
      Type: 'Image',
      Pos: 'BottomLeft',
      LocMode: 'Relativity',
      Dx: 2,
      Dy: 2,
      Image: { Url: BUILT_IN_LOGO_URL, Mode: 'Proportion', Width: 10, Transparency: 70 },
    },
  },
  {
    id: 't1318c5f428d474afba1797f84091cbe24',
    name: 'emulator_text_scrolling',
    watermark: {
      Type: 'Text',
      Pos: 'Top',
      LocMode: 'Absolute',
      Dx: 0,
      Dy: 8,
      SlideConfig: { SlideMode: 'ScrollFromLeft', XSlideSpeed: 3, YSlideSpeed: 0 },
      Text: { Text: 'preview', FontSize: 20, FontColor: '0xFFD700', Transparency: 60 },
    },
  },
];

/** Most visible watermarks one job draws (templates and inline ones together). */
export const MAX_WATERMARKS = 3;

/**
 * Built-in templates plus the user's (`--templates`). A user template may not reuse a built-in id (the file is
 * refused at start), so a built-in id always means the same thing.
 */
export class TemplateRegistry {
  readonly #transcode: Map<string, TranscodeTemplate>;
  readonly #watermark: Map<string, WatermarkTemplate>;

  constructor(user: { transcode?: readonly TranscodeTemplate[]; watermark?: readonly WatermarkTemplate[] } = {}) {
    this.#transcode = new Map([...TRANSCODE_TEMPLATES, ...(user.transcode ?? [])].map((t) => [t.id, t]));
    this.#watermark = new Map([...WATERMARK_TEMPLATES, ...(user.watermark ?? [])].map((t) => [t.id, t]));
  }

  /** The transcode template with this id (usable from `bucket` when given), or `undefined`. */
  transcode(id: string, bucket?: string): TranscodeTemplate | undefined {
    return usableFrom(this.#transcode.get(id), bucket);
  }

  /** The watermark template with this id (usable from `bucket` when given), or `undefined`. */
  watermark(id: string, bucket?: string): WatermarkTemplate | undefined {
    return usableFrom(this.#watermark.get(id), bucket);
  }

  /**
   * Adds or replaces a template created with `POST /template` (or updated with `PUT /template/<id>`); jobs may use
   * it at once. Built-in and file templates are never replaced (their ids are refused before).
   */
  add(
    template: { kind: 'transcode'; template: TranscodeTemplate } | { kind: 'watermark'; template: WatermarkTemplate },
  ): void {
    if (template.kind === 'transcode') this.#transcode.set(template.template.id, template.template);
    else this.#watermark.set(template.template.id, template.template);
  }

  /** Removes a created template (`DELETE /template/<id>`); jobs already submitted with it fail when they run. */
  remove(id: string): void {
    this.#transcode.delete(id);
    this.#watermark.delete(id);
  }

  /** Every template, built-in ones first, for the admin state. */
  list(): { transcode: readonly TranscodeTemplate[]; watermark: readonly WatermarkTemplate[] } {
    return { transcode: [...this.#transcode.values()], watermark: [...this.#watermark.values()] };
  }

  /**
   * The visible watermarks of a transcode operation, in drawing order: the watermark templates first (in request
   * order), then the inline `Watermark`s, at most {@link MAX_WATERMARKS} in all. The service documents that
   * `WatermarkTemplateId` "has higher priority" than `Watermark`; the emulator reads it as: templates take the
   * places first, inline watermarks fill what is left, the rest are not drawn. Each one is drawn over the previous
   * ones. Unknown template ids are skipped here (submission already refused them).
   */
  resolveWatermarks(
    operation: {
      readonly WatermarkTemplateId?: readonly string[] | undefined;
      readonly Watermark?: readonly Watermark[] | undefined;
    },
    bucket?: string,
  ): Watermark[] {
    const fromTemplates = (operation.WatermarkTemplateId ?? []).flatMap((id) => {
      const template = this.watermark(id, bucket);
      return template ? [template.watermark] : [];
    });
    return [...fromTemplates, ...(operation.Watermark ?? [])].slice(0, MAX_WATERMARKS);
  }
}

/** The built-in templates only. */
export const BUILT_IN_TEMPLATES = new TemplateRegistry();

/** Whether `id` is a built-in template's (transcode or watermark). */
export const isBuiltInTemplateId = (id: string): boolean =>
  TRANSCODE_TEMPLATES.some((t) => t.id === id) || WATERMARK_TEMPLATES.some((t) => t.id === id);

/** The built-in transcode template with this id, or `undefined`. */
export const transcodeTemplate = (id: string): TranscodeTemplate | undefined => BUILT_IN_TEMPLATES.transcode(id);

/** The built-in watermark template with this id, or `undefined`. */
export const watermarkTemplate = (id: string): WatermarkTemplate | undefined => BUILT_IN_TEMPLATES.watermark(id);

/** Every built-in template, for documentation. */
export function listTemplates(): { transcode: readonly TranscodeTemplate[]; watermark: readonly WatermarkTemplate[] } {
  return { transcode: TRANSCODE_TEMPLATES, watermark: WATERMARK_TEMPLATES };
}
