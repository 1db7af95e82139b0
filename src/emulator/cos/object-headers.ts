import { serviceError } from '../errors.js';
import type { StoredObject } from '../env.js';
import { header, queryParam, type RequestContext } from '../http/request-context.js';
import { hasXmlForbiddenCharacter } from '../http/xml-safe.js';

/** The `Content-Type` of an object uploaded without one (or with an empty one, as the JS SDK may send). */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** Longest object key COS accepts, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 850;

/** Standard headers COS stores with an object and echoes on GET / HEAD, under their canonical names. */
const STORED_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'Cache-Control',
  'content-disposition': 'Content-Disposition',
  'content-encoding': 'Content-Encoding',
  'content-language': 'Content-Language',
  expires: 'Expires',
};

/** GET Object query parameters that override a reply header, as COS supports them for downloads. */
const RESPONSE_OVERRIDES: Readonly<Record<string, string>> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
};

/**
 * Checks an object key as COS does: not empty (`InvalidObjectName`), at most {@link MAX_KEY_BYTES} UTF-8 bytes
 * (`KeyTooLong`), and only characters an XML 1.0 reply can carry (`InvalidObjectName`): no C0 control other than
 * tab, LF and CR, no U+FFFE / U+FFFF, no lone surrogate. COS documents refusing the controls CAN, EM, SUB and ESC
 * (24 to 27) and accepts other UTF-8; the emulator refuses every control XML 1.0 forbids, so that no listing or
 * echo of the key can break a client's XML parser (tab, LF, CR, DEL and C1 are kept, and written as character
 * references, or percent-encoded with `encoding-type=url`). Spaces, CJK, `+`, `(`, `!` and the like are fine. A
 * path that is not valid percent-encoded UTF-8 never gets here: the server answers it `InvalidURI`.
 */
export function validateKey(key: string): void {
  if (key === '') throw serviceError('InvalidObjectName', 'The object key must not be empty.');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw serviceError('KeyTooLong', `Your key is too long: the maximum is ${MAX_KEY_BYTES} bytes.`);
  }
  if (hasXmlForbiddenCharacter(key)) {
    throw serviceError('InvalidObjectName', 'The object key contains characters that are not allowed.');
  }
}

/**
 * What an upload stores besides its bytes: its `Content-Type` (default {@link DEFAULT_CONTENT_TYPE}), the standard
 * headers COS keeps (`Cache-Control`, `Content-Disposition`, `Content-Encoding`, `Content-Language`, `Expires`) and
 * every `x-cos-meta-*` header. Empty values are not stored (the JS SDK always sends an empty `Cache-Control`).
 */
export function uploadMetadata(ctx: Pick<RequestContext, 'req'>): {
  contentType: string;
  headers: Record<string, string>;
} {
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(ctx.req.headers)) {
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    if (value === undefined || value === '') continue;
    const canonical = STORED_HEADERS[name];
    if (canonical !== undefined) headers[canonical] = value;
    else if (name.startsWith('x-cos-meta-') && name.length > 'x-cos-meta-'.length) headers[name] = value;
  }
  const contentType = header(ctx, 'content-type');
  return { contentType: contentType === undefined || contentType === '' ? DEFAULT_CONTENT_TYPE : contentType, headers };
}

/** The header value of a CRC-64, made wrong (still a valid unsigned decimal) when a fault asks for it. */
export function crcHeader(crc64: string, corrupt: boolean): string {
  return corrupt ? (BigInt(crc64) ^ 1n).toString(10) : crc64;
}

/**
 * The headers GET and HEAD Object answer with: `Content-Type`, `ETag`, `Last-Modified` (RFC 1123), `Accept-Ranges`,
 * the stored headers, and `x-cos-hash-crc64ecma` when the reply carries the whole object. `response-*` query
 * parameters override the matching headers. `Content-Length` is the caller's.
 */
export function objectHeaders(
  ctx: Pick<RequestContext, 'query'>,
  object: StoredObject,
  options: { whole: boolean; corruptCrc: boolean },
): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': object.contentType,
    ETag: object.etag,
    'Last-Modified': new Date(object.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
    ...object.headers,
  };
  if (options.whole) headers['x-cos-hash-crc64ecma'] = crcHeader(object.crc64, options.corruptCrc);
  for (const [parameter, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = queryParam(ctx, parameter);
    if (value !== undefined && value !== '') headers[name] = overrideValue(parameter, value);
  }
  return headers;
}

/**
 * A `response-*` value as a header value: control characters (CR, LF...) cannot be in a header and are a 400
 * `InvalidArgument`; other characters are sent as their UTF-8 bytes (`filename="中文.mp4"`) [I].
 */
function overrideValue(parameter: string, value: string): string {
  if (/[\x00-\x08\x0A-\x1F\x7F]/.test(value)) {
    throw serviceError('InvalidArgument', `The ${parameter} parameter contains characters a header cannot carry.`);
  }
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** Whether an `If-Match` / `If-None-Match` list (`"a", "b"`, `W/"a"` or `*`) names `etag`. */
export function etagListMatches(list: string, etag: string): boolean {
  const bare = etag.replace(/^"|"$/g, '');
  return list
    .split(',')
    .map((item) => item.trim().replace(/^W\//, '').replace(/^"|"$/g, ''))
    .some((item) => item === '*' || item === bare);
}
