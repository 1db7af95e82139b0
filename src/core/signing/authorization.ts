import { TranscoderError } from '../errors.js';
import { hmacSha1Hex, sha1Hex } from './digest.js';
import { cosEncode } from './encode.js';

/** The validity window of a signature, in Unix seconds. */
export interface KeyTime {
  start: number;
  end: number;
}

/** What goes into a COS v5 signature. */
export interface SignableRequest {
  /** HTTP method, any case (`PUT`, `get`...). */
  method: string;
  /** The decoded path, starting with `/`: `/input/a b(1).mp4`, `/jobs`, `/jobs/j123`. */
  pathname: string;
  /** Query parameters to sign. A valueless action parameter (`?uploads`) is `''`. */
  query?: Readonly<Record<string, string | number | null | undefined>>;
  /** Headers to sign, by name in any case. `Host` belongs here. */
  headers?: Readonly<Record<string, string | number | null | undefined>>;
}

/** Input of {@link createAuthorization}. */
export interface AuthorizationInput extends SignableRequest {
  /** Permanent or temporary (STS `TmpSecretId`) key id. */
  secretId: string;
  /** The matching secret key. It is used for the HMAC and nothing else: never logged, never returned. */
  secretKey: string;
  /** When the signature is valid, in Unix seconds. */
  keyTime: KeyTime;
}

/** The canonical form the signature is computed over (exported for verifiers such as the emulator). */
export interface CanonicalRequest {
  /** `method\npath\nparams\nheaders\n`. */
  httpString: string;
  /** `q-header-list`: the signed header names, lower-cased, encoded, sorted, `;`-joined. */
  headerList: string;
  /** `q-url-param-list`: the signed parameter names, same rules. */
  urlParamList: string;
}

/** The seven fields of an `Authorization` value. */
export interface ParsedAuthorization {
  algorithm: string;
  secretId: string;
  signTime: string;
  keyTime: string;
  headerList: string[];
  urlParamList: string[];
  signature: string;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'head', 'options', 'patch']);

/** `start;end`, decimal seconds, as the signature and `q-sign-time` carry it. */
export function formatKeyTime({ start, end }: KeyTime): string {
  return `${start};${end}`;
}

function canonicalPairs(
  record: Readonly<Record<string, string | number | null | undefined>> | undefined,
): [string, string][] {
  const byKey = new Map<string, string>();
  for (const [name, value] of Object.entries(record ?? {})) {
    if (value === undefined) continue;
    // Later duplicates (`versionId` then `versionid`) win, as in the JS and Python SDKs.
    byKey.set(cosEncode(name).toLowerCase(), cosEncode(value === null ? '' : String(value)));
  }
  return [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Builds the canonical `HttpString` and the two name lists of a request. Pure: no key involved.
 */
export function canonicalize(request: SignableRequest): CanonicalRequest {
  const params = canonicalPairs(request.query);
  const headers = canonicalPairs(request.headers);
  const join = (pairs: [string, string][]) => pairs.map(([k, v]) => `${k}=${v}`).join('&');
  return {
    httpString: `${request.method.toLowerCase()}\n${request.pathname}\n${join(params)}\n${join(headers)}\n`,
    headerList: headers.map(([k]) => k).join(';'),
    urlParamList: params.map(([k]) => k).join(';'),
  };
}

/**
 * The SignKey of a secret key over a key time (`start;end`): `HMAC-SHA1(secretKey, keyTime)` as 40 hex characters.
 * Every request signed over the same key time with the same key shares it, so a caller that signs many requests
 * may keep it (and not the secret key) to save one HMAC per request.
 */
export function deriveSignKey(secretKey: string, keyTime: string): Promise<string> {
  return hmacSha1Hex(secretKey, keyTime);
}

/** The `q-signature` for a canonical `httpString` over `keyTime` (`start;end`), from its {@link deriveSignKey}. */
export async function signWithKey(signKey: string, keyTime: string, httpString: string): Promise<string> {
  // The SignKey is keyed as its 40-character hex text, not its bytes, as every SDK does it.
  return hmacSha1Hex(signKey, `sha1\n${keyTime}\n${await sha1Hex(httpString)}\n`);
}

/**
 * The `q-signature` for a canonical `httpString` signed with `secretKey` over `keyTime` (`start;end`).
 */
export async function computeSignature(secretKey: string, keyTime: string, httpString: string): Promise<string> {
  return signWithKey(await deriveSignKey(secretKey, keyTime), keyTime, httpString);
}

function invalid(message: string): TranscoderError {
  return new TranscoderError(`Cannot sign: ${message}`, { code: 'invalid-options', phase: 'sign' });
}

/** Visible ASCII: what a header value carries as it is. */
const HEADER_SAFE = /^[\x21-\x7E]+$/;

function checkKey(field: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') throw invalid(`${field} is empty`);
  if (/\s/.test(value)) throw invalid(`${field} contains white space`);
  if (!HEADER_SAFE.test(value)) throw invalid(`${field} contains characters other than visible ASCII`);
}

function checkRequest(input: SignableRequest & { secretId: string; keyTime: KeyTime }): void {
  checkKey('secretId', input.secretId);
  if (!METHODS.has(String(input.method).toLowerCase())) throw invalid(`unknown method "${String(input.method)}"`);
  if (typeof input.pathname !== 'string' || !input.pathname.startsWith('/')) {
    throw invalid('pathname must start with "/"');
  }
  const { start, end } = input.keyTime ?? {};
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw invalid('keyTime must be whole Unix seconds with start <= end');
  }
}

/**
 * Signs a COS or CI request with the COS v5 algorithm (`q-sign-algorithm=sha1`) and returns the `Authorization`
 * header value.
 *
 * Only the query parameters and headers passed are signed; the service checks exactly the lists the value declares.
 *
 * @example
 * ```ts
 * const authorization = await createAuthorization({
 *   secretId, secretKey, method: 'PUT', pathname: '/input/a b(1).mp4',
 *   headers: { host: 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com', 'content-length': 13 },
 *   keyTime: { start: now, end: now + 900 },
 * });
 * ```
 */
export async function createAuthorization(input: AuthorizationInput): Promise<string> {
  checkRequest(input);
  checkKey('secretKey', input.secretKey);
  const keyTime = formatKeyTime(input.keyTime);
  return assemble(input, keyTime, await deriveSignKey(input.secretKey, keyTime));
}

/** Input of {@link createAuthorizationWithSignKey}: the SignKey in place of the secret key. */
export interface SignKeyAuthorizationInput extends SignableRequest {
  /** Permanent or temporary (STS `TmpSecretId`) key id. */
  secretId: string;
  /** The {@link deriveSignKey} of the secret key over exactly `keyTime`. */
  signKey: string;
  /** When the signature is valid, in Unix seconds. */
  keyTime: KeyTime;
}

/**
 * {@link createAuthorization} from a SignKey kept from an earlier signature over the same key time, so that the
 * secret key itself need not be kept.
 */
export async function createAuthorizationWithSignKey(input: SignKeyAuthorizationInput): Promise<string> {
  checkRequest(input);
  if (typeof input.signKey !== 'string' || !/^[0-9a-f]{40}$/.test(input.signKey)) {
    throw invalid('signKey must be 40 lowercase hex digits');
  }
  return assemble(input, formatKeyTime(input.keyTime), input.signKey);
}

async function assemble(
  input: SignableRequest & { secretId: string },
  keyTime: string,
  signKey: string,
): Promise<string> {
  const canonical = canonicalize(input);
  const signature = await signWithKey(signKey, keyTime, canonical.httpString);
  return (
    `q-sign-algorithm=sha1&q-ak=${input.secretId}&q-sign-time=${keyTime}&q-key-time=${keyTime}` +
    `&q-header-list=${canonical.headerList}&q-url-param-list=${canonical.urlParamList}&q-signature=${signature}`
  );
}

const FIELDS = {
  'q-sign-algorithm': 'algorithm',
  'q-ak': 'secretId',
  'q-sign-time': 'signTime',
  'q-key-time': 'keyTime',
  'q-header-list': 'headerList',
  'q-url-param-list': 'urlParamList',
  'q-signature': 'signature',
} as const;

/**
 * Splits an `Authorization` value (or the same fields from a signed URL's query) into its fields. Returns
 * `undefined` when a field is missing or repeated, or the value contains white space.
 */
export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  if (typeof value !== 'string' || /\s/.test(value)) return undefined;
  const found: Record<string, string> = {};
  for (const part of value.split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const name = part.slice(0, eq);
    const field = (FIELDS as Record<string, string>)[name];
    if (!field || field in found) return undefined;
    found[field] = part.slice(eq + 1);
  }
  if (Object.keys(found).length !== Object.keys(FIELDS).length) return undefined;
  const list = (s: string | undefined) => (s ? s.split(';') : []);
  return {
    algorithm: found.algorithm!,
    secretId: found.secretId!,
    signTime: found.signTime!,
    keyTime: found.keyTime!,
    headerList: list(found.headerList),
    urlParamList: list(found.urlParamList),
    signature: found.signature!,
  };
}
