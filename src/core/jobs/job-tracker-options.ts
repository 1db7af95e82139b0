import { TranscoderError } from '../errors.js';
import type { JobsDetail } from '../protocol/ci-schemas.js';
import { JobState } from '../protocol/job-state.js';
import type { ServiceClient } from '../transport/service-client.js';
import { JOB_ID_PATTERN } from './job-api.js';
import type {
  JobCallbackRelay,
  JobPollOptions,
  SubmittedJob,
  TrackerEnvironment,
  TrackerTimers,
} from './job-types.js';
import { resolvePollOptions, type PollSettings } from './poll-schedule.js';
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
  /** How the host relays CI's callbacks; while its channel is open, polling slows down to the safety net. */
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

function invalid(message: string): TranscoderError {
  return new TranscoderError(`Invalid job tracker options: ${message}`, { code: 'invalid-options', phase: 'options' });
}

const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === 'function';
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const STATES = new Set<unknown>(Object.values(JobState));

function checkDetail(detail: unknown, name: string): JobsDetail {
  if (!isObject(detail)) throw invalid(`${name} must be a JobsDetail`);
  if (typeof detail['JobId'] !== 'string' || !JOB_ID_PATTERN.test(detail['JobId'])) {
    throw invalid(`${name}.JobId must be a job id (1 to 128 letters, digits, _ or -)`);
  }
  if (!STATES.has(detail['State'])) throw invalid(`${name}.State must be a job state`);
  if (typeof detail['Tag'] !== 'string') throw invalid(`${name}.Tag must be a string`);
  return detail as unknown as JobsDetail;
}

function resolveJob(job: unknown): Pick<TrackerSettings, 'jobId' | 'detail' | 'submitted'> {
  if (typeof job === 'string') {
    if (!JOB_ID_PATTERN.test(job)) throw invalid('job must be a job id (1 to 128 letters, digits, _ or -)');
    return { jobId: job, detail: undefined, submitted: undefined };
  }
  if (isObject(job) && 'job' in job) {
    if (!isFunction(job['release'])) throw invalid('job.release must be a function');
    const detail = checkDetail(job['job'], 'job.job');
    return { jobId: detail.JobId, detail, submitted: job as unknown as SubmittedJob };
  }
  const detail = checkDetail(job, 'job');
  return { jobId: detail.JobId, detail, submitted: undefined };
}

function checkRelay(relay: unknown): JobCallbackRelay | undefined {
  if (relay === undefined) return undefined;
  if (!isObject(relay)) throw invalid('relay must be an object');
  if (relay['subscribe'] !== undefined && !isFunction(relay['subscribe'])) {
    throw invalid('relay.subscribe must be a function');
  }
  if (relay['eventSource'] !== undefined && (typeof relay['eventSource'] !== 'string' || relay['eventSource'] === '')) {
    throw invalid('relay.eventSource must be a URL');
  }
  if (relay['withCredentials'] !== undefined && typeof relay['withCredentials'] !== 'boolean') {
    throw invalid('relay.withCredentials must be a boolean');
  }
  return relay as JobCallbackRelay;
}

function checkEnvironment(environment: unknown): TrackerEnvironment {
  if (environment === undefined) return defaultTrackerEnvironment();
  if (
    !isObject(environment) ||
    !isFunction(environment['isHidden']) ||
    !isFunction(environment['onVisibilityChange']) ||
    !isFunction(environment['onOnline'])
  ) {
    throw invalid('environment must have isHidden, onVisibilityChange and onOnline functions');
  }
  if (environment['isOnline'] !== undefined && !isFunction(environment['isOnline'])) {
    throw invalid('environment.isOnline must be a function');
  }
  if (environment['EventSource'] !== undefined && !isFunction(environment['EventSource'])) {
    throw invalid('environment.EventSource must be a constructor');
  }
  return environment as unknown as TrackerEnvironment;
}

/**
 * Checks `options` and fills in the defaults. Throws an `invalid-options` {@link TranscoderError} naming the first
 * bad option; nothing has been sent then.
 */
export function resolveTrackerOptions(options: JobTrackerOptions): TrackerSettings {
  if (!isObject(options)) throw invalid('expected an object');
  const { client, timers, random, signal } = options;
  if (!isFunction(client?.request)) throw invalid('client must be a ServiceClient');
  const job = resolveJob(options.job);
  const poll = resolvePollOptions(options.poll);
  const relay = checkRelay(options.relay);
  const environment = checkEnvironment(options.environment);
  if (relay?.eventSource !== undefined && !environment.EventSource) {
    throw invalid('relay.eventSource needs an EventSource, and this environment has none');
  }
  if (timers !== undefined && !(isFunction(timers?.setTimeout) && isFunction(timers.clearTimeout))) {
    throw invalid('timers must have setTimeout and clearTimeout functions');
  }
  if (random !== undefined && !isFunction(random)) throw invalid('random must be a function');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal');
  return {
    client,
    ...job,
    poll,
    relay,
    environment,
    timers: timers ?? defaultTrackerTimers(),
    random: random ?? Math.random,
    signal,
  };
}
