import { expect } from 'chai';
import { cancelJob } from '../../../src/core/jobs/job-api.js';
import { MemoryJobRecordStore } from '../../../src/core/jobs/job-records.js';
import { JobTracker } from '../../../src/core/jobs/job-tracker.js';
import { submitJob } from '../../../src/core/jobs/submit-job.js';
import { parseJobsResponse } from '../../../src/core/protocol/ci-schemas.js';
import type { JobRequest } from '../../../src/core/protocol/job-request-schemas.js';
import type { Emulator } from '../../../src/emulator/index.js';
import { NOT_MP4, SAMPLE } from '../../emulator/ci-support.js';
import { BUCKET, REGION, permanentKeys, seedObject, send, startTestEmulator } from '../../helpers/emulator.js';
import { rejection } from '../../helpers/expect-error.js';
import {
  RecordingTransport,
  extractRequest,
  pageClient,
  recordSnapshots,
  submitAsEarlierPage,
  transcodeRequest,
  waitForSnapshot,
} from './emulator-jobs-setup.js';

const MARK = 'cos-transcoder_tracker-2024';
const INPUT = 'tracker/input.mp4';
const NOT_VIDEO = 'tracker/not-video.mp4';
const RELOAD = 'tracker/reload.mp4';
/** Polls every ~50 ms: each 200 ms progress step of the emulator's jobs is seen. */
const FAST = { delays: [50] };

/** The ids of every transcode job of `input` on the emulator (read with the permanent key). */
async function jobIdsOf(emulator: Emulator, input: string): Promise<string[]> {
  const query = { tag: 'Transcode', inputObject: input, size: '100' };
  const response = await send(emulator, { service: 'ci', method: 'GET', path: '/jobs', query, keys: permanentKeys(emulator) });
  expect(response.status, response.text).to.equal(200);
  return parseJobsResponse(response.text, 'track').JobsDetail.map((job) => job.JobId);
}

/** Submits `request` from a fresh page (no persisted record) and follows it with fast polling. */
async function follow(emulator: Emulator, request: JobRequest) {
  const transport = new RecordingTransport();
  const client = pageClient(emulator, { transport });
  const submitted = await submitJob(client, request, { records: false });
  const tracker = new JobTracker({ client, job: submitted, poll: FAST });
  const events = recordSnapshots(tracker);
  const done = tracker.start();
  return { transport, client, submitted, tracker, events, done, jobId: submitted.job.JobId };
}

describe('JobTracker against the emulator', function () {
  this.timeout(20_000);
  let emulator: Emulator;

  before(async () => {
    // Every job: 100 ms queued, then 600 ms running in three progress steps (0, 33, 66), then its end.
    emulator = await startTestEmulator({ jobs: { queueDelayMs: 100, runMs: 600, progressSteps: 3 } });
    await seedObject(emulator, INPUT, SAMPLE);
    await seedObject(emulator, NOT_VIDEO, NOT_MP4);
    await seedObject(emulator, RELOAD, SAMPLE);
  });
  afterEach(() => emulator.faults.update({}));
  after(() => emulator.close());

  it('should follow a transcode job from its submission to Success, one event per change', async () => {
    const watermark = { DigitalWatermark: { Type: 'Text' as const, Message: MARK, Version: 'V1' as const } };
    const { transport, tracker, events, done, jobId } = await follow(
      emulator,
      transcodeRequest(INPUT, { operation: watermark }),
    );
    await done;
    expect(events.lines()).to.deep.equal([
      ['Submitted', 'submit', 0],
      ['Running', 'poll', 0],
      ['Running', 'poll', 0.33],
      ['Running', 'poll', 0.66],
      ['Success', 'poll', 1],
    ]);
    expect(transport.lines()).to.deep.equal([
      'POST /jobs',
      ...Array.from({ length: tracker.stats.polls }, () => `GET /jobs/${jobId}`),
    ]);
    expect(tracker.stats).to.deep.equal({ polls: transport.polls(jobId).length, callbacks: 0, ignored: 0 });
  });

  it('should give the results of a transcode job in plain form', async () => {
    const watermark = { DigitalWatermark: { Type: 'Text' as const, Message: MARK, Version: 'V1' as const } };
    const { done, jobId } = await follow(emulator, transcodeRequest(INPUT, { operation: watermark }));
    const { results, detail } = await done;
    const key = `output/${jobId}.mp4`;
    const head = await send(emulator, { service: 'cos', method: 'HEAD', path: `/${key}`, keys: permanentKeys(emulator) });
    expect(head.status).to.equal(200);
    expect(results.outputs).to.deep.equal([
      { bucket: BUCKET, region: REGION, key, md5: String(head.headers['etag']).replaceAll('"', '') },
    ]);
    const video = results.mediaInfo?.Stream?.Video[0];
    expect([video?.Width, video?.Height, results.mediaInfo?.Format?.Size]).to.deep.equal([
      640,
      360,
      Number(head.headers['content-length']),
    ]);
    expect(results.digitalWatermark).to.deep.equal({ message: MARK, state: 'Success' });
    expect([detail?.Code, results.extractedMessage]).to.deep.equal(['Success', undefined]);
  });

  it('should extract the message a transcode job embedded, from the output it wrote', async () => {
    const watermark = { DigitalWatermark: { Type: 'Text' as const, Message: MARK, Version: 'V1' as const } };
    const transcoded = await follow(emulator, transcodeRequest(INPUT, { operation: watermark }));
    const [output] = (await transcoded.done).results.outputs;
    const { events, done } = await follow(emulator, extractRequest(output!.key));
    const { results, tag } = await done;
    expect([tag, results.extractedMessage, results.outputs]).to.deep.equal(['ExtractDigitalWatermark', MARK, []]);
    expect(events.lines()).to.deep.equal([
      ['Submitted', 'submit', 0],
      ['Running', 'poll', 0],
      ['Running', 'poll', 0.33],
      ['Running', 'poll', 0.66],
      ['Success', 'poll', 1],
    ]);
  });

  it('should reject with job-failed, the code and the message of a job whose input is not a video', async () => {
    const { events, done, jobId } = await follow(emulator, transcodeRequest(NOT_VIDEO));
    const error = await rejection(done);
    expect([error.code, error.phase, error.serviceCode]).to.deep.equal(['job-failed', 'track', 'InvalidInput']);
    expect(error.message).to.match(
      new RegExp(`^Job ${jobId} failed: InvalidInput: "The input object is not a supported MP4 / MOV file`),
    );
    expect(events.lines()).to.deep.equal([
      ['Submitted', 'submit', 0],
      ['Running', 'poll', 0],
      ['Running', 'poll', 0.33],
      ['Running', 'poll', 0.66],
      ['Failed', 'poll', 0.66],
    ]);
    expect(events.snapshots.at(-1)?.error).to.equal(error);
  });

  it('should reject with the code and the message of a job the service failed (failJobs)', async () => {
    const failure = { rate: 1, limit: 1, code: 'TranscodeTimeout', message: 'The transcoder stopped <b>answering</b>' };
    emulator.faults.update({ failJobs: failure });
    const { events, done, jobId } = await follow(emulator, transcodeRequest(INPUT));
    const error = await rejection(done);
    expect([error.code, error.serviceCode, error.message]).to.deep.equal([
      'job-failed',
      'TranscodeTimeout',
      `Job ${jobId} failed: TranscodeTimeout: "The transcoder stopped answering"`,
    ]);
    expect(events.lines().map(([state]) => state)).to.deep.equal(['Submitted', 'Running', 'Running', 'Running', 'Failed']);
    expect(events.snapshots.at(-1)?.detail?.Message).to.equal(failure.message);
  });

  it('should find its job again after a reload, follow it to Success and then forget it', async () => {
    const records = new MemoryJobRecordStore();
    const request = transcodeRequest(RELOAD);
    // The earlier page submitted (its record names the job), followed the job until it ran, then unloaded.
    const firstClient = pageClient(emulator);
    const { jobId, fingerprint } = await submitAsEarlierPage(firstClient, request, records, 'answered');
    const firstTracker = new JobTracker({ client: firstClient, job: jobId, poll: FAST });
    const firstDone = firstTracker.start();
    await waitForSnapshot(firstTracker, (snapshot) => snapshot.status === 'Running');
    firstTracker.stop();
    expect((await rejection(firstDone)).code).to.equal('aborted');
    expect(records.get(fingerprint)?.jobId).to.equal(jobId);

    const transport = new RecordingTransport();
    const client = pageClient(emulator, { transport });
    const reloaded = await submitJob(client, request, { records });
    expect([reloaded.origin, reloaded.submissions, reloaded.job.JobId]).to.deep.equal(['reattached', 0, jobId]);
    expect(transport.lines()).to.deep.equal([`GET /jobs/${jobId}`]);
    const tracker = new JobTracker({ client, job: reloaded, poll: FAST });
    const events = recordSnapshots(tracker);
    await tracker.start();
    expect(events.lines()[0]?.slice(0, 2)).to.deep.equal(['Running', 'submit']);
    expect(events.lines().at(-1)).to.deep.equal(['Success', 'poll', 1]);
    expect(transport.submissions()).to.deep.equal([]);
    expect(records.get(fingerprint)).to.equal(undefined);
    expect(await jobIdsOf(emulator, RELOAD)).to.deep.equal([jobId]);
  });

  it('should keep polling through 503 SlowDown, waiting the Retry-After second each time', async () => {
    const transport = new RecordingTransport();
    const client = pageClient(emulator, { transport, retry: { delays: [] } });
    const submitted = await submitJob(client, transcodeRequest(INPUT), { records: false });
    const jobId = submitted.job.JobId;
    emulator.faults.update({ rules: [{ operations: ['DescribeMediaJob'], errorRate: 1, error: 'SlowDown', limit: 2 }] });
    const tracker = new JobTracker({ client, job: submitted, poll: FAST });
    const events = recordSnapshots(tracker);
    const final = await tracker.start();
    const polls = transport.polls(jobId);
    expect(polls.map((poll) => poll.status)).to.deep.equal([503, 503, 200]);
    const gaps = polls.slice(1).map((poll, n) => poll.sentAt - polls[n]!.endedAt!);
    expect(gaps.every((gap) => gap >= 995), `gaps after the refusals: ${gaps.join(', ')} ms`).to.equal(true);
    expect(
      events.snapshots.map(({ status, source, error }) => [status, source, error?.serviceCode, error?.retryAfterMs]),
    ).to.deep.equal([
      ['Submitted', 'submit', undefined, undefined],
      ['Submitted', 'submit', 'SlowDown', 1000],
      ['Submitted', 'submit', 'SlowDown', 1000],
      ['Success', 'poll', undefined, undefined],
    ]);
    expect([final.status, tracker.stats.polls]).to.deep.equal(['Success', 3]);
  });
});

describe('JobTracker cancelling a job against the emulator', function () {
  this.timeout(20_000);
  let emulator: Emulator;

  before(async () => {
    // Jobs wait 2 s in the queue (time to cancel them), then run 1 s in two steps (0, 50).
    emulator = await startTestEmulator({ jobs: { queueDelayMs: 2000, runMs: 1000, progressSteps: 2 } });
    await seedObject(emulator, INPUT, SAMPLE);
  });
  after(() => emulator.close());

  it('should cancel a job that has not started and end with aborted once Cancel is seen', async () => {
    const { transport, tracker, events, done, jobId } = await follow(emulator, transcodeRequest(INPUT));
    await tracker.cancel();
    const error = await rejection(done);
    expect([error.code, error.phase, error.message]).to.deep.equal(['aborted', 'track', `Job ${jobId} was cancelled`]);
    expect(events.lines()).to.deep.equal([
      ['Submitted', 'submit', 0],
      ['Cancel', 'poll', 0],
    ]);
    const lines = transport.lines();
    const cancel = lines.findIndex((line) => line.startsWith(`PUT /jobs/${jobId}?cancel`));
    expect(lines.slice(cancel)).to.deep.equal([lines[cancel], `GET /jobs/${jobId}`]);
    expect(lines.filter((line) => line.startsWith('PUT'))).to.have.length(1);
  });

  it('should refuse to cancel a running job with a clear message, and follow it on to Success', async () => {
    const { client, tracker, events, done, jobId } = await follow(emulator, transcodeRequest(INPUT));
    await waitForSnapshot(tracker, (snapshot) => snapshot.status === 'Running');
    const error = await rejection(cancelJob(client, jobId));
    expect([error.code, error.phase, error.status, error.serviceCode]).to.deep.equal([
      'service',
      'cancel',
      400,
      'InvalidArgument',
    ]);
    expect(error.message).to.match(
      new RegExp(`^Cannot cancel job ${jobId}: it is Running; only a job that has not started \\(Submitted or Pause\\)`),
    );
    await done;
    expect(events.lines()).to.deep.equal([
      ['Submitted', 'submit', 0],
      ['Running', 'poll', 0],
      ['Running', 'poll', 0.5],
      ['Success', 'poll', 1],
    ]);
  });
});
