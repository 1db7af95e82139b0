// The lazily loaded half of <cos-transcoder>: everything that touches the protocol core. The element imports this
// module with one dynamic `import()` when work starts, so the first paint carries none of it. It checks the
// attributes, turns them into a headless transcode session, and signs through `auth-url` when no
// `getAuthorization` was set.
import { TranscoderError, isTranscoderError } from '../core/errors.js';
import type { GetAuthorization } from '../core/signing/credentials.js';
import {
  createTranscodeSession,
  type SessionJob,
  type TranscodeSession,
  type TranscodeSessionOptions,
} from '../core/session/index.js';
import { AttributesSchema, type Attributes } from './attribute-schema.js';
import type { ElementInput } from './element-input.js';
import type { FileRefusal } from './error-text.js';
import { enWork } from './locales/en-work.js';
import { zhCNWork } from './locales/zh-cn-work.js';
import type { WorkTables } from './localize.js';
import { parseSize } from './size.js';

export type { SessionSnapshot, TranscodeSession } from '../core/session/index.js';

const invalid = (message: string, cause?: FileRefusal) =>
  new TranscoderError(message, { code: 'invalid-options', phase: 'options', ...(cause ? { cause } : {}) });

/** Any failure as a {@link TranscoderError} (the core throws only those; this guards against the unexpected). */
export const toTranscoderError = (error: unknown): TranscoderError =>
  isTranscoderError(error)
    ? error
    : new TranscoderError(error instanceof Error ? error.message : String(error), {
        code: 'invalid-options',
        phase: 'options',
        cause: error,
      });

/** The attributes checked; throws `invalid-options` naming the first bad attribute. */
export function checkAttributes(input: ElementInput): Attributes {
  const parsed = AttributesSchema.safeParse(input.attributes);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`${String(issue.path[0])}: ${issue.message}`);
  }
  if (!input.getAuthorization && !parsed.data['auth-url']) {
    throw invalid('auth-url: is required (or set the getAuthorization property)');
  }
  return parsed.data;
}

/** Whether `file` matches an `accept` list (`video/*`, `video/mp4`, `.mp4`), as `<input accept>` reads it. */
export function accepts(accept: string, file: { type: string; name?: string }): boolean {
  const tokens = accept.split(',').map((token) => token.trim().toLowerCase()).filter(Boolean);
  if (tokens.length === 0) return true;
  const type = file.type.toLowerCase();
  const name = (file.name ?? '').toLowerCase();
  return tokens.some((token) =>
    token.startsWith('.') ? name.endsWith(token) : token.endsWith('/*') ? type.startsWith(token.slice(0, -1)) : type === token,
  );
}

/** Refuses a file that is too big or of a kind `accept` does not allow. */
export function checkFile(attributes: Attributes, file: File | Blob): void {
  const max = attributes['max-file-size'] ? parseSize(attributes['max-file-size']) : undefined;
  const named = file as File;
  if (max !== undefined && file.size > max) {
    throw invalid(`The file is ${file.size} bytes; max-file-size is ${max}`, { refused: 'size', size: file.size, type: file.type, max });
  }
  const accept = attributes.accept ?? 'video/*';
  if (!accepts(accept, { type: file.type, name: named.name })) {
    throw invalid(`The file's type "${file.type}" is not in accept="${accept}"`, { refused: 'type', size: file.size, type: file.type });
  }
}

/**
 * The output key when `output-key` is absent: `dir/name.mp4` -> `dir/name_transcoded.${ext}` (`${ext}` is the
 * template's container extension, filled in by the service).
 */
export const defaultOutputKey = (fileKey: string): string =>
  `${fileKey.replace(/\.[^./]*$/, '')}_transcoded.\${ext}`;

/**
 * Signing through `auth-url`: POSTs the signing request as JSON and returns the answer, whichever form the
 * credential contract accepts. A refusal (not 2xx) or an answer that is not JSON is a `sign-failed` error.
 */
export function authUrlAuthorization(authUrl: string): GetAuthorization {
  return async (request, { signal }) => {
    const failed = (message: string, status?: number, cause?: unknown) =>
      new TranscoderError(message, { code: 'sign-failed', phase: 'sign', retryable: true, ...(status ? { status } : {}), ...(cause ? { cause } : {}) });
    let response: Response;
    try {
      response = await fetch(authUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
        credentials: 'same-origin',
        signal,
      });
    } catch (error) {
      throw failed(`auth-url could not be reached`, undefined, error);
    }
    if (!response.ok) throw failed(`auth-url answered HTTP ${response.status}`, response.status);
    try {
      return (await response.json()) as never;
    } catch (error) {
      throw failed('auth-url did not answer JSON', response.status, error);
    }
  };
}

/** The job the attributes describe. */
function jobOf(attributes: Attributes, bucket: string, region: string): SessionJob {
  const notify = {
    ...(attributes['callback-url'] ? { CallBack: attributes['callback-url'] } : {}),
    ...(attributes['callback-format'] ? { CallBackFormat: attributes['callback-format'] as 'JSON' | 'XML' } : {}),
  };
  const common = {
    ...(attributes['user-data'] ? { UserData: attributes['user-data'] } : {}),
    ...(attributes['job-level'] ? { JobLevel: Number(attributes['job-level']) as 0 | 1 | 2 } : {}),
  };
  if (attributes['job-tag'] === 'ExtractDigitalWatermark') {
    return { Tag: 'ExtractDigitalWatermark', Operation: { ExtractDigitalWatermark: { Type: 'Text', Version: 'V1' }, ...common }, ...notify };
  }
  const watermarks = attributes['watermark-template-ids']?.trim().split(/\s+/).filter(Boolean) ?? [];
  const message = attributes['digital-watermark'];
  return {
    Tag: 'Transcode',
    Operation: {
      TemplateId: attributes['template-id']!,
      ...(watermarks.length ? { WatermarkTemplateId: watermarks } : {}),
      ...(message ? { DigitalWatermark: { Type: 'Text', Message: message, Version: 'V1' } } : {}),
      Output: {
        Bucket: attributes['output-bucket'] ?? bucket,
        Region: attributes['output-region'] ?? region,
        Object: attributes['output-key'] ?? defaultOutputKey(attributes['file-key']),
      },
      ...common,
    },
    ...notify,
  } as SessionJob;
}

/** Checks everything and builds the session. Throws `invalid-options` for a bad attribute or a refused file. */
export function createSession(input: ElementInput): TranscodeSession {
  const attributes = checkAttributes(input);
  if (input.file) checkFile(attributes, input.file);
  const { bucket, region } = attributes;
  const relay = {
    ...(attributes['events-url'] ? { eventSource: attributes['events-url'] } : {}),
    ...(input.subscribe ? { subscribe: input.subscribe } : {}),
  };
  const options: TranscodeSessionOptions = {
    bucket,
    region,
    getAuthorization: input.getAuthorization ?? authUrlAuthorization(attributes['auth-url']!),
    ...(attributes.protocol ? { protocol: attributes.protocol as 'https' | 'http' } : {}),
    domains: {
      ...(attributes['cos-domain'] ? { cos: attributes['cos-domain'] } : {}),
      ...(attributes['ci-domain'] ? { ci: attributes['ci-domain'] } : {}),
    },
    ...(input.file ? { file: input.file } : {}),
    key: attributes['file-key'],
    job: jobOf(attributes, bucket, region),
    ...(relay.eventSource || relay.subscribe ? { relay } : {}),
  };
  try {
    return createTranscodeSession(options);
  } catch (error) {
    throw toTranscoderError(error);
  }
}

export { fireChanges } from './session-events.js';
export const workStrings: WorkTables = { en: enWork, zh: zhCNWork };
export { announcement, renderWork, workStyles } from './work-view.js';
