import { TranscoderError } from '../errors.js';
import type { Service } from '../signing/types.js';
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

/** The header that carries the STS session token, per service; the name follows the host, as in the official SDK. */
export const SECURITY_TOKEN_HEADER: Readonly<Record<Service, string>> = Object.freeze({
  cos: 'x-cos-security-token',
  ci: 'x-ci-security-token',
});

/** The session-token headers of every service: never signed, added after signing. */
export const SECURITY_TOKEN_HEADERS: ReadonlySet<string> = new Set(Object.values(SECURITY_TOKEN_HEADER));

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

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;
const HEADER_VALUE = /^[\x20-\x7e]*$/;

/**
 * Headers with lower-cased names and values trimmed of leading and trailing spaces, which browsers strip before
 * sending (a signature over the untrimmed value would not verify).
 *
 * Throws an `invalid-request` {@link TranscoderError} for a name that is not an HTTP token, or a value that is not
 * a string of printable ASCII (`[\x20-\x7E]`): line breaks would split the header, and browsers and proxies do not
 * agree on how to send other bytes. Percent-encode such values (`x-cos-meta-name: %E8%85%BE.mp4`). The message
 * names the header but never quotes its value, which may be a token.
 */
export function normalizeHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const shownName = `"${name.replace(/[^\x20-\x7e]/g, '?')}"`;
    if (!HEADER_NAME.test(name)) throw invalidHeader(`Invalid request header name ${shownName}`);
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      throw invalidHeader(
        `Invalid value for request header ${shownName}: only printable ASCII can be sent; percent-encode the rest`,
      );
    }
    out[name.toLowerCase()] = value.trim();
  }
  return out;
}

function invalidHeader(message: string): TranscoderError {
  return new TranscoderError(message, { code: 'invalid-request', phase: 'request' });
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
