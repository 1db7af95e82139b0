// CI jobs end to end in Chromium: submitJob, then a JobTracker polling the emulator (another process, jobs queued
// 400 ms and running 1200 ms in 5 progress steps) until the job ends; both job kinds, a failed job, cancelling, and
// polling paused while the page is hidden.
import { expect } from 'chai';
import { cancelJob } from '../../src/core/jobs/job-api.js';
import type { JobSnapshot } from '../../src/core/jobs/job-types.js';
import { submitJob } from '../../src/core/jobs/submit-job.js';
import { defaultTrackerEnvironment } from '../../src/core/jobs/tracker-environment.js';
import type { ServiceClient } from '../../src/core/transport/service-client.js';
import { rejection } from '../helpers/expect-error.js';
import {
  FAST_POLL,
  config,
  events,
  expectCleanStream,
  extractRequest,
  fakeVisibility,
  jobClient,
  objectSize,
  putObject,
  recordedTracker,
  transcodeRequest,
  uploadFixture,
  type TranscodeSetup,
} from './jobs-support.js';
import { during, uniquePrefix, waitFor } from './upload-support.js';

/** Asserts `submit, then polls only`: Submitted from the submission, Running polls, and `last` from a poll. */
function expectPolledSequence(snapshots: readonly JobSnapshot[], last: string): void {
  const sequence = events(snapshots);
  expect(sequence[0], sequence.join(', ')).to.equal('Submitted/submit');
  expect(sequence[sequence.length - 1], sequence.join(', ')).to.equal(last);
  const middle = sequence.slice(1, -1);
  expect(middle, sequence.join(', ')).to.not.be.empty;
  expect(new Set(middle), sequence.join(', ')).to.deep.equal(new Set(['Running/poll']));
  expectCleanStream(snapshots);
}

/** Submits a transcode of the fixture and follows it to its end with fast polling. */
async function transcodeToEnd(client: ServiceClient, input: string, setup: TranscodeSetup = {}) {
  const submitted = await submitJob(client, transcodeRequest(input, setup), { records: false });
  const recorded = recordedTracker({ client, job: submitted, poll: FAST_POLL });
  return { submitted, ...recorded, final: await recorded.tracker.start() };
}

describe('CI jobs from submitJob to their end (Chromium, emulator)', function () {
  this.timeout(8000);

  it('should follow a Transcode job from Submitted through Running polls to Success with its results', async () => {
    const { client, transport } = jobClient();
    const input = await uploadFixture(client, `${uniquePrefix()}in.mp4`);
    const userData = '</UserData><Tag>x</Tag>';

    const { submitted, tracker, snapshots, final } = await transcodeToEnd(client, input, {
      watermark: 'e2e-mark',
      userData,
    });

    expect(submitted).to.include({ origin: 'submitted', submissions: 1 });
    expectPolledSequence(snapshots, 'Success/poll');
    const running = snapshots.filter((snapshot) => snapshot.status === 'Running').map((s) => s.progress.percent);
    expect(running, 'Running progress').to.deep.equal([...running].sort((a, b) => a - b));
    expect(final).to.equal(snapshots[snapshots.length - 1]);
    expect(final).to.deep.include({ jobId: submitted.job.JobId, tag: 'Transcode', progress: { percent: 1 } });
    const { outputs, mediaInfo, digitalWatermark, userData: echoed } = final.results;
    expect(outputs.map(({ bucket, region, key }) => ({ bucket, region, key }))).to.deep.equal([
      { bucket: config.bucket, region: config.region, key: `${input}.out.mp4` },
    ]);
    expect(outputs[0]?.md5).to.match(/^[0-9a-f]{32}$/);
    expect(await objectSize(client, `${input}.out.mp4`)).to.be.greaterThan(200_000);
    const video = mediaInfo?.Stream?.Video[0];
    expect([video?.Width, video?.Height]).to.deep.equal([640, 360]);
    expect(digitalWatermark).to.deep.equal({ message: 'e2e-mark', state: 'Success' });
    expect(echoed).to.equal(userData);
    expect(transport.posts()).to.have.length(1);
    expect(transport.polls(submitted.job.JobId)).to.have.length(tracker.stats.polls);
  });

  it('should extract the digital watermark a previous Transcode job embedded', async () => {
    const { client } = jobClient();
    const input = await uploadFixture(client, `${uniquePrefix()}in.mp4`);
    const message = `mark-${Math.random().toString(36).slice(2, 10)}`;
    const transcoded = await transcodeToEnd(client, input, { watermark: message });
    const [output] = transcoded.final.results.outputs;

    const submitted = await submitJob(client, extractRequest(output!.key), { records: false });
    const { tracker, snapshots } = recordedTracker({ client, job: submitted, poll: FAST_POLL });
    const final = await tracker.start();

    expectPolledSequence(snapshots, 'Success/poll');
    expect(final).to.include({ tag: 'ExtractDigitalWatermark', status: 'Success' });
    expect(final.results.extractedMessage).to.equal(message);
  });

  it('should reject with job-failed, the service code and message, when the input is not an MP4', async () => {
    const { client } = jobClient();
    const input = `${uniquePrefix()}not-a-video.mp4`;
    await putObject(client, input, 'plain text, not a video');
    const submitted = await submitJob(client, transcodeRequest(input), { records: false });
    const { tracker, snapshots } = recordedTracker({ client, job: submitted, poll: FAST_POLL });

    const error = await rejection(tracker.start());

    expect(error).to.include({ code: 'job-failed', phase: 'track', serviceCode: 'InvalidInput' });
    expect(error.message).to.contain(`Job ${submitted.job.JobId} failed: InvalidInput`);
    expect(error.message).to.contain('not a supported MP4 / MOV file');
    expectPolledSequence(snapshots, 'Failed/poll');
    expect(snapshots[snapshots.length - 1]!.error).to.equal(error);
  });

  it('should cancel a job that has not started, end in Cancel and reject start() with aborted', async () => {
    const { client, transport } = jobClient();
    const input = await uploadFixture(client, `${uniquePrefix()}in.mp4`);
    const submitted = await submitJob(client, transcodeRequest(input), { records: false });
    const { tracker, snapshots } = recordedTracker({ client, job: submitted, poll: { delays: [5000] } });

    const ending = tracker.start();
    await tracker.cancel();
    const error = await rejection(ending);

    expect(error).to.include({ code: 'aborted', phase: 'track' });
    expect(events(snapshots)).to.deep.equal(['Submitted/submit', 'Cancel/poll']);
    expect(transport.cancels().map(({ status }) => status)).to.deep.equal([200]);
    expect(transport.polls(submitted.job.JobId)).to.have.length(1);
  });

  it('should refuse to cancel a running job, saying it is Running, and the job still succeeds', async () => {
    const { client, transport } = jobClient();
    const input = await uploadFixture(client, `${uniquePrefix()}in.mp4`);
    const submitted = await submitJob(client, transcodeRequest(input), { records: false });
    const { tracker, snapshots } = recordedTracker({ client, job: submitted, poll: FAST_POLL });
    const ending = tracker.start();
    await waitFor(() => snapshots.some((snapshot) => snapshot.status === 'Running'), 'the job to run');

    const refused = await rejection(cancelJob(client, submitted.job.JobId));

    expect(refused).to.include({ code: 'service', phase: 'cancel', status: 400, serviceCode: 'InvalidArgument' });
    expect(refused.message).to.contain(`Cannot cancel job ${submitted.job.JobId}: it is Running`);
    expect(transport.cancels().map(({ status }) => status)).to.deep.equal([400]);
    expect((await ending).status).to.equal('Success');
    expectPolledSequence(snapshots, 'Success/poll');
  });

  it('should send no poll while the page is hidden and poll at once when it is shown again', async () => {
    const visibility = fakeVisibility();
    try {
      const { client, transport } = jobClient();
      const input = await uploadFixture(client, `${uniquePrefix()}in.mp4`);
      const submitted = await submitJob(client, transcodeRequest(input), { records: false });
      const jobId = submitted.job.JobId;
      let hiddenAt: number | undefined;
      // Hidden while a poll's answer is on its way: no poll timer is armed then, and none may be armed after it.
      transport.onResponse = (request) => {
        if (request.operation !== 'DescribeMediaJob' || hiddenAt !== undefined) return;
        visibility.hide();
        hiddenAt = performance.now();
      };
      // The page's own visibility, as every tracker sees it by default (here faked).
      const environment = defaultTrackerEnvironment();
      const { tracker } = recordedTracker({ client, job: submitted, poll: FAST_POLL, environment });
      const ending = tracker.start();
      await waitFor(() => hiddenAt !== undefined, 'a first poll');
      await during(1500);
      expect(transport.polls(jobId, hiddenAt), 'polls while hidden').to.have.length(0);

      const shownAt = performance.now();
      visibility.show();

      await waitFor(() => transport.polls(jobId, shownAt).length > 0, 'a poll once shown', 300);
      expect(transport.polls(jobId, shownAt)[0]!.at - shownAt).to.be.below(100);
      expect((await ending).status).to.equal('Success');
    } finally {
      visibility.restore();
    }
  });
});
