import { expect } from 'chai';
import type { JobSnapshot } from '../../../src/core/jobs/job-types.js';
import { rejection } from '../../helpers/expect-error.js';
import { JOB_ID, answerPoll, callbackBody, jobDetail, pollReply } from '../../helpers/job-simulation.js';
import { trackerSetup } from '../../helpers/tracker-setup.js';

/** A tracker whose listener calls `stop()` as soon as it sees a snapshot of a state in `stopAt`. */
function stoppingSetup(stopAt: string[], options: Parameters<typeof trackerSetup>[0] = {}) {
  const setup = trackerSetup(options);
  const seen: string[] = [];
  setup.tracker.subscribe((snapshot) => {
    seen.push(`${snapshot.status} released=${setup.submitted.released}`);
    if (stopAt.includes(snapshot.status) || snapshot.error) setup.tracker.stop();
  });
  return { ...setup, seen };
}

describe('JobTracker end of tracking', () => {
  describe('with a listener that calls stop() when it sees the final snapshot', () => {
    it('should still resolve with Success and release the record', async () => {
      const { tracker, submitted, seen } = stoppingSetup(['Success']);
      const done = tracker.start();
      tracker.deliver(callbackBody('Success'));
      const final = await done;
      expect([final.status, submitted.released, seen]).to.deep.equal([
        'Success',
        1,
        ['Submitted released=0', 'Success released=1'],
      ]);
    });

    it('should still reject with job-failed at Failed and release the record', async () => {
      const { tracker, transport, timers, submitted } = stoppingSetup(['Failed']);
      const done = tracker.start();
      await timers.fireNext();
      await answerPoll(transport, pollReply('Failed', { code: 'InvalidInput' }));
      const error = await rejection(done);
      expect([error.code, error.serviceCode, submitted.released]).to.deep.equal(['job-failed', 'InvalidInput', 1]);
    });

    it('should still reject with the cancellation at Cancel and release the record', async () => {
      const { tracker, submitted } = stoppingSetup(['Cancel']);
      const done = tracker.start();
      tracker.deliver(callbackBody('Cancel'));
      const error = await rejection(done);
      expect([error.code, error.message.endsWith('was cancelled'), submitted.released]).to.deep.equal([
        'aborted',
        true,
        1,
      ]);
    });

    it('should still reject with the poll error when tracking fails for good', async () => {
      const { tracker, transport, timers, seen } = stoppingSetup([]);
      const done = tracker.start();
      await timers.fireNext();
      await answerPoll(transport, { status: 403, body: '<Error><Code>AccessDenied</Code></Error>' });
      const error = await rejection(done);
      expect([error.code, error.status, seen]).to.deep.equal([
        'service',
        403,
        ['Submitted released=0', 'Submitted released=0'],
      ]);
    });

    it('should still resolve when the job given had already succeeded', async () => {
      const { tracker, submitted } = stoppingSetup(['Success'], { job: jobDetail('Success') });
      const final = await tracker.start();
      expect([final.status, final.source, submitted.released]).to.deep.equal(['Success', 'submit', 0]);
    });
  });

  it('should have fixed the outcome when listeners see the final snapshot, and emit it once', async () => {
    const { tracker, transport, timers } = trackerSetup();
    const finals: JobSnapshot[] = [];
    tracker.subscribe((snapshot) => {
      if (snapshot.status !== 'Success') return;
      finals.push(snapshot);
      tracker.stop();
      tracker.pollNow();
      tracker.deliver(callbackBody('Success'));
    });
    const done = tracker.start();
    await timers.fireNext();
    await answerPoll(transport, pollReply('Success'));
    const final = await done;
    await timers.settle();
    expect([finals.length, finals[0], transport.requests.length, timers.pending.length]).to.deep.equal([
      1,
      final,
      1,
      0,
    ]);
  });

  it('should give every listener the last snapshot on stop(), and nothing after it', async () => {
    const { tracker, timers, transport, events } = trackerSetup();
    const done = tracker.start();
    tracker.deliver(callbackBody('Running', 'XML', { progress: 20 }));
    tracker.stop();
    await rejection(done);
    tracker.deliver(callbackBody('Success'));
    await timers.settle();
    expect([events(), transport.requests.length]).to.deep.equal([
      ['Submitted 0% submit', 'Running 20% callback', 'Running 20% callback'],
      0,
    ]);
  });

  it('should give listeners nothing after the final snapshot of an ended job', async () => {
    const { tracker, events } = trackerSetup();
    const done = tracker.start();
    tracker.deliver(callbackBody('Success'));
    await done;
    tracker.deliver(callbackBody('Failed'));
    expect(events()).to.deep.equal(['Submitted 0% submit', 'Success 100% callback']);
  });

  describe('from a bare job id', () => {
    it('should have a Submitted snapshot at 0 before anything is known', () => {
      const { tracker } = trackerSetup({ job: JOB_ID });
      expect(tracker.snapshot).to.deep.equal({
        jobId: JOB_ID,
        status: 'Submitted',
        progress: { percent: 0 },
        source: 'submit',
        results: { outputs: [] },
      });
    });

    it('should take a first report of any state, Success included', async () => {
      const { tracker, transport } = trackerSetup({ job: JOB_ID });
      const done = tracker.start();
      await answerPoll(transport, pollReply('Success'));
      const final = await done;
      expect([final.status, final.progress.percent, final.source, final.tag]).to.deep.equal([
        'Success',
        1,
        'poll',
        'Transcode',
      ]);
    });
  });

  describe('cancel()', () => {
    it('should end a tracker not started yet, so that start() rejects with aborted', async () => {
      const { tracker, transport, timers } = trackerSetup({ job: JOB_ID });
      const cancelled = tracker.cancel();
      (await transport.nextRequest()).respondWith({ status: 200 });
      await cancelled;
      const error = await rejection(tracker.start());
      await timers.settle();
      expect([error.code, error.phase, transport.requests.length]).to.deep.equal(['aborted', 'track', 1]);
    });
  });
});
