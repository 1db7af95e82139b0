import type { TranscoderError } from '../errors.js';
import { isRetryableError } from '../transport/retry.js';
import type { TrackerEnvironment, TrackerTimers } from './job-types.js';
import { nextPollDelay, type PollSettings } from './poll-schedule.js';

/** What a {@link PollLoop} needs from the tracker it serves. */
export interface PollLoopOptions {
  poll: PollSettings;
  environment: TrackerEnvironment;
  timers: TrackerTimers;
  /** Numbers in `[0, 1)` for the jitter. */
  random: () => number;
  /**
   * Sends one poll and takes its answer. Resolves with the error of a failed poll, or `undefined` after an answer
   * that names the job. Never rejects.
   */
  send: () => Promise<TranscoderError | undefined>;
  /** Whether a callback channel is open: the wait is then the safety net. */
  channelOpen: () => boolean;
  /** A poll failed and will be tried again. */
  onRetry: (error: TranscoderError) => void;
  /** A poll failed for good: trying again cannot help, or `poll.maxFailures` failures came in a row. */
  onGiveUp: (error: TranscoderError) => void;
}

/**
 * When a job tracker polls: one poll at a time, each planned on `poll.delays` (or the safety net while a callback
 * channel is open), jittered, backed off after failures and never sooner than the service's `Retry-After`.
 *
 * - While the page is hidden or the network down, no poll is planned (a timer that fires then sends nothing), and a
 *   poll that fails then is not counted towards `poll.maxFailures`: it says nothing about the service. {@link wake}
 *   (the page shown again, the network back) polls at once.
 * - A failure that trying again cannot fix (403, 404, an invalid request) gives up at once.
 *
 * @example
 * ```ts
 * const loop = new PollLoop({ poll, environment, timers, random, send, channelOpen, onRetry, onGiveUp });
 * loop.schedule(); // the first poll comes poll.delays[0] from now
 * ```
 */
export class PollLoop {
  readonly #options: PollLoopOptions;
  #timer: { handle: unknown } | undefined;
  #inFlight = false;
  #pollAgain = false;
  #step = 0;
  #failures = 0;
  #retryAfterMs: number | undefined;
  #stopped = false;

  constructor(options: PollLoopOptions) {
    this.#options = options;
  }

  /**
   * Polls at once (or right after the poll in flight). When the service's last answer asked to wait
   * (`Retry-After`), the poll comes when that wait ends, unless `forget` drops that wait.
   */
  pollNow(forget = false): void {
    if (this.#stopped) return;
    if (forget) this.#retryAfterMs = undefined;
    if (this.#inFlight) {
      this.#pollAgain = true;
      return;
    }
    if (this.#retryAfterMs !== undefined) {
      if (!this.#timer) this.schedule(true);
      return;
    }
    void this.#poll();
  }

  /**
   * Arms the next poll (replacing an armed one), unless a poll is in flight, the page is hidden or the network
   * down. With `keepStep`, the wait does not move the fast schedule on.
   */
  schedule(keepStep = false): void {
    this.#clearTimer();
    if (this.#stopped || this.#inFlight || !this.#awake()) return;
    const { poll, random, timers, channelOpen } = this.#options;
    const ms = nextPollDelay(
      poll,
      {
        step: this.#step,
        channelOpen: channelOpen(),
        failures: this.#failures,
        ...(this.#retryAfterMs === undefined ? {} : { retryAfterMs: this.#retryAfterMs }),
      },
      random,
    );
    const timer = {
      handle: timers.setTimeout(() => {
        if (this.#timer !== timer) return;
        this.#timer = undefined;
        if (!keepStep) this.#step += 1;
        this.#retryAfterMs = undefined;
        // Hidden or offline since the timer was armed: `wake()` brings the next poll.
        if (this.#awake()) void this.#poll();
      }, ms),
    };
    this.#timer = timer;
  }

  /** The callback channel opened or closed: the armed poll moves to the new schedule. */
  reschedule(): void {
    if (!this.#stopped && this.#timer) this.schedule();
  }

  /** The page was hidden (the armed poll is dropped) or shown (see {@link wake}). */
  visibilityChanged(): void {
    if (this.#stopped) return;
    if (this.#options.environment.isHidden()) this.#clearTimer();
    else this.wake();
  }

  /** The page is visible again or the network is back: what was missed is asked for now (when both hold). */
  wake(): void {
    if (!this.#stopped && this.#awake()) this.pollNow();
  }

  /** Drops the armed poll; nothing is planned or sent afterwards. */
  stop(): void {
    this.#stopped = true;
    this.#pollAgain = false;
    this.#clearTimer();
  }

  #awake(): boolean {
    const { environment } = this.#options;
    return !environment.isHidden() && environment.isOnline?.() !== false;
  }

  async #poll(): Promise<void> {
    this.#clearTimer();
    this.#inFlight = true;
    const error = await this.#options.send();
    this.#inFlight = false;
    if (this.#stopped) return;
    if (error) {
      this.#failed(error);
    } else {
      this.#failures = 0;
      this.#retryAfterMs = undefined;
    }
    if (this.#stopped) return;
    if (this.#pollAgain) {
      this.#pollAgain = false;
      this.pollNow();
    } else {
      this.schedule();
    }
  }

  #failed(error: TranscoderError): void {
    // A proxy's error page in place of a jobs document passes; the job is still there to be asked about.
    const transient = isRetryableError(error) || error.code === 'invalid-response';
    if (!transient) {
      this.#options.onGiveUp(error);
      return;
    }
    // A page asleep or cut off learns nothing of the service from a failed poll; hours of it must not end tracking.
    if (this.#awake()) this.#failures += 1;
    if (this.#failures >= this.#options.poll.maxFailures) {
      this.#options.onGiveUp(error);
      return;
    }
    this.#retryAfterMs = error.retryAfterMs;
    this.#options.onRetry(error);
  }

  #clearTimer(): void {
    const timer = this.#timer;
    this.#timer = undefined;
    if (timer) this.#options.timers.clearTimeout(timer.handle);
  }
}
