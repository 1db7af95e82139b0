/**
 * Templates of your own: `--templates <file.json>` (option `templates`), read once at start. The shape follows the
 * service's transcode parameters (`Container.Format`, `Video.Codec/Width/Height/Bitrate/Crf/Fps`,
 * `Audio.Codec/Samplerate/Bitrate/Channels`, as in an inline `Operation.Transcode`) and its watermark templates
 * (`Watermark`, the shape of `POST /template` with `Tag=Watermark`), each with the `TemplateId` and `Name` the
 * service gave it:
 *
 * ```json
 * {
 *   "transcode": [{ "TemplateId": "t1…32 hex", "Name": "my_720p", "Container": { "Format": "mp4" },
 *     "Video": { "Codec": "H.264", "Width": 1280, "Bitrate": 1500 },
 *     "Audio": { "Codec": "aac", "Samplerate": 44100, "Bitrate": 128, "Channels": 2 } }],
 *   "watermark": [{ "TemplateId": "t1…32 hex", "Name": "my_logo", "Watermark": { "Type": "Text", "Pos": "TopLeft",
 *     "LocMode": "Absolute", "Dx": 10, "Dy": 10, "Text": { "Text": "mine", "FontSize": 20 } } }]
 * }
 * ```
 *
 * Containers: `mp4` (H.264 / H.265 with aac / mp3) and `webm` (VP9 with opus). `Audio` may be left out (aac 44.1 kHz
 * 128 kbps in mp4, opus 48 kHz 96 kbps in webm). A file that does not parse, breaks a rule, repeats an id or reuses
 * a built-in id is refused at start with the field named (`transcode[0].Video.Codec must be …`).
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import * as z from 'zod/mini';
import { numberInRange } from '../../core/protocol/schema-helpers.js';
import { describeIssue, formatPath } from '../../core/protocol/validation.js';
import { WatermarkSchema } from '../../core/protocol/watermark.js';
import {
  isBuiltInTemplateId,
  TemplateRegistry,
  type TemplateAudio,
  type TranscodeTemplate,
  type WatermarkTemplate,
} from './templates.js';

const templateId = z.string().check(
  z.refine((value) => /^t1[0-9a-f]{32}$/.test(value), { error: 'must be t1 followed by 32 lower-case hex digits' }),
);
const templateName = z.string().check(
  z.refine((value) => /^[\p{Script=Han}A-Za-z0-9_*-]{1,64}$/u.test(value), {
    error: 'must be 1 to 64 Chinese characters, letters, digits, _, - or *',
  }),
);

const SAMPLE_RATES = {
  aac: [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000],
  mp3: [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000],
  opus: [8000, 12000, 16000, 24000, 48000],
} as const;

/** One transcode template of the file (also what `POST /template` with `Tag=Transcode` is checked against). */
export const TranscodeFileSchema = z.object({
  TemplateId: templateId,
  Name: templateName,
  Container: z.object({ Format: z.enum(['mp4', 'webm']) }),
  Video: z.object({
    Codec: z.enum(['H.264', 'H.265', 'VP9']),
    Width: z.optional(numberInRange(128, 4096, true)),
    Height: z.optional(numberInRange(128, 4096, true)),
    Bitrate: z.optional(numberInRange(10, 50000, true)),
    Crf: z.optional(numberInRange(0, 63)),
    Fps: z.optional(numberInRange(1, 120)),
  }),
  Audio: z.optional(
    z.object({
      Codec: z.enum(['aac', 'mp3', 'opus']),
      Samplerate: numberInRange(8000, 96000, true),
      Bitrate: numberInRange(8, 1000, true),
      Channels: z.optional(numberInRange(1, 2, true)),
    }),
  ),
}).check(
  z.superRefine((template, ctx) => {
    const webm = template.Container.Format === 'webm';
    const codecs = webm ? ['VP9'] : ['H.264', 'H.265'];
    const issue = (path: PropertyKey[], message: string) =>
      ctx.issues.push({ code: 'custom', message, input: template, path });
    if (!codecs.includes(template.Video.Codec)) {
      issue(['Video', 'Codec'], `must be ${codecs.join(' or ')} with Container.Format ${template.Container.Format}`);
    }
    const crf = template.Video.Crf;
    if (crf !== undefined && template.Video.Codec !== 'VP9' && crf > 51) issue(['Video', 'Crf'], 'must be from 0 to 51');
    const audio = template.Audio;
    if (!audio) return;
    const audioCodecs = webm ? ['opus'] : ['aac', 'mp3'];
    if (!audioCodecs.includes(audio.Codec)) {
      issue(['Audio', 'Codec'], `must be ${audioCodecs.join(' or ')} with Container.Format ${template.Container.Format}`);
    } else if (!(SAMPLE_RATES[audio.Codec] as readonly number[]).includes(audio.Samplerate)) {
      issue(['Audio', 'Samplerate'], `must be one of ${SAMPLE_RATES[audio.Codec].join(', ')} for ${audio.Codec}`);
    }
  }),
);

/** One watermark template of the file (also what `POST /template` with `Tag=Watermark` is checked against). */
export const WatermarkFileSchema = z.object({ TemplateId: templateId, Name: templateName, Watermark: WatermarkSchema });

const TemplateFileSchema = z.object({
  transcode: z.optional(z.array(TranscodeFileSchema)),
  watermark: z.optional(z.array(WatermarkFileSchema)),
});

/** A checked transcode entry. */
export type TranscodeEntry = z.output<typeof TranscodeFileSchema>;

const DEFAULT_AUDIO: Record<'mp4' | 'webm', TemplateAudio> = {
  mp4: { codec: 'aac', samplerate: 44100, bitrate: 128 },
  webm: { codec: 'opus', samplerate: 48000, bitrate: 96 },
};

/** A checked transcode entry as the emulator's template (the container's default audio when `Audio` is absent). */
export function toTranscodeTemplate(entry: TranscodeEntry): TranscodeTemplate {
  const { Video: video, Audio: audio } = entry;
  const container = entry.Container.Format;
  return {
    id: entry.TemplateId,
    name: entry.Name,
    container,
    video: {
      codec: video.Codec,
      ...(video.Width !== undefined && { width: video.Width }),
      ...(video.Height !== undefined && { height: video.Height }),
      ...(video.Bitrate !== undefined && { bitrate: video.Bitrate }),
      ...(video.Crf !== undefined && { crf: video.Crf }),
      ...(video.Fps !== undefined && { fps: video.Fps }),
    },
    audio: audio
      ? {
          codec: audio.Codec,
          samplerate: audio.Samplerate,
          bitrate: audio.Bitrate,
          ...(audio.Channels !== undefined && { channels: audio.Channels }),
        }
      : DEFAULT_AUDIO[container],
  };
}

/** Why a templates file was refused; the message names the file and the fields. */
export class TemplateFileError extends Error {
  override name = 'TemplateFileError';
}

/**
 * Reads and checks a templates file (see the module notes). Throws {@link TemplateFileError} naming the field and
 * the rule of each problem (up to five).
 */
export async function loadTemplateFile(
  path: string,
): Promise<{ transcode: TranscodeTemplate[]; watermark: WatermarkTemplate[] }> {
  const fail = (detail: string): never => {
    throw new TemplateFileError(`Templates file ${path}: ${detail}`);
  };
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail(`is not JSON (${(error as Error).message})`);
  }
  const result = z.safeParse(TemplateFileSchema, json, { error: describeIssue });
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((issue) => {
      const field = formatPath(issue.path);
      return field === '' ? issue.message : `${field} ${issue.message}`;
    });
    return fail(issues.join('; '));
  }
  const seen = new Set<string>();
  const entries = [
    ...(result.data.transcode ?? []).map((entry, index) => ({ entry, field: `transcode[${index}]` })),
    ...(result.data.watermark ?? []).map((entry, index) => ({ entry, field: `watermark[${index}]` })),
  ];
  for (const { entry, field } of entries) {
    if (isBuiltInTemplateId(entry.TemplateId)) fail(`${field}.TemplateId is the id of a built-in template`);
    if (seen.has(entry.TemplateId)) fail(`${field}.TemplateId is used by another template of the file`);
    seen.add(entry.TemplateId);
  }
  return {
    transcode: (result.data.transcode ?? []).map(toTranscodeTemplate),
    watermark: (result.data.watermark ?? []).map((entry) => ({
      id: entry.TemplateId,
      name: entry.Name,
      watermark: entry.Watermark,
    })),
  };
}

/** The built-in templates plus those of `path` (option `templates`), or the built-in ones only. */
export async function loadTemplateRegistry(path: string | undefined): Promise<TemplateRegistry> {
  return new TemplateRegistry(path === undefined ? {} : await loadTemplateFile(path));
}
