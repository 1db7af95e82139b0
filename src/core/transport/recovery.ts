import type { TranscoderError } from '../errors.js';
import { CLOCK_SKEW_THRESHOLD_MS, type Clock } from './clock.js';
import type { ErrorBody } from './error-response.js';
import type { HttpResponse } from './types.js';

/** Retries a single request may spend on correcting the clock, on top of the retry policy's delays. */
export const MAX_CLOCK_SKEW_RETRIES = 2;

/**
 * Whether the service refused a signature because of the time: `RequestTimeTooSkewed`, or `AccessDenied` with
 * the message `Request has expired` (the pair the official JS SDK corrects its clock on).
 */
export function isClockSkewError(body: ErrorBody): boolean {
  return (
    body.code === 'RequestTimeTooSkewed' ||
    (body.code === 'AccessDenied' && /request has expired/i.test(body.message ?? ''))
  );
}

/** The server's time from a response's `Date` header, else from the error body's `<ServerTime>`, in ms. */
export function serverTimeOf(response: Pick<HttpResponse, 'headers'>, body: ErrorBody): number | undefined {
  for (const value of [response.headers.date, body.serverTime]) {
    if (!value) continue;
    const time = Date.parse(value);
    if (!Number.isNaN(time)) return time;
  }
  return undefined;
}

/**
 * The server time to correct `clock` with after a {@link isClockSkewError} response, or `undefined` when the
 * response does not show a skew of at least {@link CLOCK_SKEW_THRESHOLD_MS} (then the clock is not to blame, or
 * the `Date` header is not exposed by CORS and the body has no `<ServerTime>`).
 */
export function skewCorrection(response: HttpResponse, body: ErrorBody, clock: Clock): number | undefined {
  if (!isClockSkewError(body)) return undefined;
  const serverTime = serverTimeOf(response, body);
  if (serverTime === undefined) return undefined;
  return Math.abs(serverTime - clock.now()) >= CLOCK_SKEW_THRESHOLD_MS ? serverTime : undefined;
}

/**
 * Service codes that mean the credentials themselves are no longer good, whatever the message:
 * - `ExpiredToken`: the STS session token expired (COS answers 400).
 * - `InvalidAccessKeyId`: the key id is unknown, which is how a temporary key id looks once it has expired.
 */
export const EXPIRED_CREDENTIAL_CODES: ReadonlySet<string> = new Set(['ExpiredToken', 'InvalidAccessKeyId']);

/**
 * Whether fresh credentials may cure the failure, so that the client invalidates them and retries once. Only a 400
 * or 403 qualifies: the service refused the request before acting on it, so even a request that is not idempotent
 * may be resent. Then:
 * - a code in {@link EXPIRED_CREDENTIAL_CODES};
 * - any code whose message says a token expired or is invalid (`AccessDenied`, `InvalidToken`...);
 * - `AccessDenied` / `Request has expired` when the clock is not to blame (see {@link skewCorrection}): the
 *   signature's own validity window ended, so a new signature is needed.
 *
 * A permanently wrong key costs one extra request before the error surfaces.
 */
export function isExpiredCredentialsError(status: number, body: ErrorBody): boolean {
  if ((status !== 400 && status !== 403) || body.code === undefined) return false;
  if (EXPIRED_CREDENTIAL_CODES.has(body.code)) return true;
  const message = body.message ?? '';
  if (/\btoken\b/i.test(message) && /\b(expired?|invalid)\b/i.test(message)) return true;
  return body.code === 'AccessDenied' && /request has expired/i.test(message);
}

/**
 * Whether the service certainly did nothing with a request, so that even a non-idempotent one may be resent:
 * throttling (429, or 503 with `<Code>SlowDown</Code>`) rejects a request before it is processed. A network
 * error, a timeout or another 5xx leaves it unknown.
 */
export function isCertainlyUnprocessed(error: TranscoderError, body: ErrorBody | undefined): boolean {
  if (error.code !== 'service') return false;
  return error.status === 429 || (error.status === 503 && body?.code === 'SlowDown');
}
