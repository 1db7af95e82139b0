// The setup of the submitJob transcripts: a scripted client, a memory record store, fast lookups.
import { jobRequestFingerprint, MemoryJobRecordStore } from '../../src/core/jobs/job-records.js';
import { submitJob, type SubmitJobOptions } from '../../src/core/jobs/submit-job.js';
import { buildJobRequest } from '../../src/core/protocol/job-request.js';
import type { JobRequest } from '../../src/core/protocol/job-request-schemas.js';
import { jobsXml, transcodeRequest, xmlReply } from './job-echo.js';
import { BUCKET, NOW, REGION, settle, setup } from './service-client-setup.js';

/** Lookups without waiting: two searches, 1 ms apart. */
export const FAST_LOOKUP = { attempts: 2, delay: 1 } as const;

/** The record id (fingerprint) of `request` in the test bucket. */
export const fingerprintOf = (request: JobRequest): string =>
  jobRequestFingerprint(BUCKET, REGION, buildJobRequest(request));

/**
 * The request line of a lookup of the default transcode request: the jobs of its tag and input object (and queue,
 * when it names one), newest first, 100 a page; no time range (the window is applied on the service's clock).
 */
export function lookupLine(options: { request?: JobRequest; nextToken?: string } = {}): string {
  const { request = transcodeRequest(), nextToken } = options;
  const queue = request.QueueId === undefined ? '' : `&queueId=${request.QueueId}`;
  const page = nextToken === undefined ? '' : `&nextToken=${nextToken}`;
  return `GET /jobs?tag=${request.Tag}${queue}&inputObject=${request.Input.Object}&orderByTime=Desc${page}&size=100`;
}

/**
 * A list answer holding `jobs`, with a `Date` header at `serverTime` (the service's clock; `null` for none, as
 * when CORS hides it) and a `NextToken` when given.
 */
export function listReply(jobs: object[], options: { serverTime?: number | null; nextToken?: string } = {}) {
  const { serverTime = NOW, nextToken } = options;
  const reply = xmlReply(jobsXml(jobs, nextToken === undefined ? {} : { nextToken }));
  if (serverTime === null) return reply;
  return { ...reply, headers: { ...reply.headers, date: new Date(serverTime).toUTCString() } };
}

/**
 * Starts `submitJob` over a scripted transport with a memory record store (or the given `records`, read back as a
 * memory store: tests only read stores they built as such); `outcome` never rejects.
 */
export function startSubmit(
  request: JobRequest = transcodeRequest(),
  options: SubmitJobOptions = {},
  client = setup(),
) {
  const records = (options.records ?? new MemoryJobRecordStore()) as MemoryJobRecordStore;
  const outcome = settle(submitJob(client.client, request, { lookup: FAST_LOOKUP, ...options, records }));
  let id = '';
  try {
    id = fingerprintOf(request);
  } catch {
    // An invalid request has no record id; the test checks that nothing was stored under any.
  }
  return { ...client, records, outcome, id };
}
