// The job queue is bounded: jobs.maxQueued waiting jobs (all queues), then 503 SlowDown and no job; the queue itself
// stays fast and stack-safe with many thousands waiting.
import { expect } from 'chai';
import { JobQueue } from '../../src/emulator/ci/job-queue.js';
import type { Job } from '../../src/emulator/ci/job-store.js';
import type { Emulator } from '../../src/emulator/index.js';
import { errorCode, seedObject, send, startTestEmulator } from '../helpers/emulator.js';
import { NOT_MP4, cancelJob, postJob, submit, transcodeBody } from './ci-support.js';

const INPUT = 'input/queued.mp4';
const OTHER = { bucket: 'otherbucket-1250000000' };

async function waitingJobs(emulator: Emulator): Promise<number> {
  const response = await send(emulator, { service: 'base', method: 'GET', path: '/_emulator/' });
  const state = JSON.parse(response.text) as { modules: { module?: string; jobs?: Record<string, number> }[] };
  return state.modules.find((module) => module.module === 'ci')?.jobs?.['Submitted'] ?? 0;
}

describe('emulator: a cap on queued jobs (jobs.maxQueued)', () => {
  let emulator: Emulator;

  before(async () => {
    emulator = await startTestEmulator({
      buckets: ['examplebucket-1250000000', OTHER.bucket],
      // Jobs never start: they stay queued.
      jobs: { queueDelayMs: 3_600_000, maxQueued: 3, runMs: 2000 },
    });
    await seedObject(emulator, INPUT, NOT_MP4);
    await seedObject(emulator, INPUT, NOT_MP4, OTHER);
  });

  after(async () => {
    await emulator.close();
  });

  it('should refuse a submission beyond the cap with 503 SlowDown and Retry-After, creating no job', async () => {
    const first = await submit(emulator, transcodeBody(INPUT));
    await submit(emulator, transcodeBody(INPUT));
    // The cap counts every queue: the third waiting job is in another bucket's queue.
    await submit(emulator, transcodeBody(INPUT, { output: 'out/${jobid}.${ext}' }), OTHER);
    expect(await waitingJobs(emulator)).to.equal(3);

    for (const target of [{}, OTHER]) {
      const refused = await postJob(emulator, transcodeBody(INPUT), target);
      expect(refused.status, refused.text).to.equal(503);
      expect(errorCode(refused)).to.equal('SlowDown');
      expect(refused.headers['retry-after']).to.equal('2');
      expect(refused.text).to.contain('queue is full');
    }
    expect(await waitingJobs(emulator)).to.equal(3);

    // A cancelled job leaves the queue: one more fits.
    expect((await cancelJob(emulator, first.JobId)).status).to.equal(200);
    await submit(emulator, transcodeBody(INPUT));
    expect(await waitingJobs(emulator)).to.equal(3);
    expect((await postJob(emulator, transcodeBody(INPUT))).status).to.equal(503);
  });

  it('should still answer a bad request with its own error when the queue is full', async () => {
    const response = await postJob(emulator, transcodeBody('input/missing.mp4'));
    expect(response.status).to.equal(400);
    expect(errorCode(response)).to.equal('ResourceNotFound');
  });
});

describe('emulator: the job queue with many waiting jobs', () => {
  it('should queue 200,000 jobs quickly and without a stack overflow', function () {
    this.timeout(20_000);
    const queue = new JobQueue({ workers: 1, delayMs: 3_600_000 }, () => Promise.resolve());
    const started = Date.now();
    try {
      for (let seq = 1; seq <= 200_000; seq += 1) {
        queue.enqueue({ seq, level: 0 } as Job);
        // Bounded: a queue that rescans every waiting job per submission is stopped here, not left to run on.
        if (seq % 1000 === 0) expect(Date.now() - started, `${seq} jobs queued`).to.be.below(5000);
      }
      expect(queue.state().waiting).to.equal(200_000);
    } finally {
      void queue.close();
    }
  });
});
