import { TranscoderError, isTranscoderError } from '../errors.js';
import type { JobsDetail } from '../protocol/ci-schemas.js';
import { buildJobRequest, parseJobRequest } from '../protocol/job-request.js';
import type { JobRequest } from '../protocol/job-request-schemas.js';
import { abortError, delay } from '../transport/delay.js';
import { retryDelay } from '../transport/retry.js';
import type { ServiceClient, ServiceResponse } from '../transport/service-client.js';
import { withCrossTabLock } from '../storage/cross-tab-lock.js';
import { describeJobs, readJobsResponse } from './job-api.js';
import {
  accountForJob,
  accountedSince,
  accountingMark,
  isAccountedJob,
  lookForSubmittedJob,
  monotonicNow,
  resolveJobLookup,
  type JobLookupOptions,
  type JobLookupSettings,
  type SubmissionTime,
} from './job-lookup.js';
import {
  defaultJobRecordStore,
  isFreshJobRecord,
  jobRequestFingerprint,
  type JobRecordStore,
} from './job-records.js';
import type { SubmittedJob } from './job-types.js';
import { SubmissionRecord } from './submission-record.js';

/** Options of {@link submitJob}. */
export interface SubmitJobOptions {
  /**
   * Aborts the submission (and any lookup or wait); it then rejects with `aborted`. The pending record this call
   * wrote is removed only when no `POST /jobs` had left yet (an abort while a `POST` is being signed counts as
   * left): after that, it is the only trace of a job the service may have created, and makes the next call look
   * for that job before submitting. An abort while following a record leaves that record as it was.
   */
  signal?: AbortSignal;
  /**
   * Where the record that lets a reloaded page find its job is kept; `false` keeps none (no re-attach and no
   * coordination between tabs, but a lost answer is still recovered). @default defaultJobRecordStore()
   */
  records?: JobRecordStore | false;
  /** How a job whose submission answer was lost is looked for. */
  lookup?: JobLookupOptions;
}

/** Whether a failed `POST /jobs` may have created the job: the request may have reached a service that acted. */
function mayHaveActed(error: TranscoderError): boolean {
  if (!error.retryable) return false;
  if (error.code === 'network' || error.code === 'timeout') return true;
  if (error.code !== 'service' || error.status === undefined || error.status < 500) return false;
  // 503 SlowDown is a refusal before processing (reference §5.9 lists no CI throttling code, COS uses this one).
  return !(error.status === 503 && error.serviceCode === 'SlowDown');
}

/** The one job a `POST /jobs` answer holds. */
function createdJob(response: ServiceResponse): JobsDetail {
  const { JobsDetail: jobs } = readJobsResponse(response, 'submit', 'CreateMediaJobs');
  const [job] = jobs;
  if (jobs.length !== 1 || job === undefined) {
    const message = `CreateMediaJobs answered ${response.status} with ${jobs.length} jobs instead of one`;
    const { status, requestId } = response;
    throw new TranscoderError(message, { code: 'invalid-response', phase: 'submit', status, requestId });
  }
  return job;
}

const asTranscoderError = (error: unknown): TranscoderError =>
  isTranscoderError(error)
    ? error
    : new TranscoderError('CreateMediaJobs failed', {
        code: 'network',
        phase: 'submit',
        retryable: true,
        cause: error,
      });

/** Everything one call works with. */
interface Submission {
  readonly client: ServiceClient;
  /** The request as the service will read it back (defaults applied, wire strings typed). */
  readonly request: JobRequest;
  readonly body: string;
  readonly record: SubmissionRecord;
  readonly lookup: JobLookupSettings;
  readonly signal: AbortSignal | undefined;
  /** The monotonic clock the lookups measure the time since a `POST` with. */
  readonly now: () => number;
  /** The {@link accountingMark} when the call began: a job this page was given later came from an overlapping call. */
  readonly mark: number;
  /** Whether a `POST /jobs` may have left: from then on, the pending record is the only trace of a job. */
  posted: boolean;
}

/** The error of a search the service refused for good, after a submission whose outcome is unknown. */
function lookupRefused(refusal: TranscoderError, what: string, attempts: number): TranscoderError {
  const { status, serviceCode, requestId } = refusal;
  const reason = [status, serviceCode].filter((part) => part !== undefined).join(' ');
  const permission = status === 401 || status === 403 ? ' The credentials need ci:DescribeMediaJobs.' : '';
  const message =
    `${what} and the job could not be looked up: DescribeMediaJobs was refused (${reason}). ` +
    `The job may exist; check before submitting again.${permission}`;
  const init = { code: 'service', phase: 'submit', status, serviceCode, requestId, attempts, cause: refusal } as const;
  return new TranscoderError(message, init);
}

/** A failure of reading a recorded job, as an error of the submission. */
const asSubmitError = (error: unknown): unknown => (isTranscoderError(error) ? error.with({ phase: 'submit' }) : error);

/**
 * The job named by a record of an earlier page (or of an earlier call of this page whose answer was lost), or
 * `undefined` to submit afresh.
 */
async function reattach(submission: Submission): Promise<SubmittedJob | undefined> {
  const { client, request, record, lookup, signal } = submission;
  const stored = await record.read();
  if (!stored) return undefined;
  if (!isFreshJobRecord(stored, client.clock.now())) {
    await record.forget();
    return undefined;
  }
  // Records let a reloaded page (or another tab) find its job; within one page, each call submits, unless it
  // overlapped the call that was given the job (a double click, a component mounted twice).
  const given = stored.jobId !== undefined && isAccountedJob(stored.jobId);
  if (given && !accountedSince(stored.jobId!, submission.mark)) return undefined;
  const adopt = (job: JobsDetail): SubmittedJob => {
    accountForJob(job.JobId);
    return { job, origin: 'reattached', submissions: 0, release: record.releaser(job.JobId) };
  };
  if (stored.jobId !== undefined) {
    const { jobs } = await describeJobs(client, [stored.jobId], signal ? { signal } : {}).catch((error: unknown) => {
      throw asSubmitError(error);
    });
    const job = jobs.find((candidate) => candidate.JobId === stored.jobId);
    if (job && job.Tag === request.Tag && job.Input?.Object === request.Input.Object) return adopt(job);
    await record.forget();
    return undefined;
  }
  // A POST was sent and its answer never read (the page died, or the call failed): the job may exist.
  const since = { at: stored.submittedAt };
  const outcome = await lookForSubmittedJob(client, request, since, lookup, signal, submission.now);
  if (outcome.job) {
    await record.write(stored.submittedAt, outcome.job.JobId);
    return adopt(outcome.job);
  }
  if (outcome.certain) return undefined;
  if (!outcome.refused) throw outcome.error;
  await record.forget();
  throw lookupRefused(outcome.error, 'An earlier POST /jobs of this request got no answer', outcome.error.attempts);
}

/**
 * Sends `POST /jobs`, and when its answer is lost, looks for the job it may have created before ever sending
 * again; at most `client.retry.delays.length + 1` submissions, `client.retry` delays apart.
 */
async function submitWithoutDuplicates(submission: Submission): Promise<SubmittedJob> {
  const { client, request, body, record, lookup, signal, now } = submission;
  let first: SubmissionTime | undefined;
  let submissions = 0;
  for (let posts = 1; ; posts += 1) {
    const at = first?.at ?? client.clock.now();
    await record.write(at);
    if (signal?.aborted) throw abortError(signal, 'submit');
    first ??= { at, sentAt: now() };
    submission.posted = true;
    let answered = false;
    let error: TranscoderError;
    try {
      const response = await client.request({
        service: 'ci',
        method: 'POST',
        pathname: '/jobs',
        headers: { 'content-type': 'application/xml' },
        body,
        action: 'name/ci:CreateMediaJobs',
        phase: 'submit',
        idempotent: false,
        ...(signal ? { signal } : {}),
      });
      submissions += response.attempts;
      answered = true;
      const job = createdJob(response);
      accountForJob(job.JobId);
      await record.write(at, job.JobId);
      return { job, origin: 'submitted', submissions, release: record.releaser(job.JobId) };
    } catch (caught) {
      if (signal?.aborted) throw abortError(signal, 'submit');
      error = asTranscoderError(caught);
      if (!answered) submissions += error.attempts;
    }
    // A 2xx whose body is unreadable created the job all the same; a failure the service may have acted on
    // leaves it unknown. Anything else (a 4xx, a throttle) certainly created nothing.
    const unknown = answered ? error.code === 'invalid-response' : mayHaveActed(error);
    if (!unknown) {
      await record.forget();
      throw error.with({ attempts: submissions });
    }
    const outcome = await lookForSubmittedJob(client, request, first, lookup, signal, now);
    if (outcome.job) {
      const job = outcome.job;
      accountForJob(job.JobId);
      await record.write(at, job.JobId);
      return { job, origin: 'recovered', submissions, release: record.releaser(job.JobId) };
    }
    if (!outcome.certain && outcome.refused) {
      await record.forget();
      const what = answered ? 'POST /jobs got an unreadable answer' : 'POST /jobs got no answer';
      throw lookupRefused(outcome.error, what, submissions);
    }
    // Resending is safe only when every search completed without finding the job. A timed-out POST is never
    // resent: a slow service may still create its job. Otherwise the pending record stays, so that the next call
    // (or a reloaded page) looks for the job before submitting.
    const resend = outcome.certain && !answered && error.code !== 'timeout';
    const wait = resend ? retryDelay(client.retry, posts, error.retryAfterMs) : undefined;
    if (wait === undefined) throw error.with({ attempts: submissions });
    await delay(wait, signal).catch(() => {
      throw abortError(signal, 'submit');
    });
  }
}

/**
 * Submits a CI job (`POST /jobs`) without ever creating it twice:
 *
 * 1. The request is validated and built (`buildJobRequest`); nothing is sent when it is invalid.
 * 2. A record for the same request (same bucket, region and body; see {@link jobRequestFingerprint}), younger than
 *    24 hours, is followed instead of submitting. Records let a reloaded page, or another tab, find its job;
 *    within one page, each call submits: a record naming a job this page was already given is passed over (two
 *    identical submissions made on purpose are two jobs), unless this call began before that job was given (calls
 *    that overlap, such as a double click, share one job). A record naming a job is followed by reading the job back
 *    (`origin: 'reattached'`), whatever its state; a record of an unknown job is dropped. A pending record (a
 *    `POST` whose answer was never read, by an earlier page or an earlier call) makes the call look for that job
 *    first, and re-attach to it when found.
 * 3. A pending record is written, then `POST /jobs` is sent once. When its answer is lost (a network error, a
 *    timeout, a 5xx: the service may have created the job), the job is looked for through the list API by tag,
 *    input object, creation time (on the service's clock, from the list answer's `Date`) and the request's own
 *    fields (`origin: 'recovered'`), a few times, a second apart. Only when every search completed without finding
 *    it, and the `POST` did not time out, is the request sent again, after the `client.retry` delay (or the
 *    service's `Retry-After`), at most `client.retry.delays.length + 1` times in all. Otherwise the submission's
 *    error is thrown and the pending record stays, so that the next call looks for the job first (a slow service
 *    may still create the job of a timed-out `POST`).
 *
 * Steps 2 and 3 run under a lock named after the record (`navigator.locks` across the tabs and frames of the
 * origin, else a queue within the page; none with `records: false`): of two tabs that submit the same request at
 * the same moment, the second waits, then follows the first one's job (`origin: 'reattached'`); one job is created.
 * `signal` also gives up that wait.
 *
 * The record stays until `release()` is called (a `JobTracker` given the result calls it when the job ends), so
 * that a page reloaded meanwhile finds the job again.
 *
 * @throws {TranscoderError} `invalid-options` (phase `options`) for invalid lookup options (nothing sent). Phase
 * `submit` for everything else:
 * - `invalid-request` for an invalid request (nothing sent);
 * - `service` for a refusal of `POST /jobs` (a 4xx, or a throttle after the client's retries: no job was created;
 *   the pending record is removed);
 * - `network`, `timeout`, `service` (5xx) or `invalid-response` (an unreadable 2xx) when the job could not be
 *   submitted nor found, with `attempts` the number of `POST /jobs` requests sent; the pending record stays;
 * - `service`, with the refusal's `status`, `serviceCode` and `requestId`, when the answer was lost and the list
 *   API refused the search for good (a 4xx other than 429, such as 403 when the credentials lack
 *   `ci:DescribeMediaJobs`): the job may exist, the message says so; the pending record is removed, so that the
 *   next call submits;
 * - any error of `describeJobs` or `listJobs` (phase `submit`) while following a record: a search that failed
 *   leaves the record in place, and nothing is submitted;
 * - `aborted` when `signal` aborts.
 *
 * @example
 * ```ts
 * const { job, origin, release } = await submitJob(client, {
 *   Tag: 'Transcode',
 *   Input: { Object: 'input/demo.mp4' },
 *   Operation: {
 *     TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
 *     Output: { Region: client.region, Bucket: client.bucket, Object: 'output/demo.${ext}' },
 *   },
 * });
 * ```
 */
export async function submitJob(
  client: ServiceClient,
  request: JobRequest,
  options: SubmitJobOptions = {},
): Promise<SubmittedJob> {
  const body = buildJobRequest(request);
  const canonical = parseJobRequest(body);
  const lookup = resolveJobLookup(options.lookup);
  const { signal } = options;
  const store = options.records === false ? undefined : (options.records ?? defaultJobRecordStore());
  const fingerprint = jobRequestFingerprint(client.bucket, client.region, body);
  const record = new SubmissionRecord(store, {
    fingerprint,
    bucket: client.bucket,
    region: client.region,
    tag: canonical.Tag,
    inputObject: canonical.Input.Object,
  });
  const submission: Submission = {
    client,
    request: canonical,
    body,
    record,
    lookup,
    signal,
    now: monotonicNow,
    mark: accountingMark(),
    posted: false,
  };
  const submit = async () => (await reattach(submission)) ?? (await submitWithoutDuplicates(submission));
  try {
    if (signal?.aborted) throw abortError(signal, 'submit');
    // One submission per record across the tabs of the origin: a second tab waits, then finds the record (with its
    // job id, or pending) and follows or looks for that job instead of submitting again.
    return store ? await withCrossTabLock(`job-record:${fingerprint}`, submit, signal) : await submit();
  } catch (error) {
    if (!signal?.aborted) throw error;
    // Once a POST may have left, its pending record is the only trace of the job it may have created: it stays, so
    // that the next call looks for that job before submitting.
    if (!submission.posted) await record.forgetPending();
    throw abortError(signal, 'submit');
  }
}
