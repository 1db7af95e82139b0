/**
 * Finding the job a `POST /jobs` created when its answer was lost: list the jobs of the request's tag and input
 * object newest first, keep those created since the submission by the service's clock whose echo matches the
 * request, leave out the jobs this page already holds, and take the one created closest after the submission.
 *
 * The service's clock is read from the list answer's `Date` header: the submission's time on it is that time minus
 * the time elapsed on this page since the `POST` left (a monotonic clock), so a page whose clock is off, and not
 * yet corrected, still looks in the right place. Job times are to the second, hence a few seconds of tolerance.
 *
 * @module
 */

import * as z from 'zod/mini';
import { TranscoderError, isTranscoderError } from '../errors.js';
import { milliseconds, parseOptions, wholeNumber } from '../options.js';
import type { JobsDetail } from '../protocol/ci-schemas.js';
import type { JobRequest } from '../protocol/job-request-schemas.js';
import { abortError, delay } from '../transport/delay.js';
import type { ServiceClient } from '../transport/service-client.js';
import { MAX_LISTED_JOBS, listJobs, type JobListPage } from './job-api.js';
import { matchesJobRequest } from './job-match.js';
import { parseServiceTime } from './service-time.js';

/** How `submitJob` looks for a job whose submission answer was lost. All times in milliseconds. */
export interface JobLookupOptions {
  /** Searches before giving up (each one a few `GET /jobs?…` pages). @default 3 */
  attempts?: number;
  /** The wait between two searches: the first `POST` may still be on its way to the service. @default 1000 */
  delay?: number;
  /**
   * Creation-time slack, where the service's clock cannot pin the submission down:
   * - when the list answer's `Date` header cannot be read (a CORS rule that does not expose `Date`), the search
   *   falls back to `client.clock`: jobs created from `window / 2` before the first `POST` to `window / 2` after
   *   the search. This absorbs a page clock off the service's by up to half of it, but may adopt an identical job
   *   created up to `window / 2` before the submission: expose `Date`;
   * - for a pending record (a `POST` of an earlier page or call whose answer was never read), whose time was read
   *   on a page clock that may have been corrected since: `window / 2` more slack before it, on the service's
   *   clock.
   *
   * Otherwise (this call's own `POST`, `Date` readable) the search takes the jobs created from the submission, by
   * the service's clock, to the list answer, ± 3 s, and `window` plays no part. @default 120000
   */
  window?: number;
}

/** {@link JobLookupOptions} with the defaults filled in. */
export type JobLookupSettings = Readonly<Required<JobLookupOptions>>;

/** The defaults of {@link JobLookupOptions}. */
export const DEFAULT_JOB_LOOKUP: JobLookupSettings = Object.freeze({ attempts: 3, delay: 1000, window: 120_000 });

const MAX_ATTEMPTS = 20;
const MAX_WINDOW_MS = 24 * 3600 * 1000;
/** Pages of 100 jobs read per search at most: 500 jobs of one input in a few minutes is not a real page's traffic. */
const MAX_PAGES = 5;
/** Job ids this page remembers having been given, at most; the oldest are forgotten first. */
const MAX_ACCOUNTED = 1000;
/** Slack on times read from the service: `Date` and `CreationTime` are whole seconds, and two servers may differ. */
const SERVICE_TIME_TOLERANCE_MS = 3000;

/** Validates {@link JobLookupOptions}. */
const JobLookupOptionsSchema = z.object({
  attempts: z.optional(wholeNumber(1, MAX_ATTEMPTS, `must be an integer from 1 to ${MAX_ATTEMPTS}`)),
  delay: z.optional(milliseconds()),
  window: z.optional(milliseconds(1, MAX_WINDOW_MS)),
});

/**
 * Fills in the defaults of `options` and checks them. Throws an `invalid-options` {@link TranscoderError} for
 * `attempts` that is not an integer from 1 to 20, a `delay` that is not milliseconds from 0 to 2147483647, or a
 * `window` that is not from 1 ms to 24 hours.
 */
export function resolveJobLookup(options: JobLookupOptions = {}): JobLookupSettings {
  const parsed = parseOptions(JobLookupOptionsSchema, options, 'lookup');
  return Object.freeze({
    attempts: parsed.attempts ?? DEFAULT_JOB_LOOKUP.attempts,
    delay: parsed.delay ?? DEFAULT_JOB_LOOKUP.delay,
    window: parsed.window ?? DEFAULT_JOB_LOOKUP.window,
  });
}

// Ids of the jobs submitJob handed out in this page (JS realm), each with the turn it was handed out at. Neither a
// search nor a record adopts one of them: two identical submissions made on purpose are two jobs, and the second
// must not be mistaken for the first. (A call that overlapped the one given the job joins it: see `accountedSince`.)
const accounted = new Map<string, number>();
let turn = 0;

/** Whether `submitJob` already handed job `jobId` out in this page. */
export function isAccountedJob(jobId: string): boolean {
  return accounted.has(jobId);
}

/** The turn of the last job handed out in this page: {@link accountedSince} tells the jobs handed out after it. */
export function accountingMark(): number {
  return turn;
}

/** Whether job `jobId` was handed out in this page after `mark` (an {@link accountingMark}). */
export function accountedSince(jobId: string, mark: number): boolean {
  return (accounted.get(jobId) ?? -1) > mark;
}

/** Remembers that this page holds job `jobId`, so that no lookup or record adopts it again. */
export function accountForJob(jobId: string): void {
  turn += 1;
  accounted.delete(jobId);
  accounted.set(jobId, turn);
  for (const oldest of accounted.keys()) {
    if (accounted.size <= MAX_ACCOUNTED) break;
    accounted.delete(oldest);
  }
}

/** When the submission a search looks for was sent. */
export interface SubmissionTime {
  /** `client.clock.now()` when the first `POST /jobs` was sent (for a record, its `submittedAt`). */
  readonly at: number;
  /**
   * The monotonic time ({@link monotonicNow}) when the first `POST /jobs` was sent, when this page sent it;
   * absent for the record of an earlier page.
   */
  readonly sentAt?: number;
}

/** A monotonic clock in milliseconds (`performance.now()`): page time elapsed, whatever the wall clock does. */
export const monotonicNow = (): number => performance.now();

/** The creation times (ms since the epoch, service clock) a job of the submission may have, and its best guess. */
export interface CreationWindow {
  from: number;
  to: number;
  /** The submission's time on the service's clock, as well as it can be told. */
  sent: number;
}

/**
 * Where a search looks, from the first list page's answer: `serverTime` (its `Date`, when readable), `respondedAt`
 * (the monotonic time it arrived) and `clockNow` (`client.clock.now()` then). See {@link JobLookupOptions.window}.
 */
export function creationWindow(
  submitted: SubmissionTime,
  page: { serverTime?: number; respondedAt: number; clockNow: number },
  window: number,
): CreationWindow {
  const half = Math.ceil(window / 2);
  const { serverTime } = page;
  if (serverTime === undefined) {
    return { from: submitted.at - half, to: Math.max(submitted.at, page.clockNow) + half, sent: submitted.at };
  }
  const to = serverTime + SERVICE_TIME_TOLERANCE_MS;
  if (submitted.sentAt !== undefined) {
    const sent = serverTime - Math.max(0, page.respondedAt - submitted.sentAt);
    return { from: sent - SERVICE_TIME_TOLERANCE_MS, to, sent };
  }
  // The record's time is on an earlier page's corrected clock, which may have been corrected differently.
  const sent = serverTime - Math.max(0, page.clockNow - submitted.at);
  return { from: sent - half - SERVICE_TIME_TOLERANCE_MS, to, sent };
}

/** A matching job inside the window, with its creation time (ms). */
interface Candidate {
  job: JobsDetail;
  created: number;
}

/**
 * Among `candidates` (all inside the window), the job created closest after `sent` (jobs created before it come
 * after all of those, nearest first).
 */
function closestAfter(candidates: readonly Candidate[], sent: number): JobsDetail | undefined {
  // The service writes whole seconds: a job created in the same second as `sent` counts as after it.
  const from = Math.floor(sent / 1000) * 1000;
  const rank = (created: number): [number, number] => (created >= from ? [0, created - from] : [1, from - created]);
  let best: JobsDetail | undefined;
  let bestRank: [number, number] = [2, 0];
  for (const { job, created } of candidates) {
    const current = rank(created);
    if (current[0] < bestRank[0] || (current[0] === bestRank[0] && current[1] < bestRank[1])) {
      best = job;
      bestRank = current;
    }
  }
  return best;
}

/** What one search found: the job, or whether it read every job of the window (`complete`) and found none. */
export type SearchResult = { job: JobsDetail } | { job?: undefined; complete: boolean };

/**
 * One search: the jobs of `request`'s tag and input object (and queue, when it names one), newest first, up to five
 * pages of 100, until one is older than the {@link creationWindow}; the match inside the window closest after the
 * submission that this page does not already hold. `complete` is false when the five pages were read while still
 * inside the window: whether the job exists is then unknown.
 *
 * @param now the monotonic clock `submitted.sentAt` was read from. @default monotonicNow
 */
export async function findSubmittedJob(
  client: ServiceClient,
  request: JobRequest,
  submitted: SubmissionTime,
  window: number,
  signal?: AbortSignal,
  now: () => number = monotonicNow,
): Promise<SearchResult> {
  const candidates: Candidate[] = [];
  let range: CreationWindow | undefined;
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const listed: JobListPage = await listJobs(
      client,
      {
        tag: request.Tag,
        inputObject: request.Input.Object,
        ...(request.QueueId === undefined ? {} : { queueId: request.QueueId }),
        orderByTime: 'Desc',
        size: MAX_LISTED_JOBS,
        ...(nextToken === undefined ? {} : { nextToken }),
      },
      signal ? { signal } : {},
    );
    if (range === undefined) {
      const { serverTime } = listed;
      const answer = { respondedAt: now(), clockNow: client.clock.now() };
      range = creationWindow(submitted, serverTime === undefined ? answer : { ...answer, serverTime }, window);
    }
    let older = false;
    for (const job of listed.jobs) {
      const created = parseServiceTime(job.CreationTime);
      if (created === undefined) continue;
      if (created < range.from) older = true;
      else if (created <= range.to && !accounted.has(job.JobId) && matchesJobRequest(job, request)) {
        candidates.push({ job, created });
      }
    }
    const next = listed.nextToken;
    if (older || next === undefined || next === nextToken) {
      const job = closestAfter(candidates, range.sent);
      return job ? { job } : { complete: true };
    }
    nextToken = next;
  }
  const job = range && closestAfter(candidates, range.sent);
  return job ? { job } : { complete: false };
}

/**
 * What a bounded search found: the job, or whether every search completed and found nothing. `refused` marks a
 * search the service refused for good (a 4xx other than 429: missing permission, no such bucket): searching
 * again cannot help.
 */
export type LookupOutcome =
  | { job: JobsDetail }
  | { job?: undefined; certain: true }
  | { job?: undefined; certain: false; error: TranscoderError; refused: boolean };

/** Whether a search failure is a refusal that will not change by trying again. */
function isRefusal(error: TranscoderError): boolean {
  const { status } = error;
  return error.code === 'service' && status !== undefined && status >= 400 && status < 500 && status !== 429;
}

/**
 * Searches for the job of `request` up to `settings.attempts` times, `settings.delay` apart. `certain` is true
 * only when every search completed and found nothing: then no job of this request was created since the
 * submission (by the time of the last search). A search that fails or cannot read the whole window makes the
 * outcome uncertain, and the loop goes on, unless the service refused it for good (`refused`). Errors have phase
 * `submit`.
 *
 * @throws {TranscoderError} `aborted` (phase `submit`) as soon as `signal` aborts.
 */
export async function lookForSubmittedJob(
  client: ServiceClient,
  request: JobRequest,
  submitted: SubmissionTime,
  settings: JobLookupSettings,
  signal?: AbortSignal,
  now: () => number = monotonicNow,
): Promise<LookupOutcome> {
  let failure: TranscoderError | undefined;
  for (let attempt = 0; attempt < settings.attempts; attempt += 1) {
    if (attempt > 0) await delay(settings.delay, signal).catch(() => Promise.reject(abortError(signal, 'submit')));
    try {
      const result = await findSubmittedJob(client, request, submitted, settings.window, signal, now);
      if (result.job) return { job: result.job };
      if (!result.complete) failure = truncatedSearch();
    } catch (error) {
      if (signal?.aborted) throw abortError(signal, 'submit');
      failure = isTranscoderError(error)
        ? error.with({ phase: 'submit' })
        : new TranscoderError('Looking for a submitted job failed', { code: 'network', phase: 'submit', cause: error });
      if (isRefusal(failure)) return { certain: false, error: failure, refused: true };
    }
  }
  return failure ? { certain: false, error: failure, refused: false } : { certain: true };
}

/** The failure of a search that read its page limit while still inside the window. */
function truncatedSearch(): TranscoderError {
  const jobs = MAX_PAGES * MAX_LISTED_JOBS;
  return new TranscoderError(
    `Could not tell whether the job was created: more than ${jobs} jobs of its input were listed since it was sent`,
    { code: 'service', phase: 'submit', retryable: true },
  );
}
