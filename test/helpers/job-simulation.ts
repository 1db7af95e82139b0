import { expect } from 'chai';
import { JobTracker } from '../../src/core/jobs/job-tracker.js';
import type { JobPollOptions, JobSnapshot } from '../../src/core/jobs/job-types.js';
import { buildJobCallback, type CallbackFormat } from '../../src/core/protocol/callback.js';
import { parseJobsResponse, type JobsDetail } from '../../src/core/protocol/ci-schemas.js';
import type { JobState } from '../../src/core/protocol/job-state.js';
import type { FakeTransport, RecordedRequest, ScriptedReply } from './fake-transport.js';
import { FakeEnvironment, FakeEventSource } from './fake-tracker-environment.js';
import { ManualTimers, settleRealTasks } from './manual-timers.js';
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
  /**
   * How the `TaskFinish` callback reaches the tracker when the job ends: not at all, through a host
   * `relay.subscribe`, or through an event stream (`relay.eventSource`) that opens at once. @default 'none'
   */
  relay?: 'none' | 'subscribe' | 'eventSource';
  /** For `eventSource`: the stream drops at `at` and reconnects `ms` later. */
  outage?: { at: number; ms: number };
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

/** Real milliseconds the simulation waits for the tracker to send a poll or arm a timer before it gives up. */
const STALL_MS = 2000;

/** The relay of a simulated job, and how the test makes it deliver. */
function simulatedRelay(kind: JobSimulationOptions['relay']) {
  let relayed: ((body: unknown) => void) | undefined;
  if (kind === 'subscribe') {
    const relay = {
      subscribe: (_jobId: string, deliver: (body: unknown) => void) => {
        relayed = deliver;
        return () => (relayed = undefined);
      },
    };
    return { relay, deliver: (body: unknown) => relayed?.(body) };
  }
  if (kind === 'eventSource') {
    FakeEventSource.instances = [];
    const deliver = (body: unknown) => FakeEventSource.last.message(body);
    return { relay: { eventSource: '/events/{jobId}' }, deliver };
  }
  return { relay: undefined, deliver: () => {} };
}

/**
 * Submits (virtually: the `POST /jobs` answer is the tracker's first snapshot) a job that runs for `duration`,
 * follows it with a {@link JobTracker} on {@link ManualTimers}, answers every poll from the job's state at that
 * virtual time, and returns the number of requests it took.
 *
 * A poll is answered at the virtual time it was sent: virtual time stands still while a poll is on its way to the
 * transport (signing is real asynchronous work) and until the tracker has taken the answer and armed its next
 * timer; a tracker that does neither within {@link STALL_MS} real milliseconds fails the simulation.
 *
 * @example
 * ```ts
 * const { requests } = await simulateJob({ duration: 60_000, relay: 'subscribe' });
 * ```
 */
export async function simulateJob(options: JobSimulationOptions = {}): Promise<JobSimulationResult> {
  const { duration = 60_000, queued = 2000, relay: kind = 'none', outage, random = () => 0.5, poll } = options;
  const { client, transport } = setup({ retry: { delays: [], jitter: 0 } });
  const timers = new ManualTimers();
  const { relay, deliver } = simulatedRelay(kind);
  const tracker = new JobTracker({
    client,
    job: jobDetail('Submitted'),
    timers,
    environment: new FakeEnvironment(),
    random,
    ...(poll ? { poll } : {}),
    ...(relay ? { relay } : {}),
  });
  const snapshots: JobSnapshot[] = [];
  tracker.subscribe((snapshot) => snapshots.push(snapshot));
  let final: JobSnapshot | undefined;
  const done = tracker.start().then((snapshot) => (final = snapshot));
  if (kind === 'eventSource') {
    FakeEventSource.last.open();
    if (outage) {
      timers.setTimeout(() => FakeEventSource.last.fail(), outage.at);
      timers.setTimeout(() => FakeEventSource.last.open(), outage.at + outage.ms);
    }
  }
  if (relay) timers.setTimeout(() => deliver(callbackBody('Success')), duration);
  const stateAt = (time: number) => {
    if (time < queued) return pollReply('Submitted');
    if (time >= duration) return pollReply('Success');
    return pollReply('Running', { progress: Math.floor(((time - queued) / (duration - queued)) * 100) });
  };
  const pollTimes: number[] = [];
  // Without retries, each poll is one request: a poll counted but not yet seen by the transport is being signed.
  const pollOnItsWay = () => tracker.stats.polls > transport.requests.length;
  const limit = duration * 4;
  while (final === undefined && timers.now <= limit) {
    if (transport.unclaimed > 0 || pollOnItsWay()) {
      pollTimes.push(timers.now);
      (await transport.nextRequest(STALL_MS)).respondWith(stateAt(timers.now));
      continue;
    }
    await timers.settle();
    if (final !== undefined || transport.unclaimed > 0 || pollOnItsWay()) continue;
    const at = timers.nextAt;
    if (at === undefined) {
      // The answer is still being read: the tracker arms its next timer (or polls again) once it has it.
      await waitFor(() => final !== undefined || transport.unclaimed > 0 || timers.nextAt !== undefined);
      continue;
    }
    await timers.advance(at - timers.now);
  }
  if (final === undefined) tracker.stop();
  await done;
  const { polls, callbacks } = tracker.stats;
  return { requests: polls + 1, polls, callbacks, pollTimes, endedAt: timers.now, snapshots, final: final! };
}

/** Lets real tasks run until `ready()`, for at most {@link STALL_MS} real milliseconds. */
async function waitFor(ready: () => boolean): Promise<void> {
  const deadline = Date.now() + STALL_MS;
  while (!ready()) {
    if (Date.now() > deadline) {
      throw new Error(`simulateJob: the tracker neither polled nor armed a timer in ${STALL_MS} ms`);
    }
    await settleRealTasks(1);
  }
}
