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
 * - While the page is hidden, no poll is planned (a timer that fires then sends nothing). While the page says the
 *   network is down, a poll is planned only every `poll.offlineRecheckDelay`: a browser's `onLine` can be wrong,
 *   and a poll that gets an answer proves it so (polling then goes on at its normal pace until a poll fails to
 *   reach the service). A poll that fails while hidden or offline is not counted towards `poll.maxFailures`: it
 *   says nothing about the service. {@link wake} (the page shown again, the network back) polls at once.
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
  /** Whether a poll got an answer while the page said it was offline: its `onLine` is wrong. */
  #answeredOffline = false;
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
   * Arms the next poll (replacing an armed one), unless a poll is in flight or the page is hidden; while the
   * network is down, the next check of it. With `keepStep`, the wait does not move the fast schedule on.
   */
  schedule(keepStep = false): void {
    this.#clearTimer();
    if (this.#stopped || this.#inFlight || this.#options.environment.isHidden()) return;
    const { poll, random, timers, channelOpen } = this.#options;
    const offline = !this.#online();
    const ms = nextPollDelay(
      poll,
      {
        step: this.#step,
        channelOpen: channelOpen(),
        offline,
        failures: offline ? 0 : this.#failures,
        ...(this.#retryAfterMs === undefined ? {} : { retryAfterMs: this.#retryAfterMs }),
      },
      random,
    );
    const timer = {
      handle: timers.setTimeout(() => {
        if (this.#timer !== timer) return;
        this.#timer = undefined;
        if (!keepStep && !offline) this.#step += 1;
        this.#retryAfterMs = undefined;
        // Hidden since the timer was armed: `wake()` brings the next poll. Offline since: the next one checks.
        if (this.#options.environment.isHidden()) return;
        if (offline || this.#online()) void this.#poll();
        else this.schedule(true);
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

  /**
   * The page is visible again or the network is back: what was missed is asked for now (when both hold). Shown
   * while the page says it is offline: the next check of the network is armed.
   */
  wake(): void {
    if (this.#stopped) return;
    if (this.#awake()) this.pollNow();
    else if (!this.#options.environment.isHidden() && !this.#inFlight && !this.#timer) this.schedule(true);
  }

  /** Drops the armed poll; nothing is planned or sent afterwards. */
  stop(): void {
    this.#stopped = true;
    this.#pollAgain = false;
    this.#clearTimer();
  }

  /** Whether the network is up: as the page says, unless a poll got an answer while it said otherwise. */
  #online(): boolean {
    return this.#options.environment.isOnline?.() !== false || this.#answeredOffline;
  }

  #awake(): boolean {
    return !this.#options.environment.isHidden() && this.#online();
  }

  async #poll(): Promise<void> {
    this.#clearTimer();
    this.#inFlight = true;
    const error = await this.#options.send();
    this.#inFlight = false;
    if (this.#stopped) return;
    if (error) {
      // Only a failure to reach the service says the network may be down after all.
      if (error.code === 'network' || error.code === 'timeout') this.#answeredOffline = false;
      this.#failed(error);
    } else {
      // An answer while the page says it is offline: the network works, whatever `onLine` says.
      if (this.#options.environment.isOnline?.() === false) this.#answeredOffline = true;
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
