// The setup of the submitJob transcripts: a scripted client, a memory record store, fast lookups.
import { jobRequestFingerprint, MemoryJobRecordStore } from '../../src/core/jobs/job-records.js';
import { formatServiceTime } from '../../src/core/jobs/service-time.js';
import { submitJob, type SubmitJobOptions } from '../../src/core/jobs/submit-job.js';
import { buildJobRequest } from '../../src/core/protocol/job-request.js';
import type { JobRequest } from '../../src/core/protocol/job-request-schemas.js';
import { transcodeRequest } from './job-echo.js';
import { BUCKET, NOW, REGION, settle, setup } from './service-client-setup.js';

/** Lookups without waiting: two searches, 1 ms apart. */
export const FAST_LOOKUP = { attempts: 2, delay: 1 } as const;

/** The record id (fingerprint) of `request` in the test bucket. */
export const fingerprintOf = (request: JobRequest): string =>
  jobRequestFingerprint(BUCKET, REGION, buildJobRequest(request));

/**
 * The request line of a lookup of the default transcode request: jobs of its tag and input object created from a
 * minute before `since` to a minute after now (the clock stands at NOW).
 */
export function lookupLine(since = NOW, options: { request?: JobRequest; nextToken?: string } = {}): string {
  const { request = transcodeRequest(), nextToken } = options;
  const start = formatServiceTime(since - 60_000);
  const end = formatServiceTime(NOW + 60_000);
  const page = nextToken === undefined ? '' : `&nextToken=${nextToken}`;
  return (
    `GET /jobs?tag=${request.Tag}&inputObject=${request.Input.Object}&orderByTime=Desc${page}&size=100` +
    `&startCreationTime=${start}&endCreationTime=${end}`
  );
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
