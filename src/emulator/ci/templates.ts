/**
 * The emulator's built-in CI templates. The real service resolves `TemplateId` against the account's templates and
 * the system presets; the emulator has a fixed set instead, so that documented examples run unchanged.
 *
 * Transcode templates (`Operation.TemplateId`):
 *
 * | id | name | container | video | origin |
 * |---|---|---|---|---|
 * | `t1460606b9752148c4ab182f55163ba7cd` | `high_993874` | mp4 | H.264 | the service's "Submitting Tasks" example |
 * | `t1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8c` | `emulator_mp4_h264_720p` | mp4 | H.264 1280x720 | emulator only |
 * | `t1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8d` | `emulator_mp4_h264_480p` | mp4 | H.264 854x480 | emulator only |
 * | `t1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8e` | `emulator_mp4_h265_1080p` | mp4 | H.265 1920x1080 | emulator only |
 *
 * The emulator-only ids follow the service's `t1` + 32 hex format but do not exist in the cloud. Every template's
 * container is MP4 (`${ext}` resolves to `mp4`). The emulator does not re-encode: a job copies its input (adding the
 * digital watermark when asked), so the output's `MediaInfo` describes the input's real streams whatever the
 * template's codec and size.
 *
 * Watermark templates (`Operation.WatermarkTemplateId`, at most three per job):
 *
 * | id | name | kind |
 * |---|---|---|
 * | `t1318c5f428d474afba1797f84091cbe22` | `emulator_text_top_right` | text, top right, absolute offset |
 * | `t1318c5f428d474afba1797f84091cbe23` | `emulator_image_bottom_left` | image, bottom left, proportional size |
 * | `t1318c5f428d474afba1797f84091cbe24` | `emulator_text_scrolling` | text scrolling from the left |
 *
 * The three ids are those of the service's example; their contents are the emulator's. Visible watermarks are
 * validated and echoed, never drawn.
 *
 * @module
 */

import type { Watermark } from '../../core/protocol/watermark.js';

/** A transcode template. */
export interface TranscodeTemplate {
  readonly id: string;
  readonly name: string;
  /** `Container.Format`, what `${ext}` resolves to. */
  readonly container: 'mp4';
  readonly video: { readonly codec: 'H.264' | 'H.265'; readonly width?: number; readonly height?: number };
  readonly audio: { readonly codec: 'aac'; readonly samplerate: number; readonly bitrate: number };
}

/** A watermark template: a name and a visible watermark. */
export interface WatermarkTemplate {
  readonly id: string;
  readonly name: string;
  readonly watermark: Watermark;
}

const AAC = { codec: 'aac', samplerate: 44100, bitrate: 128 } as const;

const TRANSCODE_TEMPLATES: readonly TranscodeTemplate[] = [
  {
    id: 't1460606b9752148c4ab182f55163ba7cd',
    name: 'high_993874',
    container: 'mp4',
    video: { codec: 'H.264' },
    audio: AAC,
  },
  {
    id: 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8c',
    name: 'emulator_mp4_h264_720p',
    container: 'mp4',
    video: { codec: 'H.264', width: 1280, height: 720 },
    audio: AAC,
  },
  {
    id: 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8d',
    name: 'emulator_mp4_h264_480p',
    container: 'mp4',
    video: { codec: 'H.264', width: 854, height: 480 },
    audio: AAC,
  },
  {
    id: 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8e',
    name: 'emulator_mp4_h265_1080p',
    container: 'mp4',
    video: { codec: 'H.265', width: 1920, height: 1080 },
    audio: AAC,
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
      Image: { Url: 'http://localhost/emulator-logo.png', Mode: 'Proportion', Width: 10, Transparency: 70 },
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

const transcodeById = new Map(TRANSCODE_TEMPLATES.map((template) => [template.id, template]));
const watermarkById = new Map(WATERMARK_TEMPLATES.map((template) => [template.id, template]));

/** The built-in transcode template with this id, or `undefined`. */
export const transcodeTemplate = (id: string): TranscodeTemplate | undefined => transcodeById.get(id);

/** The built-in watermark template with this id, or `undefined`. */
export const watermarkTemplate = (id: string): WatermarkTemplate | undefined => watermarkById.get(id);

/** Every built-in template, for the admin state and documentation. */
export function listTemplates(): { transcode: readonly TranscodeTemplate[]; watermark: readonly WatermarkTemplate[] } {
  return { transcode: TRANSCODE_TEMPLATES, watermark: WATERMARK_TEMPLATES };
}
