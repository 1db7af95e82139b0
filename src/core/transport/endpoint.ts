import { TranscoderError } from '../errors.js';
import { cosEncode, encodeKeyPath } from '../signing/encode.js';
import type { Service } from '../signing/types.js';

/** A bucket name with its APPID, `examplebucket-1250000000`. */
export const BUCKET_PATTERN = /^[a-z0-9-]+-\d+$/;

/** A region name, `ap-guangzhou`. */
export const REGION_PATTERN = /^[a-z0-9-]+$/;

/** Host templates per service; `{Bucket}` and `{Region}` are replaced, and a `:port` may follow. */
export type DomainTemplates = Readonly<Record<Service, string>>;

/** The public Tencent Cloud endpoints. */
export const DEFAULT_DOMAINS: DomainTemplates = Object.freeze({
  cos: '{Bucket}.cos.{Region}.myqcloud.com',
  ci: '{Bucket}.ci.{Region}.myqcloud.com',
});

const AUTHORITY_PATTERN = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d{1,5})?$/;

/**
 * The `host[:port]` a template names for a bucket and region, lower-cased. Throws an `invalid-options`
 * {@link TranscoderError} when the result is not a host name with an optional port (a scheme, a path or a
 * placeholder other than `{Bucket}` and `{Region}` is a mistake).
 */
export function resolveHost(template: string, bucket: string, region: string): string {
  const host = String(template).replaceAll('{Bucket}', bucket).replaceAll('{Region}', region).toLowerCase();
  if (!AUTHORITY_PATTERN.test(host)) {
    throw new TranscoderError(
      `Invalid domain template "${String(template)}": expected a host name, {Bucket} and {Region}, and a :port`,
      { code: 'invalid-options', phase: 'options' },
    );
  }
  return host;
}

function invalidRequest(message: string): TranscoderError {
  return new TranscoderError(message, { code: 'invalid-request', phase: 'request' });
}

function checkPath(pathname: string, what: string): void {
  // WHATWG URL parsing (browsers, Node) folds `.` and `..` segments, encoded or not, so the path on the wire would
  // differ from the signed one.
  if (pathname.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment))) {
    throw invalidRequest(`Invalid ${what}: "." and ".." path segments cannot be sent`);
  }
  try {
    encodeURIComponent(pathname);
  } catch (cause) {
    throw new TranscoderError(`Invalid ${what}: not well-formed Unicode`, {
      code: 'invalid-request',
      phase: 'request',
      cause,
    });
  }
}

/**
 * The decoded path of a request: `/` + `key` for an object, or `pathname` as given (`/jobs/abc`). `key` is an
 * object key without a leading `/` (`''` is the bucket itself). Throws an `invalid-request` {@link TranscoderError}
 * for a key with a leading `/`, a `.` or `..` segment, or lone surrogates.
 */
export function requestPathname(target: { key?: string; pathname?: string }): string {
  if (target.key !== undefined && target.pathname !== undefined) {
    throw invalidRequest('Give either an object key or a pathname, not both');
  }
  if (target.key !== undefined) {
    if (typeof target.key !== 'string') throw invalidRequest('Invalid object key: not a string');
    if (target.key.startsWith('/')) throw invalidRequest('Invalid object key: it must not start with "/"');
    const pathname = `/${target.key}`;
    checkPath(pathname, 'object key');
    return pathname;
  }
  const pathname = target.pathname ?? '/';
  if (typeof pathname !== 'string' || !pathname.startsWith('/')) {
    throw invalidRequest('Invalid pathname: it must start with "/"');
  }
  checkPath(pathname, 'pathname');
  return pathname;
}

/**
 * The query string for `query`, `?` included (or `''`): names and values encoded like the signature encodes them,
 * in the given order; an empty value is sent as a bare name (`?uploads`).
 */
export function encodeQuery(query: Readonly<Record<string, string>> | undefined): string {
  const pairs = Object.entries(query ?? {}).map(([name, value]) =>
    value === '' ? cosEncode(name) : `${cosEncode(name)}=${cosEncode(value)}`,
  );
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}

/**
 * The absolute URL of a request: `protocol://host` + the encoded `pathname` + the encoded query.
 *
 * @example
 * ```ts
 * const host = 'b-1250000000.cos.ap-guangzhou.myqcloud.com';
 * buildUrl({ protocol: 'https', host, pathname: '/dir/a b.mp4', query: { uploads: '' } });
 * // 'https://b-1250000000.cos.ap-guangzhou.myqcloud.com/dir/a%20b.mp4?uploads'
 * ```
 */
export function buildUrl(parts: {
  protocol: 'https' | 'http';
  host: string;
  pathname: string;
  query?: Readonly<Record<string, string>>;
}): string {
  return `${parts.protocol}://${parts.host}${encodeKeyPath(parts.pathname)}${encodeQuery(parts.query)}`;
}

/** `url` without its query string and fragment, safe to put in messages and logs. */
export function urlWithoutQuery(url: string): string {
  const text = String(url);
  const end = text.search(/[?#]/);
  return end < 0 ? text : text.slice(0, end);
}
