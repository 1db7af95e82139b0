/**
 * The body of `POST /template` (CreateMediaTemplate) and `PUT /template/<id>` (UpdateMediaTemplate), parsed and
 * checked. Two tags are served:
 *
 * - `Tag=Watermark`: `<Request><Tag>Watermark</Tag><Name>…</Name><Watermark>…</Watermark></Request>`, the
 *   `Watermark` checked with the core's rules for inline watermarks (the service documents one shape for both).
 * - `Tag=Transcode`: `Name`, `Container.Format`, `Video`, `Audio`, `TimeInterval`, `TransConfig`. The emulator
 *   encodes the subset a `--templates` file may hold (`Container.Format` mp4 or webm; `Video.Codec/Width/Height/
 *   Bitrate/Crf/Fps`; `Audio.Codec/Samplerate/Bitrate/Channels`) with the same rules. Any other field with a value
 *   (`Video.Profile`, `Video.Preset`, `TimeInterval.Duration`, a `TransConfig` check turned on, …) is refused with
 *   400 `InvalidArgument` naming it, rather than silently ignored; empty elements and the documented "off" values
 *   (`false`, `none`, `0`) pass, since the service's own samples send them.
 *
 * Other tags (Snapshot, Animation, …) are refused with 400 `InvalidArgument`. Every problem names the field.
 *
 * @module
 */

import * as z from 'zod/mini';
import { parseXml } from '../../core/protocol/xml.js';
import { describeIssue, formatPath } from '../../core/protocol/validation.js';
import { serviceError } from '../errors.js';
import { toTranscodeTemplate, TranscodeFileSchema, WatermarkFileSchema } from './template-file.js';
import type { TranscodeTemplate, WatermarkTemplate } from './templates.js';

/** The template a request describes, with the id it is (or will be) stored under. */
export type TemplateSpec =
  | { readonly kind: 'transcode'; readonly template: TranscodeTemplate; readonly entry: unknown }
  | { readonly kind: 'watermark'; readonly template: WatermarkTemplate; readonly entry: unknown };

/**
 * A template from its checked entry (`entry` of a {@link TemplateSpec}: the `--templates` file's shape, which the
 * data folder keeps), or `undefined` when the entry breaks a rule (a file edited by hand is then skipped).
 */
export function templateFromEntry(kind: string, entry: unknown, bucket: string): TemplateSpec | undefined {
  if (kind === 'watermark') {
    const result = z.safeParse(WatermarkFileSchema, entry);
    if (!result.success) return undefined;
    const { TemplateId: id, Name: name, Watermark: watermark } = result.data;
    return { kind, entry, template: { id, name, watermark, bucket } };
  }
  if (kind !== 'transcode') return undefined;
  const result = z.safeParse(TranscodeFileSchema, entry);
  return result.success ? { kind, entry, template: { ...toTranscodeTemplate(result.data), bucket } } : undefined;
}

/** Fields of a `Tag=Transcode` body the emulator encodes, per container element (`''`: the request itself). */
const SUPPORTED: Readonly<Record<string, readonly string[]>> = {
  '': ['Tag', 'Name', 'Container', 'Video', 'Audio', 'TimeInterval', 'TransConfig'],
  Container: ['Format'],
  Video: ['Codec', 'Width', 'Height', 'Bitrate', 'Crf', 'Fps'],
  Audio: ['Codec', 'Samplerate', 'Bitrate', 'Channels'],
  TimeInterval: [],
  TransConfig: [],
};

/** Values that leave a feature off (the service's defaults): accepted for fields the emulator does not encode. */
const OFF_VALUES = new Set(['', 'false', 'none', '0']);

const invalid = (message: string) => serviceError('InvalidArgument', message);

const asObject = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** Drops empty elements (`<Crf></Crf>`), as the service's samples leave them in: an empty element is no value. */
function dropBlank(value: unknown): unknown {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  const node = asObject(value);
  if (!node) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(node)) {
    const kept = dropBlank(child);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

/** Whether a value (or every value inside an element, e.g. `HlsEncrypt`) leaves its feature off. */
function isOff(value: unknown): boolean {
  if (typeof value === 'string') return OFF_VALUES.has(value.trim());
  const node = asObject(value);
  return node !== undefined && Object.values(node).every(isOff);
}

/** Refuses a `Tag=Transcode` field the emulator would not honour (see the module notes). */
function refuseUnsupported(request: Record<string, unknown>): void {
  for (const [section, allowed] of Object.entries(SUPPORTED)) {
    const node = section === '' ? request : request[section];
    if (node === undefined) continue;
    const fields = asObject(node);
    if (!fields) throw invalid(`${section} must be an element with children.`);
    for (const [name, value] of Object.entries(fields)) {
      if (allowed.includes(name) || (section !== '' && isOff(value))) continue;
      const field = section === '' ? name : `${section}.${name}`;
      throw invalid(`${field} is not supported by the emulator (it encodes ${describeSupported()}).`);
    }
  }
}

const describeSupported = (): string =>
  ['Container', 'Video', 'Audio'].map((section) => `${section}.${SUPPORTED[section]!.join('/')}`).join(', ');

/** The first five problems of a failed check, each `field rule`, as one 400 `InvalidArgument`. */
function fail(issues: readonly z.core.$ZodIssue[]): never {
  const text = issues.slice(0, 5).map((issue) => `${formatPath(issue.path)} ${issue.message}`.trim());
  throw invalid(text.join('; '));
}

/**
 * Parses a template request body into a template stored under `id` (a new id for `POST`, the existing one for
 * `PUT`). Malformed XML, a root other than `<Request>`, an unsupported `Tag` or a field that breaks a rule is a 400
 * `InvalidArgument` naming it.
 */
export function parseTemplateRequest(body: string, id: string, bucket: string): TemplateSpec {
  let tree: Record<string, unknown>;
  try {
    tree = parseXml(body, 'submit');
  } catch {
    throw invalid('The template request is not well-formed XML.');
  }
  const request = asObject(dropBlank(tree['Request']));
  if (!request) throw invalid('The template request must be a <Request> element with children.');
  const tag = request['Tag'];
  if (tag === 'Watermark') {
    const input = { TemplateId: id, Name: request['Name'], Watermark: request['Watermark'] };
    const result = z.safeParse(WatermarkFileSchema, input, { error: describeIssue });
    if (!result.success) return fail(result.error.issues);
    const { Name: name, Watermark: watermark } = result.data;
    return { kind: 'watermark', entry: result.data, template: { id, name, watermark, bucket } };
  }
  if (tag === 'Transcode') {
    refuseUnsupported(request);
    const container = asObject(request['Container']);
    const format = typeof container?.['Format'] === 'string' ? container['Format'] : undefined;
    const input = {
      TemplateId: id,
      Name: request['Name'],
      // The documentation spells it `WebM`; the emulator's containers are lower case.
      Container: format === undefined ? container : { Format: format.toLowerCase() },
      // `Video.Codec` defaults to H.264 (documented for mp4); webm needs it named (the emulator has VP9, not VP8).
      Video: { ...(format?.toLowerCase() === 'mp4' && { Codec: 'H.264' }), ...asObject(request['Video']) },
      Audio: request['Audio'],
    };
    const result = z.safeParse(TranscodeFileSchema, input, { error: describeIssue });
    if (!result.success) return fail(result.error.issues);
    return { kind: 'transcode', entry: result.data, template: { ...toTranscodeTemplate(result.data), bucket } };
  }
  if (tag === undefined) throw invalid('Tag is required (Watermark or Transcode).');
  throw invalid('Tag must be Watermark or Transcode (the emulator serves no other template kind).');
}
