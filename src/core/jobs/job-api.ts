import * as z from 'zod/mini';
import { TranscoderError, isTranscoderError, type Phase } from '../errors.js';
import { parseJobsResponse, type JobsDetail, type JobsResponse } from '../protocol/ci-schemas.js';
import { JobState } from '../protocol/job-state.js';
import { validate } from '../protocol/validation.js';
import { abortError } from '../transport/delay.js';
import type { ServiceClient, ServiceResponse } from '../transport/service-client.js';
import { formatServiceTime } from './service-time.js';

/** Most ids one `GET /jobs/<id>,<id>…` may name (the service's limit). */
export const MAX_DESCRIBED_JOBS = 10;

/** The shape of a CI job id: it goes into URL paths, so nothing else is ever sent. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Options of one jobs API call. */
export interface JobCallOptions {
  /** Aborts the call; it then rejects with `aborted`. */
  signal?: AbortSignal;
}

/** Checks job ids before they go into a URL. */
export function checkJobIds(ids: readonly string[], phase: 'track' | 'cancel'): void {
  for (const id of ids) {
    if (typeof id !== 'string' || !JOB_ID_PATTERN.test(id)) {
      throw new TranscoderError('A job id must be 1 to 128 letters, digits, _ or -', {
        code: 'invalid-request',
        phase,
      });
    }
  }
}

/** Parses a jobs `<Response>` of `operation`, its errors naming the operation, status and request id. */
export function readJobsResponse(response: ServiceResponse, phase: Phase, operation: string): JobsResponse {
  return parseJobsResponse(response.body, phase, {
    operation,
    status: response.status,
    ...(response.requestId === undefined ? {} : { requestId: response.requestId }),
  });
}

/**
 * Reads jobs by id (`GET /jobs/<id>,<id>…`, DescribeMediaJob), ten ids per request. `missing` lists the ids the
 * service does not know (`NonExistJobIds`), which is how a deleted or mistyped job shows.
 *
 * @throws {TranscoderError} `invalid-request` for an id that is not a job id (nothing is sent); `service`,
 * `network`... as {@link ServiceClient.request}; `invalid-response` for a body that is not a jobs `<Response>`.
 *
 * @example
 * ```ts
 * const { jobs: [job], missing } = await describeJobs(client, ['j8d121820f5e411ec926ef19d53ba9c6f']);
 * ```
 */
export async function describeJobs(
  client: ServiceClient,
  ids: readonly string[],
  options: JobCallOptions = {},
): Promise<{ jobs: JobsDetail[]; missing: string[] }> {
  checkJobIds(ids, 'track');
  const unique = [...new Set(ids)];
  const jobs: JobsDetail[] = [];
  const missing: string[] = [];
  for (let start = 0; start < unique.length; start += MAX_DESCRIBED_JOBS) {
    const batch = unique.slice(start, start + MAX_DESCRIBED_JOBS);
    const response = await client.request({
      service: 'ci',
      method: 'GET',
      pathname: `/jobs/${batch.join(',')}`,
      action: 'name/ci:DescribeMediaJob',
      phase: 'track',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const parsed = readJobsResponse(response, 'track', 'DescribeMediaJob');
    // Only the ids asked for: a confused proxy or service must not slip other jobs in.
    const asked = new Set(batch);
    jobs.push(...parsed.JobsDetail.filter((job) => asked.has(job.JobId)));
    missing.push(...parsed.NonExistJobIds.filter((id) => asked.has(id)));
  }
  return { jobs, missing };
}

/** Most jobs one `GET /jobs?…` page may hold (the service's limit for `size`). */
export const MAX_LISTED_JOBS = 100;

/** The latest time the service's format can write: 9999-12-31T23:59:59+0800. */
const MAX_SERVICE_TIME_MS = Date.UTC(9999, 11, 31, 15, 59, 59);

const creationTime = z.number().check(
  z.refine((value) => Number.isFinite(value) && value >= 0 && value <= MAX_SERVICE_TIME_MS, {
    error: 'must be milliseconds since the epoch, up to the year 9999',
  }),
);

/**
 * Validates a {@link ListJobsQuery}. Unknown fields are refused (a misspelt filter would otherwise list every job).
 */
export const ListJobsQuerySchema = z
  .strictObject({
    tag: z.string().check(z.regex(/^[A-Za-z0-9_]{1,64}$/, { error: 'must be a job tag such as Transcode' })),
    inputObject: z.optional(
      z.string().check(
        z.refine((value) => value.length > 0 && value.length <= 1024 && !/[\u0000-\u001f\u007f]/.test(value), {
          error: 'must be an object key of 1 to 1024 characters without control characters',
        }),
      ),
    ),
    queueId: z.optional(
      z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be a queue id (letters, digits, _ or -)' })),
    ),
    states: z.optional(
      z.array(z.enum([...Object.values(JobState), 'All'])).check(z.minLength(1), z.maxLength(7)),
    ),
    startCreationTime: z.optional(creationTime),
    endCreationTime: z.optional(creationTime),
    orderByTime: z.optional(z.enum(['Desc', 'Asc'])),
    size: z.optional(
      z.number().check(
        z.refine(Number.isInteger, { error: 'must be an integer', abort: true }),
        z.gte(1),
        z.lte(MAX_LISTED_JOBS),
      ),
    ),
    nextToken: z.optional(
      z.string().check(z.regex(/^[\x21-\x7E]{1,1024}$/, { error: 'must be a token the service returned' })),
    ),
  })
  .check(
    z.superRefine((query, ctx) => {
      const { startCreationTime: start, endCreationTime: end } = query;
      if (start !== undefined && end !== undefined && end < start) {
        const message = 'must not be before startCreationTime';
        ctx.issues.push({ code: 'custom', message, input: end, path: ['endCreationTime'] });
      }
    }),
  );

/**
 * A search of the bucket's jobs (`GET /jobs?…`, DescribeMediaJobs). Times are milliseconds since the epoch; they
 * are sent in the service's format, China time to the second (`2022-06-27T15:23:12+0800`), the start rounded
 * down and the end rounded up so that the range never shrinks.
 */
export interface ListJobsQuery {
  /** `Transcode`, `ExtractDigitalWatermark`... (required by the service). */
  tag: string;
  /** Only jobs of this input object (exact match). */
  inputObject?: string;
  /** Only jobs of this queue. */
  queueId?: string;
  /** Only jobs in these states. @default every state (`All`) */
  states?: readonly (JobState | 'All')[];
  /** Only jobs created at or after this time (ms since the epoch). */
  startCreationTime?: number;
  /** Only jobs created at or before this time (ms since the epoch). */
  endCreationTime?: number;
  /** Newest first (`Desc`) or oldest first. @default 'Desc' (the service's default) */
  orderByTime?: 'Desc' | 'Asc';
  /** Jobs per page, 1 to 100. @default 10 (the service's default) */
  size?: number;
  /** The `nextToken` of the previous page. */
  nextToken?: string;
}

/** The query parameters of a validated {@link ListJobsQuery}, in the order of the documentation. */
function listQueryParameters(query: z.output<typeof ListJobsQuerySchema>): Record<string, string> {
  const parameters: Record<string, string> = { tag: query.tag };
  if (query.queueId !== undefined) parameters.queueId = query.queueId;
  if (query.inputObject !== undefined) parameters.inputObject = query.inputObject;
  if (query.orderByTime !== undefined) parameters.orderByTime = query.orderByTime;
  if (query.nextToken !== undefined) parameters.nextToken = query.nextToken;
  if (query.size !== undefined) parameters.size = String(query.size);
  if (query.states !== undefined) parameters.states = [...new Set(query.states)].join(',');
  if (query.startCreationTime !== undefined) {
    parameters.startCreationTime = formatServiceTime(query.startCreationTime);
  }
  if (query.endCreationTime !== undefined) {
    parameters.endCreationTime = formatServiceTime(Math.ceil(query.endCreationTime / 1000) * 1000);
  }
  return parameters;
}

/** One page of {@link listJobs}. */
export interface JobListPage {
  /** The jobs of the page, in the order asked for. */
  jobs: JobsDetail[];
  /** Present when more jobs match: pass it back as `query.nextToken` to read the next page. */
  nextToken?: string;
  /**
   * The service's time when it answered (ms since the epoch, to the second), from the response's `Date` header;
   * absent when the header is missing, unreadable, or hidden by CORS (expose `Date` to read it in a browser). Job
   * times (`CreationTime`) are on this clock, which the page's may not be.
   */
  serverTime?: number;
}

/** The time of a `Date` header (ms since the epoch), or `undefined`. */
function serverTimeOf(headers: Readonly<Record<string, string>>): number | undefined {
  const value = headers['date'];
  // An HTTP date always names a weekday or a month: a bare number is no date (Date.parse would read it as a year).
  if (typeof value !== 'string' || !/[a-z]/i.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isFinite(time) && time >= 0 ? time : undefined;
}

/**
 * Lists the bucket's jobs matching `query`, one page at a time (`GET /jobs?…`, DescribeMediaJobs). `nextToken` is
 * present when more jobs match; pass it back to read the next page. `serverTime` is the service's clock as its
 * `Date` header gave it, when readable.
 *
 * @throws {TranscoderError} `invalid-request` (phase `track`) for a query that breaks a rule (nothing is sent);
 * `service`, `network`... as {@link ServiceClient.request}; `invalid-response` for a body that is not a jobs
 * `<Response>`.
 *
 * @example
 * ```ts
 * const { jobs, nextToken } = await listJobs(client, {
 *   tag: 'Transcode', inputObject: 'input/demo.mp4', states: ['Running'],
 *   startCreationTime: Date.now() - 3600_000, orderByTime: 'Desc', size: 100,
 * });
 * ```
 */
export async function listJobs(
  client: ServiceClient,
  query: ListJobsQuery,
  options: JobCallOptions = {},
): Promise<JobListPage> {
  const valid = validate(ListJobsQuerySchema, query, {
    code: 'invalid-request',
    phase: 'track',
    subject: 'Job list query',
  });
  const response = await client.request({
    service: 'ci',
    method: 'GET',
    pathname: '/jobs',
    query: listQueryParameters(valid),
    action: 'name/ci:DescribeMediaJobs',
    phase: 'track',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const parsed = readJobsResponse(response, 'track', 'DescribeMediaJobs');
  const nextToken = parsed.NextToken?.trim();
  const serverTime = serverTimeOf(response.headers);
  return {
    jobs: parsed.JobsDetail,
    ...(nextToken ? { nextToken } : {}),
    ...(serverTime === undefined ? {} : { serverTime }),
  };
}

/**
 * Cancels a job that has not started (`PUT /jobs/<id>?cancel`, CancelMediaJob). Resolves once the job is
 * cancelled, also when it already was (a resend after a lost answer, or a second click).
 *
 * The service refuses to cancel a running or ended job with a bare 400 `InvalidArgument`; the job is then read
 * once to say why, and the error's message names its state, for example `Cannot cancel job j8d1…: it is Running;
 * only a job that has not started (Submitted or Pause) can be cancelled`.
 *
 * @throws {TranscoderError} phase `cancel`: `invalid-request` for an id that is not a job id (nothing is sent);
 * `service` for a refusal (with the service's `status`, `serviceCode` and `requestId`; the refusal is its
 * `cause`); `network`, `aborted`... as {@link ServiceClient.request}.
 *
 * @example
 * ```ts
 * try { await cancelJob(client, job.JobId); }
 * catch (error) { if (isTranscoderError(error) && error.code === 'service') show(error.message); }
 * ```
 */
export async function cancelJob(client: ServiceClient, jobId: string, options: JobCallOptions = {}): Promise<void> {
  checkJobIds([jobId], 'cancel');
  const signal = options.signal ? { signal: options.signal } : {};
  try {
    await client.request({
      service: 'ci',
      method: 'PUT',
      pathname: `/jobs/${jobId}`,
      query: { cancel: '' },
      action: 'name/ci:CancelMediaJob',
      phase: 'cancel',
      idempotent: true,
      ...signal,
    });
    return;
  } catch (error) {
    if (!isRefusal(error)) throw error;
    let found: { jobs: JobsDetail[]; missing: string[] };
    try {
      found = await describeJobs(client, [jobId], options);
    } catch {
      if (options.signal?.aborted) throw abortError(options.signal, 'cancel');
      // Why it was refused is unknown: the refusal itself is the better answer.
      throw error;
    }
    const job = found.jobs.find((candidate) => candidate.JobId === jobId);
    if (job?.State === 'Cancel') return;
    throw refusalError(error, jobId, job);
  }
}

/** Whether a cancel failed because the service refused to modify the job. */
function isRefusal(error: unknown): error is TranscoderError {
  if (!isTranscoderError(error)) return false;
  return error.code === 'service' && error.status === 400 && error.serviceCode === 'InvalidArgument';
}

/** The error for a refused cancel, naming why from the job's state (`undefined`: the service does not know it). */
function refusalError(refusal: TranscoderError, jobId: string, job: JobsDetail | undefined): TranscoderError {
  let reason: string;
  if (job === undefined) reason = 'no such job';
  else if (job.State === 'Running') {
    reason = 'it is Running; only a job that has not started (Submitted or Pause) can be cancelled';
  } else if (job.State === 'Success' || job.State === 'Failed') reason = `it has ended (${job.State})`;
  else reason = `the service refused while it is ${job.State}`;
  const id = refusal.requestId ? `, request id: ${refusal.requestId}` : '';
  return new TranscoderError(`Cannot cancel job ${jobId}: ${reason} (400 InvalidArgument${id})`, {
    code: 'service',
    phase: 'cancel',
    status: refusal.status,
    serviceCode: refusal.serviceCode,
    requestId: refusal.requestId,
    attempts: refusal.attempts,
    cause: refusal,
  });
}
