import * as z from 'zod/mini';
import { TranscoderError } from '../errors.js';
import { isFiniteNumber } from '../protocol/schema-helpers.js';
import { parseAuthorization } from './authorization.js';
import type { AuthorizationRequest } from './types.js';

/**
 * Temporary credentials in the shape `cos-js-sdk-v5`'s `getAuthorization` callback takes, so a backend written
 * for that SDK works unchanged.
 */
export interface CosSdkCredentials {
  /** The STS `TmpSecretId`. */
  TmpSecretId: string;
  /** The STS `TmpSecretKey`. It signs requests in the browser and is never logged, stored or sent. */
  TmpSecretKey: string;
  /** The STS session token. Either this or {@link CosSdkCredentials.XCosSecurityToken} is required. */
  SecurityToken?: string;
  /** Older name of `SecurityToken`, accepted as the SDK accepts it. */
  XCosSecurityToken?: string;
  /**
   * When the credentials were issued, in 10-digit Unix seconds (a number or a numeric string). Recommended: it is
   * the service's clock, so it also corrects a browser whose clock is far off.
   */
  StartTime?: number | string;
  /** When the credentials expire, in 10-digit Unix seconds (a number or a numeric string). */
  ExpiredTime: number | string;
  /**
   * `true` when the credentials are limited to the one request they were asked for (a policy per object key):
   * they are then used for that request only and never cached.
   * @default false
   */
  ScopeLimit?: boolean;
}

/** What `getCredential` of the `qcloud-cos-sts` Node package resolves with, passed on as it comes. */
export interface StsCredentialsOutput {
  credentials: {
    tmpSecretId: string;
    /** Signs requests in the browser; never logged, stored or sent. */
    tmpSecretKey: string;
    sessionToken: string;
  };
  /** `expiredTime - durationSeconds`, in 10-digit Unix seconds. */
  startTime?: number | string;
  /** In 10-digit Unix seconds. */
  expiredTime: number | string;
  /** The same instant as `expiredTime`, as ISO 8601; not used. */
  expiration?: string;
  /** STS request id; not used. */
  requestId?: string;
}

/**
 * A signature the host computed on its server for exactly the request it was given (method, pathname, query and
 * headers), as an object. A bare `Authorization` string is accepted too.
 */
export interface SignatureResult {
  /**
   * The `Authorization` header value,
   * `q-sign-algorithm=sha1&q-ak=...&q-sign-time=...&q-key-time=...&q-header-list=...&q-url-param-list=...&q-signature=...`.
   */
  Authorization: string;
  /** The session token, when the signature was made with temporary credentials. `''` counts as absent. */
  SecurityToken?: string;
  /** Older name of `SecurityToken`. */
  XCosSecurityToken?: string;
}

/** Everything a host's {@link GetAuthorization} may answer with. */
export type AuthorizationResult = CosSdkCredentials | StsCredentialsOutput | SignatureResult | string;

/** The second argument of {@link GetAuthorization}. */
export interface GetAuthorizationContext {
  /**
   * Aborted when nobody waits for the answer any more: the call timed out, or every upload waiting for it was
   * cancelled. Pass it to `fetch` to cancel the request to your backend.
   */
  signal: AbortSignal;
}

/**
 * The host page's signing callback. It receives the request to sign and answers, synchronously or with a promise,
 * with temporary credentials (cached and reused until shortly before they expire) or with a ready signature for
 * that one request.
 *
 * @example
 * ```ts
 * const getAuthorization: GetAuthorization = async (request, { signal }) => {
 *   const response = await fetch('/sts', { signal });
 *   return response.json(); // qcloud-cos-sts output, as it comes
 * };
 * ```
 */
export type GetAuthorization = (
  request: AuthorizationRequest,
  context: GetAuthorizationContext,
) => AuthorizationResult | PromiseLike<AuthorizationResult>;

/** Temporary credentials, whichever form they came in. Holds the secret key: keep it in private fields only. */
export interface NormalizedCredentials {
  kind: 'credentials';
  secretId: string;
  secretKey: string;
  securityToken: string;
  /** Unix seconds. */
  startTime?: number;
  /** Unix seconds, always after `startTime`. */
  expiredTime: number;
  /** Present and `true` when the credentials must serve only the request they were asked for. */
  scopeLimit?: true;
}

/** A ready signature for one request. */
export interface NormalizedSignature {
  kind: 'signature';
  authorization: string;
  securityToken?: string;
}

/** A host's answer after validation: credentials to sign with, or a signature to send as it is. */
export type NormalizedAuthorization = NormalizedCredentials | NormalizedSignature;

/**
 * The `cause` of a `sign-failed` error about an unusable answer: which field is wrong and how, never its value.
 */
export interface AuthorizationResultIssue {
  /** The form the answer was taken for. */
  form: 'cos-sdk' | 'qcloud-cos-sts' | 'signature' | 'unknown';
  /** The field, dot-joined for nested ones (`credentials.tmpSecretKey`), or `q-key-time` inside a signature. */
  field?: string;
  problem: 'missing' | 'invalid';
}

// Ids, keys and tokens go into headers (`Authorization`, `x-cos-security-token`) as they are: visible ASCII only, so
// that nothing a host returns can split a header or be mangled by the browser.
const TOKEN = /^[\x21-\x7E]+$/;
const TokenSchema = z.string().check(z.regex(TOKEN));

const isTenDigits = (n: number) => Number.isInteger(n) && n >= 1_000_000_000 && n <= 9_999_999_999;

/** 10-digit Unix seconds, as a number or a numeric string; parses to a number. */
export const UnixSecondsSchema = z
  .pipe(
    z.custom<number | string>(
      (value) => isFiniteNumber(value) || (typeof value === 'string' && /^\d{10}$/.test(value)),
    ),
    z.transform((value) => Number(value)),
  )
  .check(z.refine(isTenDigits));

/** Validates {@link CosSdkCredentials}. The token may be under either name; which one is present is checked after. */
export const CosSdkCredentialsSchema = z.object({
  TmpSecretId: TokenSchema,
  TmpSecretKey: TokenSchema,
  SecurityToken: z.optional(TokenSchema),
  XCosSecurityToken: z.optional(TokenSchema),
  StartTime: z.optional(UnixSecondsSchema),
  ExpiredTime: UnixSecondsSchema,
  ScopeLimit: z.optional(z.boolean()),
});

/** Validates {@link StsCredentialsOutput}. */
export const StsCredentialsOutputSchema = z.object({
  credentials: z.object({ tmpSecretId: TokenSchema, tmpSecretKey: TokenSchema, sessionToken: TokenSchema }),
  startTime: z.optional(UnixSecondsSchema),
  expiredTime: UnixSecondsSchema,
});

const OptionalTokenSchema = z.optional(
  z.custom<string>((value) => value === '' || (typeof value === 'string' && TOKEN.test(value))),
);

/** Validates the object form of {@link SignatureResult}; the `Authorization` value itself is checked after. */
export const SignatureResultSchema = z.object({
  Authorization: z.string(),
  SecurityToken: OptionalTokenSchema,
  XCosSecurityToken: OptionalTokenSchema,
});

// What each field should be, for messages. The values themselves never go into a message.
const EXPECTED: Record<string, string> = {
  credentials: 'an object',
  Authorization: 'a string',
  StartTime: '10-digit Unix seconds',
  ExpiredTime: '10-digit Unix seconds',
  startTime: '10-digit Unix seconds',
  expiredTime: '10-digit Unix seconds',
  ScopeLimit: 'a boolean',
};
const TOKEN_EXPECTATION = 'a non-empty string of visible ASCII characters, without white space';

// How messages name each form: `returned credentials without...`, `returned unusable credentials:...`.
const WHAT: Record<AuthorizationResultIssue['form'], [missing: string, invalid: string]> = {
  'cos-sdk': ['credentials', 'unusable credentials'],
  'qcloud-cos-sts': ['qcloud-cos-sts output', 'unusable qcloud-cos-sts output'],
  signature: ['a signature', 'an unusable signature'],
  unknown: ['an answer', 'an unusable answer'],
};

function fail(message: string, issue: AuthorizationResultIssue): TranscoderError {
  return new TranscoderError(message, { code: 'sign-failed', phase: 'sign', cause: Object.freeze(issue) });
}

function missing(form: AuthorizationResultIssue['form'], field: string): TranscoderError {
  return fail(`getAuthorization returned ${WHAT[form][0]} without "${field}"`, { form, field, problem: 'missing' });
}

function invalid(form: AuthorizationResultIssue['form'], field: string, expectation: string): TranscoderError {
  return fail(`getAuthorization returned ${WHAT[form][1]}: "${field}" should be ${expectation}`, {
    form,
    field,
    problem: 'invalid',
  });
}

function parse<T>(
  schema: z.ZodMiniType<T>,
  value: Record<string, unknown>,
  form: AuthorizationResultIssue['form'],
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // The ZodError is dropped on purpose: only the path of its first issue is kept, so no input value can leak.
  const path = (result.error.issues[0]?.path ?? []).map(String);
  let found: unknown = value;
  for (const key of path) found = (found as Record<string, unknown> | null | undefined)?.[key];
  const field = path.join('.');
  if (found === undefined || found === null) throw missing(form, field);
  throw invalid(form, field, EXPECTED[path[path.length - 1] ?? ''] ?? TOKEN_EXPECTATION);
}

function checkTimes(
  form: AuthorizationResultIssue['form'],
  names: [string, string],
  startTime: number | undefined,
  expiredTime: number,
): void {
  if (startTime !== undefined && startTime >= expiredTime) {
    throw invalid(form, names[0], `before "${names[1]}"`);
  }
}

function normalizeSignature(authorization: string, securityToken: string | undefined): NormalizedSignature {
  if (/\s/.test(authorization)) {
    throw fail('getAuthorization returned a signature containing white space', {
      form: 'signature',
      problem: 'invalid',
    });
  }
  if (!TOKEN.test(authorization)) throw invalid('signature', 'Authorization', TOKEN_EXPECTATION);
  const parsed = parseAuthorization(authorization);
  if (!parsed) {
    throw fail(
      'getAuthorization returned a signature that is not a COS v5 Authorization value ' +
        '("q-sign-algorithm=sha1&q-ak=...&q-sign-time=...&q-key-time=...&q-header-list=...' +
        '&q-url-param-list=...&q-signature=...", each field once)',
      { form: 'signature', problem: 'invalid' },
    );
  }
  const checks: [string, boolean, string][] = [
    ['q-sign-algorithm', parsed.algorithm === 'sha1', '"sha1"'],
    ['q-ak', parsed.secretId !== '', 'a key id'],
    ['q-sign-time', /^\d+;\d+$/.test(parsed.signTime), '"start;end" in Unix seconds'],
    ['q-key-time', /^\d+;\d+$/.test(parsed.keyTime), '"start;end" in Unix seconds'],
    ['q-signature', /^[0-9a-f]{40}$/.test(parsed.signature), '40 lowercase hex digits'],
  ];
  for (const [field, ok, expectation] of checks) {
    if (!ok) throw invalid('signature', field, expectation);
  }
  return securityToken ? { kind: 'signature', authorization, securityToken } : { kind: 'signature', authorization };
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Validates what a host's {@link GetAuthorization} answered and brings its forms to one shape.
 *
 * Accepts {@link CosSdkCredentials}, {@link StsCredentialsOutput}, {@link SignatureResult} and a bare `Authorization`
 * string. Anything else throws a `TranscoderError` with code `sign-failed` and phase `sign` whose message names the
 * missing or wrong field; neither the message nor the `cause` (an {@link AuthorizationResultIssue}) holds a value.
 *
 * @example
 * ```ts
 * normalizeAuthorizationResult({ TmpSecretId, TmpSecretKey, SecurityToken, ExpiredTime: '1565168075' });
 * // { kind: 'credentials', secretId, secretKey, securityToken, expiredTime: 1565168075 }
 * ```
 */
export function normalizeAuthorizationResult(value: unknown): NormalizedAuthorization {
  if (typeof value === 'string') return normalizeSignature(value, undefined);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`getAuthorization returned ${kindOf(value)} instead of credentials or a signature`, {
      form: 'unknown',
      problem: 'invalid',
    });
  }
  const record = value as Record<string, unknown>;

  if ('Authorization' in record) {
    const result = parse(SignatureResultSchema, record, 'signature');
    return normalizeSignature(result.Authorization, result.SecurityToken || result.XCosSecurityToken || undefined);
  }

  if ('credentials' in record) {
    const result = parse(StsCredentialsOutputSchema, record, 'qcloud-cos-sts');
    checkTimes('qcloud-cos-sts', ['startTime', 'expiredTime'], result.startTime, result.expiredTime);
    return {
      kind: 'credentials',
      secretId: result.credentials.tmpSecretId,
      secretKey: result.credentials.tmpSecretKey,
      securityToken: result.credentials.sessionToken,
      ...(result.startTime === undefined ? {} : { startTime: result.startTime }),
      expiredTime: result.expiredTime,
    };
  }

  if ('Response' in record && !('TmpSecretId' in record)) {
    throw fail(
      'getAuthorization returned a raw STS API response: return the qcloud-cos-sts output, or ' +
        '{ TmpSecretId, TmpSecretKey, SecurityToken, StartTime, ExpiredTime }',
      { form: 'unknown', field: 'Response', problem: 'invalid' },
    );
  }

  const result = parse(CosSdkCredentialsSchema, record, 'cos-sdk');
  const securityToken = result.SecurityToken ?? result.XCosSecurityToken;
  if (securityToken === undefined) throw missing('cos-sdk', 'SecurityToken');
  checkTimes('cos-sdk', ['StartTime', 'ExpiredTime'], result.StartTime, result.ExpiredTime);
  return {
    kind: 'credentials',
    secretId: result.TmpSecretId,
    secretKey: result.TmpSecretKey,
    securityToken,
    ...(result.StartTime === undefined ? {} : { startTime: result.StartTime }),
    expiredTime: result.ExpiredTime,
    ...(result.ScopeLimit === true ? { scopeLimit: true as const } : {}),
  };
}
