import type { TranscoderError } from '../errors.js';
import type { JobsDetail } from '../protocol/ci-schemas.js';
import type { JobState } from '../protocol/job-state.js';
import type { MediaInfo } from '../protocol/media-info.js';
import type { Progress } from '../progress.js';

/**
 * Where a change of a tracked job came from: the `POST /jobs` answer (or the lookup that found the job again),
 * a `GET /jobs/<id>` poll, or a server callback the host relayed.
 */
export type JobSource = 'submit' | 'poll' | 'callback';

/** One object a finished job wrote. */
export interface JobOutputObject {
  bucket: string;
  region: string;
  key: string;
  /** The MD5 the service reported for it (`Md5Info`), hex, when it did. */
  md5?: string;
}

/**
 * What a job produced, in plain form. Fields are present only when the service reported them; a running job has
 * none of the results yet.
 */
export interface JobResults {
  /** The objects a transcode job wrote (`Operation.MediaResult.OutputFile`, one entry per object name). */
  outputs: JobOutputObject[];
  /** Media information of the output (`Operation.MediaInfo`). */
  mediaInfo?: MediaInfo;
  /**
   * The invisible watermark a transcode job embeds, and whether embedding it worked (`Running` until the job ends,
   * then `Success` or `Failed`; a job with `IgnoreError` may succeed with a `Failed` embedding).
   */
  digitalWatermark?: { message?: string; state?: string };
  /** The text an `ExtractDigitalWatermark` job found (`Operation.ExtractDigitalWatermark.Message`). */
  extractedMessage?: string;
  /** `Operation.UserData`, echoed byte for byte. */
  userData?: string;
}

/**
 * Everything a subscriber of a job tracker learns at each change. Always defined: a tracker started from a bare job
 * id begins at `{ jobId, status: 'Submitted', progress: { percent: 0 }, source: 'submit', results: { outputs: [] } }`,
 * without `tag` and `detail` until the first report.
 */
export interface JobSnapshot {
  readonly jobId: string;
  /** `Transcode` or `ExtractDigitalWatermark` (the service's `Tag`); absent until the first report. */
  readonly tag?: string;
  /** The job's state, in the service's words (`Submitted`, `Running`, `Success`, ...). */
  readonly status: JobState;
  /** The service's `Progress` / 100 as `percent`; 1 once the job succeeded. Never falls while the job is followed. */
  readonly progress: Progress;
  /** Where the last change came from. */
  readonly source: JobSource;
  /** The latest `JobsDetail` accepted; absent until the first report. */
  readonly detail?: JobsDetail;
  /** The job's results in plain form (complete once `status` is `Success`). */
  readonly results: JobResults;
  /**
   * For `Failed`: a `job-failed` {@link TranscoderError} whose `serviceCode` is the job's `Code` and whose message
   * quotes its `Message`. While the job runs: the last tracking failure (a poll that failed and will be tried
   * again), cleared by the next good report.
   */
  readonly error?: TranscoderError;
}

/**
 * Called with every change of a tracked job: a new status, a higher progress, or a tracking error set (a poll
 * failed; each failure is one call) or cleared (the first good report after it). The last two repeat the status and
 * progress. A report that changes none of these (a repeated callback, a poll that saw no progress) is not passed on.
 */
export type JobListener = (snapshot: JobSnapshot) => void;

/**
 * What a `relay.subscribe` reports about its connection: `open` (callbacks can arrive, polling slows down to the
 * safety net) or `down` (they cannot, polling goes on at its normal pace).
 */
export type RelayStatus = 'open' | 'down';

/**
 * A way for the host page to relay CI's job callbacks (`CallBack` URL → the host's server → the page):
 *
 * - `subscribe`: a host function that calls `deliver(body)` for each callback of `jobId` and returns an
 *   unsubscribe function (a WebSocket, a Firebase listener, anything). It may call `status('down')` when its
 *   connection is lost and `status('open')` when it is back (the third argument; a `subscribe` that ignores it is
 *   taken as open from the moment it is called until unsubscribed). Calling `status('down')` before returning
 *   says "not connected yet". An `open` after a `down` brings one poll at once (callbacks may have come while it
 *   was down), except for the first connection;
 * - `eventSource`: the URL of a Server-Sent Events stream whose `message` events carry callback bodies (`{jobId}`
 *   in the URL is replaced by the job id, URL-encoded).
 *
 * Bodies may be XML or JSON, with `JobsDetail` as one object or an array, as a string, bytes or a parsed object.
 * The tracker also takes bodies pushed to its `deliver()` method.
 *
 * A relay should replay the callbacks of the job that arrived before the subscriber connected (as the example
 * host's relay does): a job that ended in that moment is otherwise learnt of only at the next safety-net poll
 * (`poll.safetyNetDelay`). The tracker does not poll when a channel first opens; it polls once at once when an
 * event stream opens again after an error, since callbacks may have come while it was down.
 */
export interface JobCallbackRelay {
  /**
   * @example
   * ```ts
   * const relay: JobCallbackRelay = {
   *   subscribe(jobId, deliver, status) {
   *     const socket = new WebSocket(`wss://example.com/ci-callbacks?jobId=${jobId}`);
   *     status('down'); // not connected yet: poll at the normal pace meanwhile
   *     socket.onopen = () => status('open'); // polling slows down to the safety net
   *     socket.onclose = () => status('down'); // polling speeds back up
   *     socket.onmessage = (event) => deliver(event.data);
   *     return () => socket.close();
   *   },
   * };
   * ```
   */
  subscribe?: (
    jobId: string,
    deliver: (body: unknown) => void,
    status: (state: RelayStatus) => void,
  ) => (() => void) | void;
  eventSource?: string;
  /** `withCredentials` of the `EventSource`. @default false */
  withCredentials?: boolean;
}

/** Polling of a job tracker. All times in milliseconds. */
export interface JobPollOptions {
  /**
   * Waits between polls while no callback channel is open: the first poll comes `delays[0]` after `start()` (when
   * the tracker was given the job's first report; from a bare job id it polls at once), and the last delay
   * repeats. @default [1000, 2000, 3000, 5000, 8000, 10000]
   */
  delays?: readonly number[];
  /** Share of each delay drawn at random, ±. @default 0.2 */
  jitter?: number;
  /** The wait between polls while a callback channel is open (the safety net). @default 40000 */
  safetyNetDelay?: number;
  /**
   * The wait between polls while the page says it is offline (`navigator.onLine` false, which some browsers say
   * on a working network): a poll that gets an answer then proves the network works, and polling goes on at its
   * normal pace until a poll fails to reach the service. @default 30000
   */
  offlineRecheckDelay?: number;
  /**
   * Consecutive failed polls after which tracking fails. Polls that fail while the network is down or the page is
   * hidden are not counted. @default 8
   */
  maxFailures?: number;
}

/** What `submitJob` resolves with: the job, and how it was obtained. */
export interface SubmittedJob {
  /** The job as the service reported it (`State` is `Submitted` for a new job, anything for a found one). */
  job: JobsDetail;
  /**
   * - `submitted`: `POST /jobs` answered with it;
   * - `recovered`: the answer to `POST /jobs` was lost, and the job that request created was found through the
   *   list API instead of submitting again;
   * - `reattached`: a record persisted by an earlier page (before a reload), another tab, or an overlapping call
   *   of the same request named this job, so nothing was submitted.
   */
  origin: 'submitted' | 'recovered' | 'reattached';
  /** `POST /jobs` requests sent (0 when reattached). */
  submissions: number;
  /**
   * Forgets the persisted record that lets a reloaded page find this job again. Call it once the job's end has
   * been shown; a `JobTracker` given this object calls it when the job ends.
   */
  release(): void;
}

/** Timers a job tracker schedules its polls with; injected in tests. */
export interface TrackerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * What a job tracker watches in its page: whether the tab is hidden or the network down (polling pauses, and
 * failed polls are not counted), and the events after which it polls at once (the tab shown again, the network
 * back). Defaults to `document`, `window` and `navigator` where they exist; in Node, the page is never hidden and
 * always online.
 */
export interface TrackerEnvironment {
  isHidden(): boolean;
  /**
   * Whether the network is up. While it is down, polls are planned only every `poll.offlineRecheckDelay` (a poll
   * that gets an answer proves it wrong), {@link TrackerEnvironment.onOnline} brings one at once, and failed polls
   * are not counted. An environment without it is always online.
   * @default () => navigator.onLine (true where there is none)
   */
  isOnline?(): boolean;
  /** Calls `listener` whenever the page is shown or hidden; returns the function that stops it. */
  onVisibilityChange(listener: () => void): () => void;
  /** Calls `listener` whenever the network comes back (`online`); returns the function that stops it. */
  onOnline(listener: () => void): () => void;
  /** The `EventSource` constructor for `relay.eventSource`. @default globalThis.EventSource */
  EventSource?: new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;
}

/** The part of `EventSource` a tracker uses. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(): void;
}
