import * as z from 'zod/mini';
import type { JobsDetail } from '../protocol/ci-schemas.js';
import { JobState } from '../protocol/job-state.js';
import {
  abortSignal,
  callable,
  checked,
  matching,
  oneOf,
  optionsError,
  parseOptions,
  withMethods,
} from '../options.js';
import type { ServiceClient } from '../transport/service-client.js';
import { JOB_ID_PATTERN } from './job-api.js';
import type {
  JobCallbackRelay,
  JobPollOptions,
  SubmittedJob,
  TrackerEnvironment,
  TrackerTimers,
} from './job-types.js';
import { PollOptionsSchema, resolvePollOptions, type PollSettings } from './poll-schedule.js';
import { defaultTrackerEnvironment, defaultTrackerTimers } from './tracker-environment.js';

/** Options of `JobTracker`. */
export interface JobTrackerOptions {
  /** Signs and sends the polls (and `cancel()`); its retry policy applies inside each poll. */
  client: ServiceClient;
  /**
   * The job to follow:
   * - a job id: the first poll goes out at once;
   * - the `JobsDetail` the submission returned, or what `submitJob` resolved with: it is the first snapshot
   *   (source `submit`, emitted by `start()`), and the first poll comes `poll.delays[0]` later. A `SubmittedJob`'s
   *   `release()` is called once the job has ended.
   */
  job: JobsDetail | SubmittedJob | string;
  /** The polling schedule. */
  poll?: JobPollOptions;
  /**
   * How the host relays CI's callbacks; while its channel is open, polling slows down to the safety net (a
   * `subscribe` that reports `status('down')` is not open until it reports `status('open')`).
   */
  relay?: JobCallbackRelay;
  /**
   * The page: hidden or not, online or not, `visibilitychange`, `online`, `EventSource`.
   * @default defaultTrackerEnvironment()
   */
  environment?: TrackerEnvironment;
  /** Where poll timers are set. @default globalThis.setTimeout / clearTimeout */
  timers?: TrackerTimers;
  /** Numbers in `[0, 1)` for the jitter of poll delays. @default Math.random */
  random?: () => number;
  /** Aborting it stops following the job, as `stop()` does (the job itself goes on). */
  signal?: AbortSignal;
}

/** {@link JobTrackerOptions} checked, with every default filled in. */
export interface TrackerSettings {
  readonly client: ServiceClient;
  readonly jobId: string;
  /** The job as first known (submission or re-attachment), when given. */
  readonly detail: JobsDetail | undefined;
  readonly submitted: SubmittedJob | undefined;
  readonly poll: PollSettings;
  readonly relay: JobCallbackRelay | undefined;
  readonly environment: TrackerEnvironment;
  readonly timers: TrackerTimers;
  readonly random: () => number;
  readonly signal: AbortSignal | undefined;
}

const JOB_ID_RULE = 'must be a job id (1 to 128 letters, digits, _ or -)';

/** The fields of a `JobsDetail` a tracker relies on (the rest is the service's). */
const DetailSchema = z.object({
  JobId: matching(JOB_ID_PATTERN, JOB_ID_RULE),
  State: oneOf(Object.values(JobState)),
  Tag: z.string(),
});

/** The three forms of {@link JobTrackerOptions.job}, told apart by their shape. */
function jobSchema(job: unknown) {
  if (typeof job === 'string') return matching(JOB_ID_PATTERN, JOB_ID_RULE);
  if (typeof job === 'object' && job !== null && 'job' in job) {
    return z.object({ job: DetailSchema, release: callable() });
  }
  return DetailSchema;
}

/** Validates {@link JobTrackerOptions}; objects are then taken as given (their identity and `this` matter). */
const TrackerOptionsSchema = z.object({
  client: withMethods<ServiceClient>(['request'], 'must be a ServiceClient'),
  job: z.unknown(),
  poll: z.optional(PollOptionsSchema),
  relay: z.optional(
    z.object({
      subscribe: z.optional(callable()),
      eventSource: z.optional(checked<string>((value) => typeof value === 'string' && value !== '', 'must be a URL')),
      withCredentials: z.optional(z.boolean()),
    }),
  ),
  environment: z.optional(
    z.object({
      isHidden: callable(),
      onVisibilityChange: callable(),
      onOnline: callable(),
      isOnline: z.optional(callable()),
      EventSource: z.optional(callable('must be a constructor')),
    }),
  ),
  timers: z.optional(
    withMethods<TrackerTimers>(['setTimeout', 'clearTimeout'], 'must have setTimeout and clearTimeout functions'),
  ),
  random: z.optional(callable<() => number>()),
  signal: z.optional(abortSignal),
});

function resolveJob(job: JobTrackerOptions['job']): Pick<TrackerSettings, 'jobId' | 'detail' | 'submitted'> {
  parseOptions(z.object({ job: jobSchema(job) }), { job }, 'job tracker');
  if (typeof job === 'string') return { jobId: job, detail: undefined, submitted: undefined };
  if ('release' in job) return { jobId: job.job.JobId, detail: job.job, submitted: job };
  return { jobId: job.JobId, detail: job, submitted: undefined };
}

/**
 * Checks `options` and fills in the defaults. Throws an `invalid-options` {@link TranscoderError} naming the first
 * bad option; nothing has been sent then.
 */
export function resolveTrackerOptions(options: JobTrackerOptions): TrackerSettings {
  parseOptions(TrackerOptionsSchema, options, 'job tracker');
  const { client, relay, timers, random, signal } = options;
  const environment = options.environment ?? defaultTrackerEnvironment();
  if (relay?.eventSource !== undefined && !environment.EventSource) {
    throw optionsError('job tracker', 'relay.eventSource', 'needs an EventSource, and this environment has none');
  }
  return {
    client,
    ...resolveJob(options.job),
    poll: resolvePollOptions(options.poll),
    relay,
    environment,
    timers: timers ?? defaultTrackerTimers(),
    random: random ?? Math.random,
    signal,
  };
}
