// A failure in words a person understands. Works on the error's fields only (`code`, `status`, `serviceCode`,
// `cause`), so that it needs nothing of the core at first paint.
import type { TranscoderError } from '../core/errors.js';
import { fill, formatBytes, type Strings } from './localize.js';

/** What the element shows of a failure. */
export interface ErrorText {
  /** The sentence for people. */
  readonly text: string;
  /** The technical message (the service's words, quoted as text), shown smaller. */
  readonly detail?: string;
  /** The id to quote to support. */
  readonly requestId?: string;
}

/** What the element knows about the work that failed, for the sentence. */
export interface ErrorContext {
  readonly key?: string;
  readonly templateId?: string;
  readonly watermarkTemplateIds?: string;
  readonly lang: string;
}

/** The `cause` of the `invalid-options` error that refuses a chosen file (its size or its type). */
export interface FileRefusal {
  readonly refused: 'size' | 'type';
  readonly size: number;
  readonly type: string;
  /** The limit, for `size`. */
  readonly max?: number;
}

const EXPIRED = /^(ExpiredToken|TokenExpired|InvalidAccessKeyId|RequestTimeTooSkewed)$/;

/** A sign-failed error's own HTTP status, when the host's signing endpoint answered with one (auth-url). */
const causeStatus = (error: TranscoderError): number | undefined =>
  error.status ?? (error.cause as { status?: number } | undefined)?.status;

/**
 * The words for `error`. Errors of the element's own checks (`invalid-options`, a refused file) carry their own
 * sentence in `message`; the service's messages are only ever shown as the detail.
 */
export function errorText(error: TranscoderError, strings: Strings, context: ErrorContext): ErrorText {
  const quoted = { detail: error.message, ...(error.requestId ? { requestId: error.requestId } : {}) };
  const code = error.serviceCode ?? String(error.status ?? error.code);
  const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
  const file = error.cause as FileRefusal | undefined;
  switch (error.code) {
    case 'invalid-options':
      if (file?.refused === 'size') {
        const size = formatBytes(file.size, context.lang);
        return { text: fill(strings.errTooBig, { size, max: formatBytes(file.max ?? 0, context.lang) }) };
      }
      if (file?.refused === 'type') return { text: fill(strings.errType, { type: file.type || '?' }) };
      return { text: strings.errConfig, detail: error.message };
    case 'sign-failed':
      return { text: strings.errSign, detail: `${error.message}${causeStatus(error) ? ` (HTTP ${causeStatus(error)})` : ''}` };
    case 'network':
      return { text: offline ? strings.errOffline : strings.errNetwork, ...quoted };
    case 'timeout':
      return { text: strings.errTimeout, ...quoted };
    case 'integrity':
      return { text: strings.errIntegrity, ...quoted };
    case 'job-failed':
      return { text: fill(strings.errJob, { code }), ...quoted };
    default:
  }
  if (EXPIRED.test(error.serviceCode ?? '') || /expired/i.test(error.message)) return { text: strings.errExpired, ...quoted };
  if (error.status === 403 || error.serviceCode === 'AccessDenied') {
    return { text: fill(strings.errForbidden, { key: context.key ?? '' }), ...quoted };
  }
  if (error.serviceCode === 'NoSuchKey' || (error.status === 404 && error.phase !== 'submit')) {
    return { text: fill(strings.errNoSuchKey, { key: context.key ?? '' }), ...quoted };
  }
  if (/template/i.test(error.message) && /not exist|NoSuchTemplate/i.test(`${error.message} ${error.serviceCode}`)) {
    // Messages may have ids redacted: name the template from the element's own attributes.
    const id = (/watermark template/i.test(error.message) ? context.watermarkTemplateIds : context.templateId) ?? '';
    return { text: fill(strings.errTemplate, { id }), ...quoted };
  }
  if (error.code === 'service') return { text: fill(strings.errService, { code }), ...quoted };
  return { text: strings.errOther, ...quoted };
}
