import { TranscoderError, type Phase } from '../errors.js';
import { CosErrorSchema } from './cos-schemas.js';
import { parseXml } from './xml.js';

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
const CODE_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;
const FIELDS = [
  ['code', 'Code'],
  ['message', 'Message'],
  ['requestId', 'RequestId'],
  ['traceId', 'TraceId'],
  ['resource', 'Resource'],
  ['serverTime', 'ServerTime'],
] as const;

/** `value` trimmed when it is a non-blank string; `undefined` otherwise. */
export const nonEmpty = (value: unknown): string | undefined => {
  const trimmed = typeof value === 'string' ? value.trim() : undefined;
  return trimmed ? trimmed : undefined;
};

/** Reads the body of an error response (or a 2xx body that is an `<Error>`). Never throws. */
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
  if (!('Error' in tree)) return { kind: 'xml' };
  // The schema when the document is well formed; field by field otherwise, since a half-readable error document
  // (a Message with child elements, an odd Code) is still worth reporting.
  const parsed = CosErrorSchema.safeParse(tree['Error']);
  const fields: Record<string, unknown> = parsed.success
    ? parsed.data
    : typeof tree['Error'] === 'object' && tree['Error'] !== null
      ? (tree['Error'] as Record<string, unknown>)
      : {};
  const out: ErrorBody = { kind: 'error' };
  for (const [name, element] of FIELDS) {
    const kept = nonEmpty(fields[element]);
    if (kept !== undefined && (name !== 'code' || CODE_PATTERN.test(kept))) out[name] = kept;
  }
  return out;
}

/** The longest piece of a server's own text quoted in an error message. */
const QUOTE_LIMIT = 160;

/**
 * Server text made safe to quote in a message: markup removed, white space collapsed, anything that looks like a
 * query string or a long opaque value (a signature, a token, a key id) replaced, and the length capped.
 */
export function sanitizeServerText(value: string, limit = QUOTE_LIMIT): string {
  const cleaned = value
    .replace(/(q-signature|q-ak|q-key-time|security-token|sessiontoken|tmpsecretkey|secretkey)([=:]\s*)[^\s&;,]+/gi, '$1$2***')
    .replace(/<[^>]*>?/g, ' ')
    .replace(/\?[^\s"]+/g, ' [query omitted]')
    .replace(/[A-Za-z0-9+/=_-]{32,}/g, '[redacted]')
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned.length > limit ? `${cleaned.slice(0, limit - 1)}…` : cleaned;
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

/** What {@link serviceErrorFromBody} says about the request that failed. */
export interface ServiceErrorContext {
  /** The operation, for example `cos:PutObject`. @default 'Request' */
  operation?: string;
  /** Where the request went, `PUT https://host/key`, without a query string; omitted when unknown. */
  where?: string;
  status: number;
  /** The request id from the response headers; the body's is used when absent. */
  requestId?: string;
  phase: Phase;
}

/**
 * The `service` {@link TranscoderError} for an error answer: the status, the service code and the request id
 * (headers first, then the body), `retryable` for 5xx and 429. The message names the operation, where the request
 * went, the status, the service code, the service's message (sanitised, capped) and the request id. It never quotes
 * a query string, a proxy's page or markup.
 */
export function serviceErrorFromBody(body: ErrorBody, context: ServiceErrorContext): TranscoderError {
  const requestId = context.requestId ?? body.requestId;
  // Request ids are opaque tokens meant to be quoted; only characters that could carry markup are dropped.
  const safeId = requestId?.replace(/[^\w+/=.:*-]/g, '').slice(0, 100);
  const id = safeId ? ` (request id: ${safeId})` : '';
  const where = context.where ? ` ${context.where}` : '';
  const message = `${context.operation ?? 'Request'} failed:${where} answered ${describeBody(context.status, body)}${id}`;
  return new TranscoderError(message, {
    code: 'service',
    phase: context.phase,
    status: context.status,
    serviceCode: body.code,
    requestId: safeId || undefined,
    retryable: context.status === 429 || (context.status >= 500 && context.status <= 599),
  });
}
