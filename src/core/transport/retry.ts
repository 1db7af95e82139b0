import { TranscoderError, isTranscoderError } from '../errors.js';
import * as z from 'zod/mini';
import { callable, checked, milliseconds, numberFrom, parseOptions } from '../options.js';
import { MAX_DELAY_MS, isDelayMs } from './delay.js';

/** What a {@link RetryOptions.shouldRetry} hook learns about the request that failed. */
export interface RetryRequestInfo {
  /** Upper-case HTTP method. */
  method: string;
  /** The request URL without its query string (which may carry signatures). */
  url: string;
}

/** The state passed to {@link RetryOptions.shouldRetry}; an object so that it can grow without breaking hooks. */
export interface ShouldRetryState {
  /** The failure, with `status`, `serviceCode` and `requestId` when a response arrived. */
  error: TranscoderError;
  /** The number of the retry being considered: 1 for the first retry. */
  attempt: number;
  request: RetryRequestInfo;
}

/** How failed requests are retried. Every field is optional; missing ones take the {@link DEFAULT_RETRY} values. */
export interface RetryOptions {
  /**
   * Milliseconds to wait before each retry, each at most 2147483647 (what `setTimeout` can wait); the array's
   * length is the number of retries. `[]` disables retries.
   *
   * The default rides out a short COS throttle or a mobile network blip (about 15 s in all) without leaving a
   * user looking at a stalled upload for minutes; the first retry waits, so that a struggling server is not hit
   * again at once.
   *
   * @default [500, 1000, 2000, 4000, 8000]
   */
  delays?: readonly number[];
  /**
   * Spread applied to each delay, as a fraction between 0 and 1: a delay `d` becomes a uniformly random value in
   * `[d * (1 - jitter), d * (1 + jitter)]`, so that many clients failing together do not retry together.
   * A server's `Retry-After` is not jittered.
   *
   * @default 0.2
   */
  jitter?: number;
  /**
   * The longest wait a server's `Retry-After` may ask for, in milliseconds (at most 2147483647). Longer values
   * are capped to this.
   *
   * @default 60000
   */
  maxRetryAfter?: number;
  /**
   * Decides whether a failure is retried, in place of {@link isRetryableError}. It is only asked while retries are
   * left, never for an `aborted` error, and never for a failure that is unsafe to resend (a request that is not
   * idempotent and may have been processed).
   */
  shouldRetry?: (state: ShouldRetryState) => boolean;
}

/** {@link RetryOptions} with every default filled in. */
export interface RetryPolicy {
  readonly delays: readonly number[];
  readonly jitter: number;
  readonly maxRetryAfter: number;
  readonly shouldRetry?: (state: ShouldRetryState) => boolean;
}

/** The retry policy used when none is given. */
export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  delays: Object.freeze([500, 1000, 2000, 4000, 8000]),
  jitter: 0.2,
  maxRetryAfter: 60_000,
});

/** Validates {@link RetryOptions}. */
export const RetryOptionsSchema = z.object({
  delays: z.optional(
    checked<readonly number[]>(
      (value) => Array.isArray(value) && value.every(isDelayMs),
      `must be an array of milliseconds from 0 to ${MAX_DELAY_MS}`,
    ),
  ),
  jitter: z.optional(numberFrom(0, 1, 'must be between 0 and 1')),
  maxRetryAfter: z.optional(milliseconds()),
  shouldRetry: z.optional(callable<(state: ShouldRetryState) => boolean>()),
});

/**
 * Fills in the defaults of `options` and checks them. Throws an `invalid-options` {@link TranscoderError} for a
 * delay or `maxRetryAfter` that is negative, not finite or longer than {@link MAX_DELAY_MS}, a jitter outside 0..1
 * or a `shouldRetry` that is not a function.
 */
export function resolveRetry(options: RetryOptions = {}): RetryPolicy {
  const parsed = parseOptions(RetryOptionsSchema, options, 'retry');
  const delays = parsed.delays ?? DEFAULT_RETRY.delays;
  const jitter = parsed.jitter ?? DEFAULT_RETRY.jitter;
  const maxRetryAfter = parsed.maxRetryAfter ?? DEFAULT_RETRY.maxRetryAfter;
  return Object.freeze({
    delays: Object.freeze([...delays]),
    jitter,
    maxRetryAfter,
    ...(options.shouldRetry ? { shouldRetry: options.shouldRetry } : {}),
  });
}

/**
 * The default retry decision: network errors, timeouts, 5xx, 429 and signing failures marked `retryable` (the host's
 * `getAuthorization` threw or timed out; the credential provider does not retry those itself) are retried; every
 * other 4xx, other signing failures, an aborted operation and invalid options or requests are not.
 */
export function isRetryableError(error: unknown): boolean {
  if (!isTranscoderError(error)) return false;
  switch (error.code) {
    case 'network':
    case 'timeout':
      return true;
    case 'sign-failed':
      return error.retryable;
    case 'service':
      return error.status !== undefined && (error.status === 429 || (error.status >= 500 && error.status <= 599));
    default:
      return false;
  }
}

/**
 * Milliseconds to wait according to a `Retry-After` header: either whole seconds (`120`) or an HTTP date, which is
 * compared with `nowMs` (use the skew-corrected clock: the date is on the server's clock). A date in the past
 * gives 0. Returns `undefined` for a missing or malformed value.
 */
export function parseRetryAfter(headerValue: string | null | undefined, nowMs: number): number | undefined {
  if (typeof headerValue !== 'string') return undefined;
  const value = headerValue.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) {
    const ms = Number(value) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  // An HTTP date always names a weekday or a month; refusing bare numbers with signs or decimals here keeps
  // `Date.parse` from reading "1.5" or "-3" as a year.
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * Milliseconds to wait before retry number `attempt` (1-based), or `undefined` when the policy has no retry left.
 * A server's `Retry-After` (`retryAfterMs`, see {@link parseRetryAfter}) replaces the policy's delay, capped at
 * `maxRetryAfter`; otherwise the policy's delay is jittered with `random` (a source of numbers in `[0, 1)`), and
 * capped at {@link MAX_DELAY_MS}.
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | undefined {
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > policy.delays.length) return undefined;
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) {
    return Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfter);
  }
  const base = policy.delays[attempt - 1]!;
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.min(MAX_DELAY_MS, Math.max(0, Math.round(base + spread)));
}
