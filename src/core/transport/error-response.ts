import type { TranscoderError, Phase } from '../errors.js';
import { nonEmpty, parseErrorBody, serviceErrorFromBody, type ErrorBody } from '../protocol/error-body.js';
import { urlWithoutQuery } from './endpoint.js';
import type { HttpResponse } from './types.js';

export { parseErrorBody, sanitizeServerText, type ErrorBody } from '../protocol/error-body.js';

/** The request id of a response, from `x-cos-request-id` (COS) or `x-ci-request-id` (CI). */
export function requestIdOf(response: Pick<HttpResponse, 'headers'>): string | undefined {
  return nonEmpty(response.headers['x-cos-request-id']) ?? nonEmpty(response.headers['x-ci-request-id']);
}

/** What {@link errorFromResponse} says about the request that failed. */
export interface ErrorContext {
  /** The operation, for example `cos:PutObject`. @default 'Request' */
  operation?: string;
  /** Upper-case HTTP method. */
  method: string;
  /** The request URL; its query string is never quoted. */
  url: string;
  phase: Phase;
}

/**
 * The {@link TranscoderError} for a response with a non-2xx status: code `service` whatever the body (the status
 * says what happened; `invalid-response` is kept for 2xx bodies that are not the expected document), with the
 * status, the service code and the request id (headers first, then the body), `retryable` for 5xx and 429.
 *
 * The message names the operation, method, URL without query string, status, service code, the service's message
 * (sanitised, capped) and request id. It never quotes a query string, a proxy's page or markup.
 *
 * @example
 * ```ts
 * const error = errorFromResponse(response, { operation: 'cos:PutObject', method: 'PUT', url, phase: 'upload' });
 * // cos:PutObject failed: PUT https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a.mp4 answered 503 SlowDown:
 * // "Please reduce your request rate." (request id: NjQ...)
 * ```
 */
export function errorFromResponse(
  response: HttpResponse,
  context: ErrorContext,
  body: ErrorBody = parseErrorBody(response.body),
): TranscoderError {
  const requestId = requestIdOf(response);
  return serviceErrorFromBody(body, {
    ...(context.operation === undefined ? {} : { operation: context.operation }),
    where: `${context.method.toUpperCase()} ${urlWithoutQuery(context.url)}`,
    status: response.status,
    ...(requestId === undefined ? {} : { requestId }),
    phase: context.phase,
  });
}
