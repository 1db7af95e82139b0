import { expect } from 'chai';
import { JobTracker } from '../../src/core/jobs/job-tracker.js';
import type { JobPollOptions, JobSnapshot } from '../../src/core/jobs/job-types.js';
import { buildJobCallback, type CallbackFormat } from '../../src/core/protocol/callback.js';
import { parseJobsResponse, type JobsDetail } from '../../src/core/protocol/ci-schemas.js';
import type { JobState } from '../../src/core/protocol/job-state.js';
import type { FakeTransport, RecordedRequest, ScriptedReply } from './fake-transport.js';
import { FakeEnvironment } from './fake-tracker-environment.js';
import { ManualTimers } from './manual-timers.js';
import { BUCKET, CI_HOST, REGION, setup } from './service-client-setup.js';

/** The job the tracker tests follow. */
export const JOB_ID = 'j8d121820f5e411ec926ef19d53ba9c6f';
/** Another job, whose reports must be ignored. */
export const OTHER_JOB_ID = 'j06668dc0f86811ecb90d0b03267ce0e5';
/** The object a successful job of {@link jobXml} wrote. */
export const OUTPUT_KEY = 'output/out.mp4';

/** Extra fields of {@link jobXml}. */
export interface JobXmlFields {
  jobId?: string;
  progress?: number;
  code?: string;
  message?: string;
}

/** One `<JobsDetail>` of a transcode job as the service writes it; a `Success` job has an output and media info. */
export function jobXml(state: JobState, fields: JobXmlFields = {}): string {
  const { jobId = JOB_ID, progress, code = state === 'Failed' ? 'InvalidInput' : 'Success', message } = fields;
  const result =
    state === 'Success'
      ? `<MediaResult><OutputFile><Bucket>${BUCKET}</Bucket><Region>${REGION}</Region>` +
        `<ObjectName>${OUTPUT_KEY}</ObjectName><Md5Info><Md5>852883012a6ba726e6ed8d9b984edfdf</Md5>` +
        `<ObjectName>${OUTPUT_KEY}</ObjectName></Md5Info></OutputFile></MediaResult>` +
        '<MediaInfo><Format><Duration>60.000000</Duration><Size>1024</Size></Format></MediaInfo>'
      : '';
  return (
    `<JobsDetail><Code>${code}</Code><Message>${message ?? (state === 'Failed' ? '' : 'Success')}</Message>` +
    `<JobId>${jobId}</JobId><State>${state}</State>` +
    (progress === undefined ? '' : `<Progress>${progress}</Progress>`) +
    '<CreationTime>2024-05-16T14:45:51+0800</CreationTime><StartTime>-</StartTime><EndTime>-</EndTime>' +
    `<Tag>Transcode</Tag><Input><BucketId>${BUCKET}</BucketId><Object>input/a.mp4</Object>` +
    `<Region>${REGION}</Region></Input>` +
    `<Operation><TemplateId>t1460606b9752148c4ab182f55163ba7cd</TemplateId>` +
    `<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>${OUTPUT_KEY}</Object></Output>` +
    `${result}<UserData>u</UserData></Operation></JobsDetail>`
  );
}

/** A `GET /jobs/<id>` answer body holding `details` (from {@link jobXml}) and, optionally, unknown ids. */
export const jobsBody = (details: string[], missing: string[] = []): string =>
  `<Response>${details.join('')}${missing.map((id) => `<NonExistJobIds>${id}</NonExistJobIds>`).join('')}</Response>`;

/** A 200 reply to a poll reporting the job in `state`. */
export const pollReply = (state: JobState, fields: JobXmlFields = {}): ScriptedReply => ({
  status: 200,
  headers: { 'content-type': 'application/xml', 'x-ci-request-id': 'NjY0NWQ' },
  body: jobsBody([jobXml(state, fields)]),
});

/** The parsed `JobsDetail` of {@link jobXml}. */
export const jobDetail = (state: JobState, fields: JobXmlFields = {}): JobsDetail =>
  parseJobsResponse(jobsBody([jobXml(state, fields)]), 'track').JobsDetail[0]!;

/**
 * A `TaskFinish` callback body: XML, JSON with `JobsDetail` as an array, or JSON with a single object (`json1`);
 * `object` is the single-object JSON already parsed.
 */
export function callbackBody(
  state: JobState,
  format: CallbackFormat | 'json1' | 'object' = 'XML',
  fields: JobXmlFields = {},
): string | object {
  const callback = { EventName: 'TaskFinish', JobsDetail: [jobDetail(state, fields)] };
  if (format === 'XML' || format === 'JSON') return buildJobCallback(callback, format);
  const parsed = JSON.parse(buildJobCallback(callback, 'JSON')) as { JobsDetail: unknown[] };
  const single = { ...parsed, JobsDetail: parsed.JobsDetail[0] };
  return format === 'object' ? single : JSON.stringify(single);
}

/** Takes the next request, checks that it polls {@link JOB_ID}, and answers it. */
export async function answerPoll(transport: FakeTransport, reply: ScriptedReply): Promise<RecordedRequest> {
  const request = await transport.nextRequest();
  expect([request.method, request.headers['host'], request.path]).to.deep.equal(['GET', CI_HOST, `/jobs/${JOB_ID}`]);
  request.respondWith(reply);
  return request;
}

/** A job of a given length, followed by a tracker in virtual time. */
export interface JobSimulationOptions {
  /** When the job succeeds, in ms after submission. @default 60000 */
  duration?: number;
  /** How long it waits in its queue (`Submitted`) before `Running`. @default 2000 */
  queued?: number;
  /** `subscribe`: a host relay that delivers the `TaskFinish` callback when the job ends. @default 'none' */
  relay?: 'none' | 'subscribe';
  /** Jitter source of the tracker. @default () => 0.5 (no jitter) */
  random?: () => number;
  poll?: JobPollOptions;
}

/** What a simulated job cost. */
export interface JobSimulationResult {
  /** Requests the job cost: the submission plus every poll. */
  requests: number;
  polls: number;
  callbacks: number;
  /** Virtual times the polls were sent at. */
  pollTimes: number[];
  /** Virtual time tracking ended at. */
  endedAt: number;
  snapshots: JobSnapshot[];
  final: JobSnapshot;
}

/**
 * Submits (virtually: the `POST /jobs` answer is the tracker's first snapshot) a job that runs for `duration`,
 * follows it with a {@link JobTracker} on {@link ManualTimers}, answers every poll from the job's state at that
 * virtual time, and returns the number of requests it took.
 *
 * @example
 * ```ts
 * const { requests } = await simulateJob({ duration: 60_000, relay: 'subscribe' });
 * ```
 */
export async function simulateJob(options: JobSimulationOptions = {}): Promise<JobSimulationResult> {
  const { duration = 60_000, queued = 2000, relay = 'none', random = () => 0.5, poll } = options;
  const { client, transport } = setup({ retry: { delays: [], jitter: 0 } });
  const timers = new ManualTimers();
  let relayed: ((body: unknown) => void) | undefined;
  const tracker = new JobTracker({
    client,
    job: jobDetail('Submitted'),
    timers,
    environment: new FakeEnvironment(),
    random,
    ...(poll ? { poll } : {}),
    ...(relay === 'subscribe'
      ? {
          relay: {
            subscribe: (_jobId: string, deliver: (body: unknown) => void) => {
              relayed = deliver;
              return () => (relayed = undefined);
            },
          },
        }
      : {}),
  });
  const snapshots: JobSnapshot[] = [];
  tracker.subscribe((snapshot) => snapshots.push(snapshot));
  let final: JobSnapshot | undefined;
  const done = tracker.start().then((snapshot) => (final = snapshot));
  if (relay === 'subscribe') timers.setTimeout(() => relayed?.(callbackBody('Success')), duration);
  const stateAt = (time: number) => {
    if (time < queued) return pollReply('Submitted');
    if (time >= duration) return pollReply('Success');
    return pollReply('Running', { progress: Math.floor(((time - queued) / (duration - queued)) * 100) });
  };
  const pollTimes: number[] = [];
  const limit = duration * 4;
  while (final === undefined && timers.now <= limit) {
    while (transport.unclaimed > 0) {
      pollTimes.push(timers.now);
      (await transport.nextRequest()).respondWith(stateAt(timers.now));
    }
    await timers.settle();
    if (final !== undefined || transport.unclaimed > 0) continue;
    const at = timers.nextAt;
    if (at === undefined) break;
    await timers.advance(at - timers.now);
  }
  await done;
  const { polls, callbacks } = tracker.stats;
  return { requests: polls + 1, polls, callbacks, pollTimes, endedAt: timers.now, snapshots, final: final! };
}
