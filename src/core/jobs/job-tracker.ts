import type { TranscoderError } from '../errors.js';
import type { JobsDetail } from '../protocol/ci-schemas.js';
import { JobState, isTerminalJobState } from '../protocol/job-state.js';
import { CallbackChannel, callbackReports } from './callback-channel.js';
import { cancelJob, describeJobs, type JobCallOptions } from './job-api.js';
import { initialJobSnapshot, jobFailedError, mergeJobReport } from './job-merge.js';
import { resolveTrackerOptions, type JobTrackerOptions, type TrackerSettings } from './job-tracker-options.js';
import type { JobListener, JobSnapshot, JobSource } from './job-types.js';
import { PollLoop } from './poll-loop.js';
import { asTrackingError, cancelledError, missingDetailError, notFoundError, stoppedError } from './tracking-errors.js';

export type { JobTrackerOptions } from './job-tracker-options.js';

/** How tracking ended. */
type Outcome = { snapshot: JobSnapshot } | { error: TranscoderError };

/** What a tracker has sent and received, for tests and benchmarks. */
export interface JobTrackerStats {
  /** `GET /jobs/<id>` polls sent (each may have been retried inside the client). */
  polls: number;
  /** Callback bodies that were about this job and valid (news or not). */
  callbacks: number;
  /** Callback bodies dropped: invalid, or about other jobs only. */
  ignored: number;
}

/**
 * Follows one CI job to its end, merging every source of truth into one stream of snapshots: the submission, polls
 * of `GET /jobs/<id>`, and callbacks the host relays (`relay.subscribe`, `relay.eventSource`, {@link deliver}).
 *
 * - The merge ({@link mergeJobReport}) dedupes, never moves backwards and ignores other jobs; each change is tagged
 *   with its source.
 * - Polls follow `poll.delays` (fast first, then every 10 s, jittered), one at a time; while a callback channel is
 *   open they drop to `poll.safetyNetDelay` (a `subscribe` relay may report itself down: polling then speeds back
 *   up), and an event stream that reconnects (or a relay reporting `open` again) brings one poll at once. No poll
 *   is planned while the page is hidden; while it says the network is down, only a check every
 *   `poll.offlineRecheckDelay` (an answer proves `onLine` wrong, and polling goes on). One goes out at once when
 *   the page is shown again or the network comes back. A failed poll is tried again with a doubled delay, never sooner than the service's
 *   `Retry-After`; failures while hidden or offline are not counted.
 * - At `Success`, `Failed` or `Cancel` (or `stop()`), every timer, page listener, subscription and `EventSource`
 *   is released, and a `SubmittedJob`'s `release()` is called once the job ended. The outcome is fixed (and the
 *   record released) before listeners see the final snapshot: a listener that calls `stop()` then changes
 *   nothing.
 *
 * A listener that throws does not disturb tracking: its error is thrown again from a timer of its own, where the
 * page's uncaught-error handling sees it.
 *
 * @example
 * ```ts
 * const job = await submitJob(client, request);
 * const tracker = new JobTracker({ client, job, relay: { eventSource: '/ci-events/{jobId}' } });
 * tracker.subscribe(({ status, progress }) => render(status, progress.percent));
 * const { results } = await tracker.start();
 * ```
 */
export class JobTracker {
  /** The job followed. */
  readonly jobId: string;
  readonly #settings: TrackerSettings;
  readonly #listeners = new Set<JobListener>();
  readonly #stats: JobTrackerStats = { polls: 0, callbacks: 0, ignored: 0 };
  readonly #controller = new AbortController();
  readonly #cleanups: (() => void)[] = [];
  readonly #loop: PollLoop;
  #snapshot: JobSnapshot;
  /** Whether {@link snapshot} came from a report (the submission's), not from the bare id. */
  #known = false;
  #phase: 'idle' | 'running' | 'ended' = 'idle';
  #promise: Promise<JobSnapshot> | undefined;
  #settle: { resolve: (snapshot: JobSnapshot) => void; reject: (error: TranscoderError) => void } | undefined;
  #outcome: Outcome | undefined;
  #channel: CallbackChannel | undefined;

  /**
   * Checks the options; sends nothing until {@link start}.
   *
   * @throws {TranscoderError} `invalid-options` naming the first bad option.
   */
  constructor(options: JobTrackerOptions) {
    this.#settings = resolveTrackerOptions(options);
    this.jobId = this.#settings.jobId;
    const { detail, poll, environment, timers, random } = this.#settings;
    const first = detail ? mergeJobReport(undefined, detail, 'submit') : undefined;
    this.#known = first !== undefined;
    this.#snapshot = first ?? initialJobSnapshot(this.jobId);
    this.#loop = new PollLoop({
      poll,
      environment,
      timers,
      random,
      send: () => this.#poll(),
      channelOpen: () => this.#channel?.open === true,
      onRetry: (error) => this.#publish({ ...this.#snapshot, error }),
      onGiveUp: (error) => this.#fail(error),
    });
  }

  /**
   * The latest snapshot. Always defined: before the first report of a job given by id it is `Submitted` at 0,
   * source `submit`, no results, and no `tag` or `detail`.
   */
  get snapshot(): JobSnapshot {
    return this.#snapshot;
  }

  /** Polls sent, callbacks accepted and callbacks ignored so far. */
  get stats(): JobTrackerStats {
    return { ...this.#stats };
  }

  /**
   * Calls `listener` with every new snapshot until the returned function is called. When tracking ends (a terminal
   * state, `stop()`, a failure), every listener is given the final snapshot, then all listeners are dropped.
   */
  subscribe(listener: JobListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Starts following the job (every later call returns the same promise). The first snapshot, when the job was
   * given as a `JobsDetail` or `SubmittedJob`, is emitted at once.
   *
   * Resolves with the final snapshot at `Success`. Rejects with:
   * - the snapshot's `job-failed` error at `Failed`;
   * - `aborted` (phase `track`) when the job was cancelled, or when {@link stop} was called or `signal` aborted;
   * - `service` (phase `track`, no `status`) when the service does not know the job (`NonExistJobIds`);
   * - the poll's error when a poll fails for good: at once when it cannot succeed by trying again (403, 404, an
   *   invalid request), or after `poll.maxFailures` failures in a row.
   */
  start(): Promise<JobSnapshot> {
    if (this.#promise) return this.#promise;
    this.#promise = new Promise<JobSnapshot>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    const { signal } = this.#settings;
    if (this.#phase === 'ended' || signal?.aborted) {
      this.#phase = 'ended';
      this.#outcome ??= { error: stoppedError(this.jobId, this.#settings.signal) };
    }
    if (this.#outcome) {
      this.#deliverOutcome();
      return this.#promise;
    }
    this.#run();
    return this.#promise;
  }

  /**
   * Takes a callback body the host received (XML or JSON, text, bytes or parsed). Returns `true` when it is a job
   * callback about this job (news or not); anything else is counted as ignored. Never throws.
   */
  deliver(body: unknown): boolean {
    const reports = callbackReports(body, this.jobId);
    if (!reports || reports.length === 0) {
      this.#stats.ignored += 1;
      return false;
    }
    this.#stats.callbacks += 1;
    for (const detail of reports) this.#accept(detail, 'callback');
    return true;
  }

  /**
   * Polls at once (or right after the poll in flight). When the service's last answer asked to wait
   * (`Retry-After`), the poll comes when that wait ends.
   */
  pollNow(): void {
    if (this.#phase === 'running') this.#loop.pollNow();
  }

  /**
   * Cancels the work on the service, resolves once that is done, and `start()` then rejects with `aborted`.
   *
   * For a job: `PUT /jobs/<id>?cancel`; a running tracker then polls at once, sees `Cancel` and ends (listeners get
   * that final snapshot); a tracker not started yet ends at once. Rejects like `cancelJob`, for example when the
   * service refuses because the job is already running; tracking then goes on.
   */
  async cancel(options: JobCallOptions = {}): Promise<void> {
    await cancelJob(this.#settings.client, this.jobId, options);
    if (this.#phase === 'running') this.#loop.pollNow(true);
    else this.#end({ error: cancelledError(this.jobId) });
  }

  /**
   * Stops following the job: releases every timer, listener, subscription and `EventSource`, aborts the poll in
   * flight, and rejects {@link start} with `aborted`. The job itself goes on (see {@link cancel}). Does nothing
   * once tracking has ended, also from a listener that is shown the final snapshot.
   */
  stop(): void {
    this.#end({ error: stoppedError(this.jobId, this.#settings.signal) }, { last: this.#snapshot });
  }

  #run(): void {
    this.#phase = 'running';
    const { environment, signal, relay } = this.#settings;
    if (signal) {
      const onAbort = () => this.stop();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#cleanups.push(() => signal.removeEventListener('abort', onAbort));
    }
    this.#cleanups.push(environment.onVisibilityChange(() => this.#loop.visibilityChanged()));
    this.#cleanups.push(environment.onOnline(() => this.#loop.wake()));
    const first = this.#known ? this.#snapshot : undefined;
    if (first) {
      if (isTerminalJobState(first.status)) {
        this.#finish(first);
        return;
      }
      this.#emit(first);
      if (this.#phase !== 'running') return;
    }
    if (relay) {
      const channel = new CallbackChannel({
        jobId: this.jobId,
        relay,
        EventSource: environment.EventSource,
        onBody: (body) => this.deliver(body),
        onChange: () => this.#loop.reschedule(),
        onError: (error) => this.#rethrowLater(error),
        onReopen: () => this.pollNow(),
      });
      this.#channel = channel;
      channel.start();
      if (this.#phase !== 'running') return;
    }
    if (first) this.#loop.schedule();
    else this.#loop.pollNow();
  }

  /** Merges a report; publishes it when it is news, ends at a terminal state, clears a tracking error. */
  #accept(detail: JobsDetail, source: JobSource): void {
    if (this.#phase === 'ended' || detail.JobId !== this.jobId) return;
    const current = this.#snapshot;
    const next = mergeJobReport(current, detail, source);
    if (next) {
      if (this.#phase === 'running' && isTerminalJobState(next.status)) this.#finish(next);
      else this.#publish(next);
    } else if (current.error && !isTerminalJobState(current.status)) {
      const { error: _cleared, ...rest } = current;
      this.#publish({ ...rest, source });
    }
  }

  /** One poll for the {@link PollLoop}: the error of a failed poll, or `undefined` once the answer was taken. */
  async #poll(): Promise<TranscoderError | undefined> {
    this.#stats.polls += 1;
    let outcome: { jobs: JobsDetail[]; missing: string[] };
    try {
      outcome = await describeJobs(this.#settings.client, [this.jobId], { signal: this.#controller.signal });
    } catch (caught) {
      return asTrackingError(caught, this.jobId);
    }
    if (this.#phase !== 'running') return undefined;
    if (outcome.missing.includes(this.jobId)) {
      // A job the service does not know will never end: its persisted record is of no use any more.
      this.#fail(notFoundError(this.jobId), true);
      return undefined;
    }
    const detail = outcome.jobs.find((job) => job.JobId === this.jobId);
    if (!detail) return missingDetailError(this.jobId);
    this.#accept(detail, 'poll');
    return undefined;
  }

  /** The job reached `Success`, `Failed` or `Cancel`: the outcome it means, then the final snapshot. */
  #finish(snapshot: JobSnapshot): void {
    let outcome: Outcome;
    if (snapshot.status === JobState.Success) outcome = { snapshot };
    else if (snapshot.status === JobState.Cancel) outcome = { error: cancelledError(this.jobId) };
    // A terminal snapshot always comes from a report, so it has its detail.
    else outcome = { error: snapshot.error ?? jobFailedError(snapshot.detail!) };
    this.#end(outcome, { release: true, last: snapshot });
  }

  /** Tracking fails for good: listeners see the error on the last snapshot. */
  #fail(error: TranscoderError, release = false): void {
    this.#end({ error }, { release, last: { ...this.#snapshot, error } });
  }

  /**
   * Ends tracking with `outcome`: releases everything (and the record, with `release`), then shows listeners the
   * `last` snapshot, then settles {@link start}. The outcome is fixed before any listener runs.
   */
  #end(outcome: Outcome, { release = false, last }: { release?: boolean; last?: JobSnapshot } = {}): void {
    if (this.#phase === 'ended') return;
    const wasRunning = this.#phase === 'running';
    this.#phase = 'ended';
    this.#outcome = outcome;
    this.#loop.stop();
    this.#controller.abort();
    this.#channel?.stop();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    if (release) this.#release();
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    if (last) {
      this.#snapshot = last;
      if (wasRunning) this.#emit(last, listeners);
    }
    this.#deliverOutcome();
  }

  #release(): void {
    const { submitted } = this.#settings;
    if (!submitted) return;
    try {
      submitted.release();
    } catch (error) {
      this.#rethrowLater(error);
    }
  }

  #deliverOutcome(): void {
    const settle = this.#settle;
    const outcome = this.#outcome;
    if (!settle || !outcome) return;
    this.#settle = undefined;
    if ('snapshot' in outcome) settle.resolve(outcome.snapshot);
    else settle.reject(outcome.error);
  }

  #publish(snapshot: JobSnapshot): void {
    this.#snapshot = snapshot;
    this.#known = true;
    if (this.#phase === 'running') this.#emit(snapshot);
  }

  #emit(snapshot: JobSnapshot, listeners: Iterable<JobListener> = [...this.#listeners]): void {
    for (const listener of listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        this.#rethrowLater(error);
      }
    }
  }

  /** Throws `error` from a timer of its own, so that it is reported without disturbing tracking. */
  #rethrowLater(error: unknown): void {
    this.#settings.timers.setTimeout(() => {
      throw error;
    }, 0);
  }
}
