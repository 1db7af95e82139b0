import * as z from 'zod/mini';
import { TranscoderError, type Phase } from '../errors.js';
import { parseXml } from '../protocol/xml.js';
import { urlWithoutQuery } from './endpoint.js';
import type { HttpResponse } from './types.js';

// A field that is not text (an element with children) is dropped rather than failing the whole document: the
// rest of an error body is still worth reporting.
const text = z.catch(z.optional(z.string()), undefined);

/** The `<Error>` document COS and CI send with error statuses (CI's has no `<Resource>`). */
export const ErrorDocumentSchema = z.object({
  Error: z.object({
    Code: text,
    Message: text,
    Resource: text,
    RequestId: text,
    TraceId: text,
    ServerTime: text,
  }),
});

/** A parsed `<Error>` document. */
export type ErrorDocument = z.infer<typeof ErrorDocumentSchema>;

/**
 * What an error response's body turned out to be:
 * - `error`: an `<Error>` document; its fields are filled in when present.
 * - `empty`: no body (a `HEAD`, or some 5xx).
 * - `html`: a web page, usually from a proxy or gateway in front of the service.
 * - `xml`: a well-formed XML document that is not an `<Error>`.
 * - `malformed`: XML that does not parse (for example a body cut short).
 * - `text`: anything else.
 */
export interface ErrorBody {
  kind: 'error' | 'empty' | 'html' | 'xml' | 'malformed' | 'text';
  /** `<Code>`, for example `NoSuchUpload`. */
  code?: string;
  /** `<Message>`, as the service wrote it. */
  message?: string;
  requestId?: string;
  traceId?: string;
  resource?: string;
  /** `<ServerTime>`, when the service reports its clock. */
  serverTime?: string;
}

const HTML_PATTERN = /<!doctype\s+html|<html[\s>]|<body[\s>]|<head[\s>]/i;

const nonEmpty = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

/** Reads the body of an error response. Never throws. */
export function parseErrorBody(body: string): ErrorBody {
  const trimmed = typeof body === 'string' ? body.trim() : '';
  if (trimmed === '') return { kind: 'empty' };
  if (HTML_PATTERN.test(trimmed.slice(0, 2048))) return { kind: 'html' };
  if (!trimmed.startsWith('<')) return { kind: 'text' };
  let tree: Record<string, unknown>;
  try {
    tree = parseXml(trimmed);
  } catch {
    return { kind: 'malformed' };
  }
  const parsed = ErrorDocumentSchema.safeParse(tree);
  if (!parsed.success) return { kind: 'xml' };
  const fields = parsed.data.Error;
  const out: ErrorBody = { kind: 'error' };
  const entries = [
    ['code', fields.Code],
    ['message', fields.Message],
    ['requestId', fields.RequestId],
    ['traceId', fields.TraceId],
    ['resource', fields.Resource],
    ['serverTime', fields.ServerTime],
  ] as const;
  for (const [name, value] of entries) {
    const kept = nonEmpty(value);
    if (kept !== undefined) out[name] = kept;
  }
  return out;
}

/** The request id of a response, from `x-cos-request-id` (COS) or `x-ci-request-id` (CI). */
export function requestIdOf(response: Pick<HttpResponse, 'headers'>): string | undefined {
  return nonEmpty(response.headers['x-cos-request-id']) ?? nonEmpty(response.headers['x-ci-request-id']);
}

/** The longest piece of a server's own text quoted in an error message. */
const QUOTE_LIMIT = 160;

/**
 * Server text made safe to quote in a message: markup removed, white space collapsed, anything that looks like a
 * query string or a long opaque value (a signature, a token, a key id) replaced, and the length capped.
 */
export function sanitizeServerText(value: string, limit = QUOTE_LIMIT): string {
  const cleaned = value
    .replace(/<[^>]*>?/g, ' ')
    .replace(/\?[^\s"]+/g, ' [query omitted]')
    .replace(/[A-Za-z0-9+/=_-]{32,}/g, '[redacted]')
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned.length > limit ? `${cleaned.slice(0, limit - 1)}…` : cleaned;
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

function describeBody(status: number, body: ErrorBody): string {
  switch (body.kind) {
    case 'error': {
      const code = body.code ? ` ${body.code}` : '';
      const said = body.message ? `: "${sanitizeServerText(body.message)}"` : '';
      return `${status}${code}${said}`;
    }
    case 'empty':
      return `${status} with an empty body`;
    case 'html':
      return `${status} with an HTML page, probably from a proxy or gateway`;
    case 'xml':
      return `${status} with an XML document that is not an error document`;
    case 'malformed':
      return `${status} with a malformed XML error document`;
    case 'text':
      return `${status} with a non-XML body`;
  }
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
  const requestId = requestIdOf(response) ?? body.requestId;
  const where = `${context.method.toUpperCase()} ${urlWithoutQuery(context.url)}`;
  // Request ids are opaque tokens meant to be quoted; only characters that could carry markup are dropped.
  const id = requestId ? ` (request id: ${requestId.replace(/[^\w+/=.:-]/g, '').slice(0, 100)})` : '';
  const answer = describeBody(response.status, body);
  const message = `${context.operation ?? 'Request'} failed: ${where} answered ${answer}${id}`;
  return new TranscoderError(message, {
    code: 'service',
    phase: context.phase,
    status: response.status,
    serviceCode: body.code,
    requestId,
    retryable: response.status === 429 || (response.status >= 500 && response.status <= 599),
  });
}
