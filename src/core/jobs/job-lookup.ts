/**
 * Finding the job a `POST /jobs` created when its answer was lost: search the list API by tag, input object and
 * creation time, keep the jobs whose echo matches the request, leave out the jobs this page already holds, and take
 * the one created closest after the submission.
 *
 * @module
 */

import { TranscoderError, isTranscoderError } from '../errors.js';
import type { JobsDetail } from '../protocol/ci-schemas.js';
import type { JobRequest } from '../protocol/job-request-schemas.js';
import { MAX_DELAY_MS, abortError, delay } from '../transport/delay.js';
import type { ServiceClient } from '../transport/service-client.js';
import { MAX_LISTED_JOBS, listJobs } from './job-api.js';
import { matchesJobRequest } from './job-match.js';
import { parseServiceTime } from './service-time.js';

/** How `submitJob` looks for a job whose submission answer was lost. All times in milliseconds. */
export interface JobLookupOptions {
  /** Searches before giving up (each one a few `GET /jobs?…` pages). @default 3 */
  attempts?: number;
  /** The wait between two searches: the first `POST` may still be on its way to the service. @default 1000 */
  delay?: number;
  /**
   * Creation-time slack around the submission: jobs created from `window / 2` before the first `POST` to
   * `window / 2` after the search are considered, which absorbs a difference between the page's corrected clock
   * and the service's of up to half of it. @default 120000
   */
  window?: number;
}

/** {@link JobLookupOptions} with the defaults filled in. */
export type JobLookupSettings = Readonly<Required<JobLookupOptions>>;

/** The defaults of {@link JobLookupOptions}. */
export const DEFAULT_JOB_LOOKUP: JobLookupSettings = Object.freeze({ attempts: 3, delay: 1000, window: 120_000 });

const MAX_ATTEMPTS = 20;
const MAX_WINDOW_MS = 24 * 3600 * 1000;
/** Pages of 100 jobs read per search at most: 500 look-alike jobs in a few minutes is not a real page's traffic. */
const MAX_PAGES = 5;
/** Job ids this page remembers having been given, at most; the oldest are forgotten first. */
const MAX_ACCOUNTED = 1000;

/**
 * Fills in the defaults of `options` and checks them. Throws an `invalid-options` {@link TranscoderError} for
 * `attempts` that is not an integer from 1 to 20, a `delay` that is not milliseconds from 0 to 2147483647, or a
 * `window` that is not from 1 ms to 24 hours.
 */
export function resolveJobLookup(options: JobLookupOptions = {}): JobLookupSettings {
  const settings = { ...DEFAULT_JOB_LOOKUP, ...withoutUndefined(options) };
  const { attempts, delay: wait, window } = settings;
  const invalid = (rule: string) =>
    new TranscoderError(`Invalid lookup options: ${rule}`, { code: 'invalid-options', phase: 'options' });
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > MAX_ATTEMPTS) {
    throw invalid(`attempts must be an integer from 1 to ${MAX_ATTEMPTS}`);
  }
  if (typeof wait !== 'number' || !(wait >= 0 && wait <= MAX_DELAY_MS)) {
    throw invalid(`delay must be milliseconds from 0 to ${MAX_DELAY_MS}`);
  }
  if (typeof window !== 'number' || !(window >= 1 && window <= MAX_WINDOW_MS)) {
    throw invalid(`window must be milliseconds from 1 to ${MAX_WINDOW_MS}`);
  }
  return Object.freeze(settings);
}

function withoutUndefined(options: JobLookupOptions): JobLookupOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

// Ids of the jobs submitJob handed out in this page (JS realm). A search never adopts one of them: two identical
// submissions made on purpose are two jobs, and the second must not be mistaken for the first.
const accounted = new Set<string>();

/** Remembers that this page holds job `jobId`, so that no lookup adopts it again. */
export function accountForJob(jobId: string): void {
  accounted.delete(jobId);
  accounted.add(jobId);
  for (const oldest of accounted) {
    if (accounted.size <= MAX_ACCOUNTED) break;
    accounted.delete(oldest);
  }
}

/**
 * Among `candidates`, the job created closest after `since` (jobs created before it, by the service's clock, come
 * after all of those, nearest first; jobs without a creation time last).
 */
function closestAfter(candidates: readonly JobsDetail[], since: number): JobsDetail | undefined {
  // The service writes whole seconds: a job created in the same second as `since` counts as after it.
  const from = Math.floor(since / 1000) * 1000;
  const rank = (job: JobsDetail): [number, number] => {
    const created = parseServiceTime(job.CreationTime);
    if (created === undefined) return [2, 0];
    return created >= from ? [0, created - from] : [1, from - created];
  };
  let best: JobsDetail | undefined;
  let bestRank: [number, number] = [3, 0];
  for (const job of candidates) {
    const current = rank(job);
    if (current[0] < bestRank[0] || (current[0] === bestRank[0] && current[1] < bestRank[1])) {
      best = job;
      bestRank = current;
    }
  }
  return best;
}

/**
 * One search: the jobs of `request`'s tag and input object (and queue, when it names one) created between
 * `since - window / 2` and now + `window / 2`, newest first, up to five pages of 100; the match closest after
 * `since` that this page does not already hold, or `undefined`.
 */
export async function findSubmittedJob(
  client: ServiceClient,
  request: JobRequest,
  since: number,
  window: number,
  signal?: AbortSignal,
): Promise<JobsDetail | undefined> {
  const half = Math.ceil(window / 2);
  const start = Math.max(0, since - half);
  const candidates: JobsDetail[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const { jobs, nextToken: next } = await listJobs(
      client,
      {
        tag: request.Tag,
        inputObject: request.Input.Object,
        ...(request.QueueId === undefined ? {} : { queueId: request.QueueId }),
        startCreationTime: start,
        endCreationTime: Math.max(start, client.clock.now() + half),
        orderByTime: 'Desc',
        size: MAX_LISTED_JOBS,
        ...(nextToken === undefined ? {} : { nextToken }),
      },
      signal ? { signal } : {},
    );
    candidates.push(...jobs.filter((job) => !accounted.has(job.JobId) && matchesJobRequest(job, request)));
    if (next === undefined || next === nextToken) break;
    nextToken = next;
  }
  return closestAfter(candidates, since);
}

/** What a bounded search found: the job, or whether every search completed and found nothing. */
export type LookupOutcome =
  | { job: JobsDetail }
  | { job?: undefined; certain: true }
  | { job?: undefined; certain: false; error: TranscoderError };

/**
 * Searches for the job of `request` up to `settings.attempts` times, `settings.delay` apart. `certain` is true
 * only when every search completed and found nothing: then no job of this request was created since `since`
 * (by the time of the last search). A search that fails makes the outcome uncertain; the loop still goes on.
 *
 * @throws {TranscoderError} `aborted` (phase `submit`) as soon as `signal` aborts.
 */
export async function lookForSubmittedJob(
  client: ServiceClient,
  request: JobRequest,
  since: number,
  settings: JobLookupSettings,
  signal?: AbortSignal,
): Promise<LookupOutcome> {
  let failure: TranscoderError | undefined;
  for (let attempt = 0; attempt < settings.attempts; attempt += 1) {
    if (attempt > 0) await delay(settings.delay, signal).catch(() => Promise.reject(abortError(signal, 'submit')));
    try {
      const job = await findSubmittedJob(client, request, since, settings.window, signal);
      if (job) return { job };
    } catch (error) {
      if (signal?.aborted) throw abortError(signal, 'submit');
      failure = isTranscoderError(error)
        ? error
        : new TranscoderError('Looking for a submitted job failed', { code: 'network', phase: 'submit', cause: error });
    }
  }
  return failure ? { certain: false, error: failure } : { certain: true };
}
