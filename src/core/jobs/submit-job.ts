import { TranscoderError, isTranscoderError } from '../errors.js';
import { parseJobsResponse, type JobsDetail } from '../protocol/ci-schemas.js';
import { buildJobRequest, parseJobRequest } from '../protocol/job-request.js';
import type { JobRequest } from '../protocol/job-request-schemas.js';
import { abortError } from '../transport/delay.js';
import type { ServiceClient, ServiceResponse } from '../transport/service-client.js';
import { describeJobs } from './job-api.js';
import {
  accountForJob,
  lookForSubmittedJob,
  resolveJobLookup,
  type JobLookupOptions,
  type JobLookupSettings,
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
  /** Aborts the submission (and any lookup or wait); it then rejects with `aborted` and leaves no pending record. */
  signal?: AbortSignal;
  /**
   * Where the record that lets a reloaded page find its job is kept; `false` keeps none (no re-attach, but a lost
   * answer is still recovered). @default defaultJobRecordStore()
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
  const requestId = response.requestId === undefined ? {} : { requestId: response.requestId };
  const { JobsDetail: jobs } = parseJobsResponse(response.body, 'submit', {
    operation: 'CreateMediaJobs',
    status: response.status,
    ...requestId,
  });
  const [job] = jobs;
  if (jobs.length !== 1 || job === undefined) {
    const message = `CreateMediaJobs answered ${response.status} with ${jobs.length} jobs instead of one`;
    const status = response.status;
    throw new TranscoderError(message, { code: 'invalid-response', phase: 'submit', status, ...requestId });
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
}

/** The job named by a persisted record of an earlier page, or `undefined` to submit afresh. */
async function reattach(submission: Submission): Promise<SubmittedJob | undefined> {
  const { client, request, record, lookup, signal } = submission;
  const stored = await record.read();
  if (!stored) return undefined;
  if (!isFreshJobRecord(stored, client.clock.now())) {
    await record.forget();
    return undefined;
  }
  const adopt = (job: JobsDetail): SubmittedJob => {
    accountForJob(job.JobId);
    return { job, origin: 'reattached', submissions: 0, release: record.releaser(job.JobId) };
  };
  if (stored.jobId !== undefined) {
    const { jobs } = await describeJobs(client, [stored.jobId], signal ? { signal } : {});
    const job = jobs.find((candidate) => candidate.JobId === stored.jobId);
    if (job && job.Tag === request.Tag && job.Input?.Object === request.Input.Object) return adopt(job);
    await record.forget();
    return undefined;
  }
  // The earlier page died between sending its POST and reading the answer: the job may exist.
  const outcome = await lookForSubmittedJob(client, request, stored.submittedAt, lookup, signal);
  if (outcome.job) {
    await record.write(stored.submittedAt, outcome.job.JobId);
    return adopt(outcome.job);
  }
  if (!outcome.certain) throw outcome.error;
  return undefined;
}

/**
 * Sends `POST /jobs`, and when its answer is lost, looks for the job it may have created before ever sending
 * again; at most `client.retry.delays.length + 1` submissions.
 */
async function submitWithoutDuplicates(submission: Submission): Promise<SubmittedJob> {
  const { client, request, body, record, lookup, signal } = submission;
  const maxPosts = client.retry.delays.length + 1;
  let firstSentAt: number | undefined;
  let submissions = 0;
  for (let posts = 1; ; posts += 1) {
    firstSentAt ??= client.clock.now();
    await record.write(firstSentAt);
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
      await record.write(firstSentAt, job.JobId);
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
    const outcome = await lookForSubmittedJob(client, request, firstSentAt, lookup, signal);
    if (outcome.job) {
      const job = outcome.job;
      accountForJob(job.JobId);
      await record.write(firstSentAt, job.JobId);
      return { job, origin: 'recovered', submissions, release: record.releaser(job.JobId) };
    }
    // Resending is safe only when every search completed without finding the job; otherwise the pending record
    // stays, so that the next call (or a reloaded page) looks for the job before submitting.
    if (!outcome.certain || answered || posts >= maxPosts) throw error.with({ attempts: submissions });
  }
}

/**
 * Submits a CI job (`POST /jobs`) without ever creating it twice:
 *
 * 1. The request is validated and built (`buildJobRequest`); nothing is sent when it is invalid.
 * 2. A record persisted by an earlier page for the same request (same bucket, region and body; see
 *    {@link jobRequestFingerprint}), younger than 24 hours, is followed instead of submitting: its job is read back
 *    (`origin: 'reattached'`) whatever its state; a record of an unknown job is dropped.
 * 3. A pending record is written, then `POST /jobs` is sent once. When its answer is lost (a network error, a
 *    timeout, a 5xx: the service may have created the job), the job is looked for through the list API by tag,
 *    input object, creation time and the request's own fields (`origin: 'recovered'`), a few times, a second
 *    apart. Only when every search completed without finding it is the request sent again, at most
 *    `client.retry.delays.length + 1` times in all; if a search failed, the submission's error is thrown and
 *    nothing is resent (the pending record stays, so that the next call looks for the job first).
 *
 * The record stays until `release()` is called (a `JobTracker` given the result calls it when the job ends), so
 * that a page reloaded meanwhile finds the job again.
 *
 * @throws {TranscoderError} phase `submit`: `invalid-request` for an invalid request (nothing sent);
 * `invalid-options` for invalid lookup options; `service` for a refusal (4xx: no job was created); `network`,
 * `timeout` or `service` (5xx) when the job could not be submitted nor found, with `attempts` the number of
 * `POST /jobs` requests sent; `aborted` when `signal` aborts. Reading a re-attached job may fail as
 * `describeJobs` does.
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
  const record = new SubmissionRecord(store, {
    fingerprint: jobRequestFingerprint(client.bucket, client.region, body),
    bucket: client.bucket,
    region: client.region,
    tag: canonical.Tag,
    inputObject: canonical.Input.Object,
  });
  const submission: Submission = { client, request: canonical, body, record, lookup, signal };
  try {
    if (signal?.aborted) throw abortError(signal, 'submit');
    return (await reattach(submission)) ?? (await submitWithoutDuplicates(submission));
  } catch (error) {
    if (!signal?.aborted) throw error;
    await record.forgetPending();
    throw abortError(signal, 'submit');
  }
}
