import type * as z from 'zod/mini';
import { TranscoderError, type Phase } from '../errors.js';
import {
  CompleteMultipartUploadResultSchema,
  InitiateMultipartUploadResultSchema,
  ListMultipartUploadsResultSchema,
  ListPartsResultSchema,
  type CompleteMultipartUploadResult,
  type InitiateMultipartUploadResult,
  type ListMultipartUploadsResult,
  type ListPartsResult,
} from './cos-schemas.js';
import { parseErrorBody, serviceErrorFromBody } from './error-body.js';
import { validate } from './validation.js';
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
    throw serviceErrorFromBody(parseErrorBody(text), {
      operation,
      status: context.status ?? 200,
      ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
      phase,
    });
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
