import { TranscoderError } from '../errors.js';
import type { HttpRequest } from './types.js';

/**
 * Request headers a browser does not let scripts set (the Fetch standard's forbidden request-header names).
 * The browser sends its own `Host`, `Content-Length`... with the same values we sign.
 */
export const FORBIDDEN_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'accept-charset',
  'accept-encoding',
  'access-control-request-headers',
  'access-control-request-method',
  'connection',
  'content-length',
  'cookie',
  'cookie2',
  'date',
  'dnt',
  'expect',
  'host',
  'keep-alive',
  'origin',
  'referer',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
]);

/** Whether a script may not set the request header `name` (any case). */
export function isForbiddenRequestHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return FORBIDDEN_REQUEST_HEADERS.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-');
}

/** The session-token headers: never signed, added after signing. */
export const SECURITY_TOKEN_HEADERS: ReadonlySet<string> = new Set(['x-cos-security-token', 'x-ci-security-token']);

/**
 * Standard headers signed when the request carries them, besides `host` and every `x-cos-*` / `x-ci-*`. Each is
 * sent exactly as given (or, for `content-length`, exactly as the browser computes it), so signing them cannot
 * break a request, and it stops a signature being reused with another body or range.
 */
export const SIGNED_STANDARD_HEADERS: ReadonlySet<string> = new Set([
  'content-length',
  'content-md5',
  'content-type',
  'content-disposition',
  'content-encoding',
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
]);

/**
 * Headers with lower-cased names. Throws an `invalid-request` {@link TranscoderError} for a name or value that
 * is not a string or contains a line break (which would split the header).
 */
export function normalizeHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value !== 'string' || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(name) || /[\r\n\0]/.test(value)) {
      throw new TranscoderError(`Invalid request header "${name.replace(/[^\x20-\x7e]/g, '?')}"`, {
        code: 'invalid-request',
        phase: 'request',
      });
    }
    out[name.toLowerCase()] = value;
  }
  return out;
}

/** The number of bytes a body puts on the wire (strings as UTF-8). */
export function bodyByteLength(body: NonNullable<HttpRequest['body']>): number {
  if (typeof body === 'string') return new TextEncoder().encode(body).byteLength;
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  return body.size;
}

/**
 * The subset of `headers` (names lower-cased) to sign: `host`, every `x-cos-*` / `x-ci-*` except the session
 * token, and the {@link SIGNED_STANDARD_HEADERS} present. Empty values are left out (as the official SDKs do):
 * a proxy may drop an empty header, and the signature would then no longer match.
 */
export function headersToSign(headers: Readonly<Record<string, string>>, host: string): Record<string, string> {
  const signed: Record<string, string> = { host };
  for (const [name, value] of Object.entries(headers)) {
    if (value === '' || name === 'host' || SECURITY_TOKEN_HEADERS.has(name)) continue;
    if (name.startsWith('x-cos-') || name.startsWith('x-ci-') || SIGNED_STANDARD_HEADERS.has(name)) {
      signed[name] = value;
    }
  }
  return signed;
}
