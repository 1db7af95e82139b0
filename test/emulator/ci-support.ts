// Shared helpers of the CI emulator tests (ci-*.test.ts): submitting jobs, reading them back and waiting for states,
// always over real HTTP with bounded waits.
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseJobsResponse, type JobsDetail, type JobsResponse } from '../../src/core/protocol/ci-schemas.js';
import { buildTranscodeJobRequest } from '../../src/core/protocol/job-request.js';
import type { TranscodeJobInput } from '../../src/core/protocol/job-request-schemas.js';
import type { JobState } from '../../src/core/protocol/job-state.js';
import type { Emulator } from '../../src/emulator/index.js';
import { BUCKET, REGION, permanentKeys, send, type WireResponse } from '../helpers/emulator.js';

/** The real 640x360 H.264 sample. */
export const SAMPLE = fileURLToPath(new URL('../fixtures/media/sample-640x360.mp4', import.meta.url));
/** A file that is not an MP4 (this module's own source). */
export const NOT_MP4 = fileURLToPath(import.meta.url);

/** The seed's transcode template. */
export const TEMPLATE = 't1460606b9752148c4ab182f55163ba7cd';

/** Where a request goes: the bucket (and its region) whose CI host receives it. */
export interface Target {
  bucket?: string;
  region?: string;
}

/** Options of {@link transcodeBody}. */
export interface TranscodeOptions {
  /** `Output.Object`. @default 'output/${jobid}.${ext}' */
  output?: string;
  /** Extra `Operation` fields (JobLevel, UserData, DigitalWatermark...). */
  operation?: Partial<TranscodeJobInput['Operation']>;
  /** Queue and callback fields (CallBack, CallBackFormat...). */
  notification?: Omit<Partial<TranscodeJobInput>, 'Input' | 'Operation'>;
}

/** A transcode job request body built with the core's builder (validated like a client would). */
export function transcodeBody(input: string, options: TranscodeOptions = {}): string {
  const output = { Region: REGION, Bucket: BUCKET, Object: options.output ?? 'output/${jobid}.${ext}' };
  return buildTranscodeJobRequest({
    Input: { Object: input },
    Operation: { TemplateId: TEMPLATE, Output: output, ...options.operation },
    ...options.notification,
  });
}

/** `POST /jobs` with `body`, signed with the permanent key. */
export function postJob(emulator: Emulator, body: string, target: Target = {}): Promise<WireResponse> {
  return send(emulator, {
    service: 'ci',
    method: 'POST',
    path: '/jobs',
    headers: { 'content-type': 'application/xml' },
    body,
    keys: permanentKeys(emulator),
    ...target,
  });
}

/** Submits a job that must be accepted; its `JobsDetail`. */
export async function submit(emulator: Emulator, body: string, target: Target = {}): Promise<JobsDetail> {
  const response = await postJob(emulator, body, target);
  expect(response.status, response.text).to.equal(200);
  const [job] = parseJobsResponse(response.text, 'submit').JobsDetail;
  expect(job).to.not.equal(undefined);
  return job!;
}

/** `GET /jobs/<ids>` parsed. */
export async function describeJobs(emulator: Emulator, ids: string[], target: Target = {}): Promise<JobsResponse> {
  const response = await send(emulator, {
    service: 'ci',
    method: 'GET',
    path: `/jobs/${ids.join(',')}`,
    keys: permanentKeys(emulator),
    ...target,
  });
  expect(response.status, response.text).to.equal(200);
  return parseJobsResponse(response.text, 'track');
}

/** One job by id (it must exist). */
export async function describeJob(emulator: Emulator, id: string, target: Target = {}): Promise<JobsDetail> {
  const [job] = (await describeJobs(emulator, [id], target)).JobsDetail;
  expect(job, `job ${id}`).to.not.equal(undefined);
  return job!;
}

const ENDED: readonly JobState[] = ['Success', 'Failed', 'Cancel'];

/** Polls a job every 10 ms until it is in one of `states` (an ended state by default); fails after `timeoutMs`. */
export async function waitForJob(
  emulator: Emulator,
  id: string,
  options: { states?: readonly JobState[]; timeoutMs?: number; target?: Target } = {},
): Promise<JobsDetail> {
  const states = options.states ?? ENDED;
  const deadline = Date.now() + (options.timeoutMs ?? 3000);
  for (;;) {
    const job = await describeJob(emulator, id, options.target);
    if (states.includes(job.State)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.State} after waiting for ${states.join('/')}`);
    await sleep(10);
  }
}

/** `GET /jobs?...` with the given parameters. */
export function listJobs(
  emulator: Emulator,
  query: Record<string, string>,
  target: Target = {},
): Promise<WireResponse> {
  const keys = permanentKeys(emulator);
  return send(emulator, { service: 'ci', method: 'GET', path: '/jobs', query, keys, ...target });
}

/** `PUT /jobs/<id>?cancel`. */
export function cancelJob(emulator: Emulator, id: string, target: Target = {}): Promise<WireResponse> {
  return send(emulator, {
    service: 'ci',
    method: 'PUT',
    path: `/jobs/${id}`,
    query: { cancel: '' },
    keys: permanentKeys(emulator),
    ...target,
  });
}

/** Waits (bounded) until no job of the default bucket is Submitted or Running, so that a fault hits the next job. */
export async function waitForIdle(emulator: Emulator, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const tag of ['Transcode', 'ExtractDigitalWatermark']) {
    for (;;) {
      const response = await listJobs(emulator, { tag, states: 'Submitted,Running', size: '1' });
      if (parseJobsResponse(response.text, 'track').JobsDetail.length === 0) break;
      if (Date.now() > deadline) throw new Error('jobs still queued or running');
      await sleep(10);
    }
  }
}
