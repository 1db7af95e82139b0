import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { canReachJobState, type JobState } from '../../src/core/protocol/job-state.js';
import type { Emulator } from '../../src/emulator/index.js';
import {
  APP_ID,
  BUCKET,
  REGION,
  errorCode,
  permanentKeys,
  seedObject,
  send,
  startTestEmulator,
} from '../helpers/emulator.js';
import {
  SAMPLE,
  cancelJob,
  describeJob,
  describeJobs,
  submit,
  transcodeBody,
  waitForJob,
} from './ci-support.js';

const OTHER = `otherbucket-${APP_ID}`;

describe('CI emulator: job life cycle', () => {
  let emulator: Emulator;

  before(async () => {
    emulator = await startTestEmulator({ buckets: [BUCKET, OTHER] });
    await seedObject(emulator, 'input/sample.mp4', SAMPLE);
    await seedObject(emulator, 'input/sample.mp4', SAMPLE, { bucket: OTHER });
  });

  after(() => emulator.close());

  it('should move Submitted -> Running (with Progress) -> Success, never backwards', async () => {
    const { JobId, State } = await submit(emulator, transcodeBody('input/sample.mp4'));
    expect(State).to.equal('Submitted');
    const seen: { state: JobState; progress: number | undefined; start: string | null | undefined }[] = [];
    const deadline = Date.now() + 3000;
    for (;;) {
      const job = await describeJob(emulator, JobId);
      const last = seen.at(-1);
      if (!last || last.state !== job.State || last.progress !== job.Progress) {
        seen.push({ state: job.State, progress: job.Progress, start: job.StartTime });
      }
      if (job.State === 'Success' || Date.now() > deadline) break;
      await sleep(5);
    }
    const states = seen.map((entry) => entry.state);
    expect(states[0]).to.equal('Submitted');
    expect(states).to.include('Running');
    expect(states.at(-1)).to.equal('Success');
    for (let i = 1; i < seen.length; i += 1) {
      const [before, after] = [seen[i - 1]!, seen[i]!];
      const forward = before.state === after.state || canReachJobState(before.state, after.state);
      expect(forward, states.join(' > ')).to.equal(true);
      expect(after.progress ?? 0).to.be.at.least(before.progress ?? 0);
    }
    expect(seen.find((entry) => entry.state === 'Submitted')!.start).to.equal(null);
    expect(seen.find((entry) => entry.state === 'Running')!.start).to.match(/\+0800$/);
    expect(seen.at(-1)!.progress).to.equal(100);
  });

  it('should resolve ${jobid} and ${ext} in the output key', async () => {
    const body = transcodeBody('input/sample.mp4', { output: 'out/${jobid}/video.${ext}' });
    const { JobId } = await submit(emulator, body);
    const job = await waitForJob(emulator, JobId);
    expect(job.Operation?.MediaResult?.OutputFile[0]?.ObjectName).to.deep.equal([`out/${JobId}/video.mp4`]);
    expect(job.Operation?.Output?.Object).to.equal('out/${jobid}/video.${ext}');
  });

  it('should report unknown and malformed ids in NonExistJobIds, one element each', async () => {
    const { JobId } = await submit(emulator, transcodeBody('input/sample.mp4'));
    const unknown = `j${'0'.repeat(32)}`;
    const response = await describeJobs(emulator, [JobId, unknown, 'not-a-job']);
    expect(response.JobsDetail.map((job) => job.JobId)).to.deep.equal([JobId]);
    expect(response.NonExistJobIds).to.deep.equal([unknown, 'not-a-job']);
  });

  it('should refuse more than 10 ids with 400 InvalidArgument', async () => {
    const ids = Array.from({ length: 11 }, (_, i) => `j${String(i).padStart(32, '0')}`);
    const response = await send(emulator, {
      service: 'ci',
      method: 'GET',
      path: `/jobs/${ids.join(',')}`,
      keys: permanentKeys(emulator),
    });
    expect(response.status).to.equal(400);
    expect(errorCode(response)).to.equal('InvalidArgument');
  });

  it("should not show a bucket's jobs on another bucket's CI host", async () => {
    const { JobId } = await submit(emulator, transcodeBody('input/sample.mp4'));
    const response = await describeJobs(emulator, [JobId], { bucket: OTHER, region: REGION });
    expect(response.JobsDetail).to.deep.equal([]);
    expect(response.NonExistJobIds).to.deep.equal([JobId]);
  });
});

describe('CI emulator: JobLevel priority', () => {
  let emulator: Emulator;

  before(async () => {
    emulator = await startTestEmulator({ jobs: { workers: 1, queueDelayMs: 20, runMs: 120, progressSteps: 2 } });
    await seedObject(emulator, 'input/sample.mp4', SAMPLE);
  });

  after(() => emulator.close());

  it('should run a level 2 job before level 0 jobs queued earlier', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await submit(emulator, transcodeBody('input/sample.mp4'))).JobId);
    const urgent = (await submit(emulator, transcodeBody('input/sample.mp4', { operation: { JobLevel: 2 } }))).JobId;
    const order: string[] = [];
    const all = [...ids, urgent];
    const deadline = Date.now() + 4000;
    while (order.length < all.length && Date.now() < deadline) {
      const { JobsDetail } = await describeJobs(emulator, all);
      for (const job of JobsDetail) if (job.State !== 'Submitted' && !order.includes(job.JobId)) order.push(job.JobId);
      await sleep(5);
    }
    expect(order).to.deep.equal([ids[0], urgent, ids[1], ids[2]]);
    const jobs = await Promise.all(order.map((id) => waitForJob(emulator, id)));
    const starts = jobs.map((job) => job.StartTime ?? '');
    expect([...starts].sort()).to.deep.equal(starts);
  });
});

describe('CI emulator: cancel', () => {
  let emulator: Emulator;

  before(async () => {
    emulator = await startTestEmulator({ jobs: { workers: 1, queueDelayMs: 400, runMs: 400, progressSteps: 2 } });
    await seedObject(emulator, 'input/sample.mp4', SAMPLE);
  });

  after(() => emulator.close());

  it('should cancel a Submitted job with an empty 200', async () => {
    const { JobId } = await submit(emulator, transcodeBody('input/sample.mp4'));
    const response = await cancelJob(emulator, JobId);
    expect(response.status).to.equal(200);
    expect(response.headers['content-length']).to.equal('0');
    expect(response.body.length).to.equal(0);
    expect(response.headers['x-ci-request-id']).to.be.a('string');
    const job = await describeJob(emulator, JobId);
    expect(job.State).to.equal('Cancel');
    expect(job.StartTime).to.equal(null);
  });

  it('should refuse to cancel a Running job', async () => {
    const { JobId } = await submit(emulator, transcodeBody('input/sample.mp4'));
    await waitForJob(emulator, JobId, { states: ['Running'] });
    const response = await cancelJob(emulator, JobId);
    expect(response.status).to.equal(400);
    expect(errorCode(response)).to.equal('InvalidArgument');
    expect(response.text).to.include('The job provided can not be modified');
    expect((await waitForJob(emulator, JobId)).State).to.equal('Success');
  });

  it('should refuse to cancel an unknown job with 400 InvalidArgument', async () => {
    const response = await cancelJob(emulator, `j${'f'.repeat(32)}`);
    expect(response.status).to.equal(400);
    expect(errorCode(response)).to.equal('InvalidArgument');
  });
});
