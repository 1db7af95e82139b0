import { timingSafeEqual } from 'node:crypto';
import { canonicalize, computeSignature, parseAuthorization } from '../../core/signing/authorization.js';
import { serviceError, type EmulatorError } from '../errors.js';
import { header, type RequestContext } from '../http/request-context.js';
import type { Keyring, Principal } from './keyring.js';

const TOKEN_HEADERS = ['x-cos-security-token', 'x-ci-security-token'] as const;
const SIGNATURE_FIELDS = [
  'q-sign-algorithm',
  'q-ak',
  'q-sign-time',
  'q-key-time',
  'q-header-list',
  'q-url-param-list',
  'q-signature',
];

const denied = (message: string): EmulatorError => serviceError('AccessDenied', message);
const expiredToken = (): EmulatorError => serviceError('ExpiredToken', 'The provided token has expired.');

/** The session token of a request: a token header, or the signed URL's query. */
function tokenOf(ctx: RequestContext): string | undefined {
  return (
    TOKEN_HEADERS.map((name) => header(ctx, name)).find((value) => value !== undefined) ??
    ctx.query.get('x-cos-security-token') ??
    ctx.query.get('x-ci-security-token')
  );
}

/** The signature fields of a request: the `Authorization` header, or the same `q-*` fields in a signed URL. */
function signatureText(ctx: RequestContext): string | undefined {
  const authorization = header(ctx, 'authorization');
  if (authorization !== undefined) return authorization.trim();
  if (!ctx.query.has('q-signature')) return undefined;
  return SIGNATURE_FIELDS.map((name) => `${name}=${ctx.query.get(name) ?? ''}`).join('&');
}

function parseSignTime(text: string): { start: number; end: number } | undefined {
  const match = /^(\d{1,12});(\d{1,12})$/.exec(text);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  return start <= end ? { start, end } : undefined;
}

function safeDecode(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Verifies a COS / CI request signature the way the service does (protocol reference, section 1.5): the key by
 * `q-ak`, the `q-sign-time` window against the server clock, the signature over exactly the headers and parameters
 * the client listed (unlisted ones are ignored, listed but absent ones count as empty), and for temporary keys the
 * session token in `x-cos-security-token` or `x-ci-security-token` (or the signed URL's query). Throws an
 * {@link EmulatorError} with the service's code; returns who signed. Temporary keys the keyring has forgotten because
 * they expired are told `ExpiredToken` when the request carries their token.
 */
export async function verifySignature(
  ctx: RequestContext,
  keyring: Keyring,
  maxClockSkewSeconds: number,
): Promise<Principal> {
  const text = signatureText(ctx);
  if (text === undefined) throw denied('Access Denied. The request is not signed.');
  const parsed = parseAuthorization(text);
  if (!parsed) throw denied('Access Denied. The Authorization is malformed.');
  if (parsed.algorithm !== 'sha1') throw denied('Access Denied. q-sign-algorithm must be sha1.');
  const window = parseSignTime(parsed.signTime);
  if (!window || parsed.keyTime !== parsed.signTime) {
    throw denied('Access Denied. q-sign-time and q-key-time must be the same start;end in seconds.');
  }
  const now = Math.floor(ctx.now / 1000);
  if (window.start > now + maxClockSkewSeconds) {
    throw serviceError(
      'RequestTimeTooSkewed',
      "The difference between the request time and the server's time is too large.",
    );
  }
  if (window.end < now) throw denied('Request has expired');
  // The signature window first: a key forgotten because it expired still hears that its signature ended.
  const record = keyring.find(parsed.secretId);
  if (!record) {
    const token = tokenOf(ctx);
    if (token !== undefined && keyring.isExpiredToken(parsed.secretId, token)) throw expiredToken();
    throw serviceError('InvalidAccessKeyId', 'The access key Id format you provided is invalid.');
  }

  const headers: Record<string, string> = {};
  for (const name of parsed.headerList) headers[safeDecode(name)] = header(ctx, safeDecode(name)) ?? '';
  const lowerQuery = new Map<string, string>();
  for (const [name, value] of ctx.query) lowerQuery.set(name.toLowerCase(), value);
  const query: Record<string, string> = {};
  for (const name of parsed.urlParamList) {
    const decoded = safeDecode(name).toLowerCase();
    query[decoded] = lowerQuery.get(decoded) ?? '';
  }
  const canonical = canonicalize({ method: ctx.method, pathname: ctx.pathname, query, headers });
  const expected = await computeSignature(record.secretKey, parsed.keyTime, canonical.httpString);
  if (!sameText(expected, parsed.signature.toLowerCase())) {
    throw serviceError('SignatureDoesNotMatch', 'The Signature you specified is invalid.');
  }

  const { principal } = record;
  if (principal.kind === 'temporary') {
    const token = tokenOf(ctx);
    if (token === undefined || token === '') {
      throw denied('Access Denied. Temporary keys need their security token (x-cos-security-token).');
    }
    if (!record.token || !sameText(token, record.token)) {
      throw denied('Access Denied. The security token does not belong to this key.');
    }
    if (principal.expiresAt !== undefined && ctx.now >= principal.expiresAt) {
      throw expiredToken();
    }
  }
  return principal;
}
