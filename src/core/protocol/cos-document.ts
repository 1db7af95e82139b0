import type * as z from 'zod/mini';
import { TranscoderError, type Phase } from '../errors.js';
import {
  CompleteMultipartUploadResultSchema,
  CosErrorSchema,
  InitiateMultipartUploadResultSchema,
  ListMultipartUploadsResultSchema,
  ListPartsResultSchema,
  type CompleteMultipartUploadResult,
  type CosError,
  type InitiateMultipartUploadResult,
  type ListMultipartUploadsResult,
  type ListPartsResult,
} from './cos-schemas.js';
import { describeIssue, validate } from './validation.js';
import { parseXml } from './xml.js';

/** What the transport knows about a response besides its body. */
export interface ResponseContext {
  /** The operation, for messages: `CompleteMultipartUpload`, `SubmitJob`. @default the expected root element */
  readonly operation?: string;
  /** HTTP status. */
  readonly status?: number;
  /** `x-cos-request-id` / `x-ci-request-id`; preferred over the body's `RequestId`. */
  readonly requestId?: string;
}

const MAX_SERVICE_MESSAGE = 200;
const MAX_REQUEST_ID = 128;

/** Keeps a service-supplied string short and free of anything that looks like a credential. */
function sanitize(value: string, max: number): string {
  const redacted = value
    .replace(/(q-signature|q-ak|x-c(?:os|i)-security-token|sessionToken|tmpSecretKey)([=:]\s*)[^\s&;,]+/gi, '$1$2***')
    .replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return redacted.length > max ? `${redacted.slice(0, max)}…` : redacted;
}

function serviceError(error: CosError | undefined, phase: Phase, context: ResponseContext): TranscoderError {
  const requestId = context.requestId ?? error?.RequestId;
  const safeRequestId = requestId === undefined ? undefined : sanitize(requestId, MAX_REQUEST_ID);
  const parts = [`${context.operation ?? 'Request'} failed:`];
  if (context.status !== undefined) parts.push(`HTTP ${context.status}`);
  if (error !== undefined) parts.push(error.Code);
  if (error?.Message) parts.push(`(${sanitize(error.Message, MAX_SERVICE_MESSAGE)})`);
  if (safeRequestId !== undefined) parts.push(`request id ${safeRequestId}`);
  const status = context.status;
  return new TranscoderError(parts.join(' '), {
    code: 'service',
    phase,
    status,
    serviceCode: error?.Code,
    requestId: safeRequestId,
    retryable: status !== undefined && (status >= 500 || status === 429),
  });
}

/**
 * Parses a successful COS or CI response body: the XML must have the root element `root`, whose content must
 * satisfy `schema`. Returns the typed content.
 *
 * Throws a {@link TranscoderError}:
 * - `service` when the body is an `<Error>` document, even with a 2xx status (CompleteMultipartUpload answers 200
 *   first and may report a failure found while merging in the body);
 * - `invalid-response` for anything else that is not the expected document; the message names the failing field
 *   paths and rules, and the `cause` lists them (never the body).
 *
 * @example
 * ```ts
 * const root = 'InitiateMultipartUploadResult';
 * const result = parseCosDocument(body, root, InitiateMultipartUploadResultSchema, 'upload');
 * result.UploadId;
 * ```
 */
export function parseCosDocument<S extends z.core.$ZodType>(
  text: string,
  root: string,
  schema: S,
  phase: Phase,
  context: ResponseContext = {},
): z.output<S> {
  const tree = parseXml(text, phase);
  const operation = context.operation ?? root;
  if ('Error' in tree && root !== 'Error') {
    const result = CosErrorSchema.safeParse(tree['Error'], { error: describeIssue });
    throw serviceError(result.success ? result.data : undefined, phase, { ...context, operation });
  }
  if (!(root in tree)) {
    throw new TranscoderError(`${operation}: expected a <${root}> document`, { code: 'invalid-response', phase });
  }
  return validate(schema, tree[root], {
    code: 'invalid-response',
    phase,
    subject: `${operation} response`,
  });
}

/** Parses the answer of `POST /<Key>?uploads`. See {@link parseCosDocument} for the errors. */
export const parseInitiateMultipartUploadResult = (
  text: string,
  context?: ResponseContext,
): InitiateMultipartUploadResult =>
  parseCosDocument(text, 'InitiateMultipartUploadResult', InitiateMultipartUploadResultSchema, 'upload', {
    operation: 'InitiateMultipartUpload',
    ...context,
  });

/** Parses the answer of `GET /<Key>?uploadId=`. See {@link parseCosDocument} for the errors. */
export const parseListPartsResult = (text: string, context?: ResponseContext): ListPartsResult =>
  parseCosDocument(text, 'ListPartsResult', ListPartsResultSchema, 'upload', { operation: 'ListParts', ...context });

/** Parses the answer of `GET /?uploads`. See {@link parseCosDocument} for the errors. */
export const parseListMultipartUploadsResult = (
  text: string,
  context?: ResponseContext,
): ListMultipartUploadsResult =>
  parseCosDocument(text, 'ListMultipartUploadsResult', ListMultipartUploadsResultSchema, 'upload', {
    operation: 'ListMultipartUploads',
    ...context,
  });

/**
 * Parses the answer of `POST /<Key>?uploadId=`, which may start with white space sent while parts merge and may
 * be an `<Error>` despite status 200. See {@link parseCosDocument} for the errors.
 */
export const parseCompleteMultipartUploadResult = (
  text: string,
  context?: ResponseContext,
): CompleteMultipartUploadResult =>
  parseCosDocument(text, 'CompleteMultipartUploadResult', CompleteMultipartUploadResultSchema, 'complete', {
    operation: 'CompleteMultipartUpload',
    ...context,
  });
