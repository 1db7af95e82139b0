import * as z from 'zod/mini';
import { MAX_DELAY_MS } from '../transport/delay.js';
import { parseOptions } from '../options.js';
import type { JobPollOptions } from './job-types.js';

/**
 * Waits between polls of a job while no callback channel is open. Most jobs of a short clip end within seconds, so
 * the first polls come fast; a long job settles at one poll every 10 s, which keeps a 60-second job to about ten
 * polls.
 */
export const DEFAULT_POLL_DELAYS: readonly number[] = Object.freeze([1000, 2000, 3000, 5000, 8000, 10_000]);
/** Share of each poll delay drawn at random, ±. */
export const DEFAULT_POLL_JITTER = 0.2;
/** The wait between polls while callbacks can arrive: only a net for a callback that never comes. */
export const DEFAULT_SAFETY_NET_DELAY = 40_000;
/**
 * The wait between polls while the page says it is offline (`navigator.onLine` false): a browser can say so on a
 * network that works (a VPN, a virtual adapter), so the tracker checks for itself now and then.
 */
export const DEFAULT_OFFLINE_RECHECK_DELAY = 30_000;
/** Consecutive failed polls after which tracking gives up. */
export const DEFAULT_MAX_FAILURES = 8;
/** The longest wait the error backoff reaches (unless the schedule's own delay is longer). */
export const MAX_ERROR_BACKOFF = 60_000;

/** {@link JobPollOptions} checked, with every default filled in. */
export interface PollSettings {
  readonly delays: readonly number[];
  readonly jitter: number;
  readonly safetyNetDelay: number;
  readonly offlineRecheckDelay: number;
  readonly maxFailures: number;
}

const delayMs = z.number().check(
  z.refine((value) => Number.isFinite(value) && value >= 0 && value <= MAX_DELAY_MS, {
    error: `must be milliseconds from 0 to ${MAX_DELAY_MS}`,
  }),
);

/** Validates {@link JobPollOptions}. */
export const PollOptionsSchema = z.optional(
  z.strictObject({
    delays: z.optional(z.array(delayMs).check(z.minLength(1, { error: 'must hold at least one delay' }))),
    jitter: z.optional(
      z.number().check(z.refine((value) => value >= 0 && value <= 1, { error: 'must be between 0 and 1' })),
    ),
    safetyNetDelay: z.optional(delayMs),
    offlineRecheckDelay: z.optional(delayMs),
    maxFailures: z.optional(
      z.number().check(z.refine((value) => Number.isSafeInteger(value) && value >= 1, { error: 'must be 1 or more' })),
    ),
  }),
);

/**
 * Checks `options` and fills in the defaults ({@link DEFAULT_POLL_DELAYS}, {@link DEFAULT_POLL_JITTER},
 * {@link DEFAULT_SAFETY_NET_DELAY}, {@link DEFAULT_OFFLINE_RECHECK_DELAY}, {@link DEFAULT_MAX_FAILURES}).
 *
 * @throws {TranscoderError} `invalid-options` (phase `options`) naming the bad fields.
 */
export function resolvePollOptions(options: JobPollOptions | undefined): PollSettings {
  const checked = parseOptions(PollOptionsSchema, options, 'job poll');
  return Object.freeze({
    delays: Object.freeze([...(checked?.delays ?? DEFAULT_POLL_DELAYS)]),
    jitter: checked?.jitter ?? DEFAULT_POLL_JITTER,
    safetyNetDelay: checked?.safetyNetDelay ?? DEFAULT_SAFETY_NET_DELAY,
    offlineRecheckDelay: checked?.offlineRecheckDelay ?? DEFAULT_OFFLINE_RECHECK_DELAY,
    maxFailures: checked?.maxFailures ?? DEFAULT_MAX_FAILURES,
  });
}

/** Where a tracker stands when it plans its next poll. */
export interface PollState {
  /** Waits of the fast schedule taken so far: picks `delays[step]` (the last delay repeats). */
  step: number;
  /** Whether a callback channel is open: the wait is then the safety net. */
  channelOpen: boolean;
  /** Whether the page says it is offline: the wait is then `offlineRecheckDelay`. */
  offline?: boolean;
  /** Consecutive failed polls: each one doubles the wait, up to {@link MAX_ERROR_BACKOFF}. */
  failures: number;
  /** The `Retry-After` of the last failure, in milliseconds: the wait is never shorter. */
  retryAfterMs?: number;
}

/**
 * Milliseconds until the next poll: the schedule's delay (the fast `delays`, `safetyNetDelay` while a callback
 * channel is open, `offlineRecheckDelay` while the page says it is offline), doubled for each consecutive failure up to {@link MAX_ERROR_BACKOFF}, spread by ±`jitter`
 * with `random` (numbers in `[0, 1)`), and never shorter than a server's `Retry-After` (which is not jittered).
 *
 * @example
 * ```ts
 * nextPollDelay(resolvePollOptions({}), { step: 0, channelOpen: false, failures: 0 }); // 800..1200
 * ```
 */
export function nextPollDelay(settings: PollSettings, state: PollState, random: () => number = Math.random): number {
  const { delays } = settings;
  let base = state.offline
    ? settings.offlineRecheckDelay
    : state.channelOpen
      ? settings.safetyNetDelay
      : delays[Math.min(Math.max(0, state.step), delays.length - 1)]!;
  if (state.failures > 0) {
    base = Math.min(base * 2 ** Math.min(state.failures, 30), Math.max(MAX_ERROR_BACKOFF, base));
  }
  const spread = base * settings.jitter * (2 * random() - 1);
  const jittered = Math.max(0, Math.round(base + spread));
  const floor = state.retryAfterMs !== undefined && Number.isFinite(state.retryAfterMs) ? state.retryAfterMs : 0;
  return Math.min(MAX_DELAY_MS, Math.max(jittered, Math.ceil(floor)));
}
