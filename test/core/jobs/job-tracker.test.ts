import { expect } from 'chai';
import { JobTracker } from '../../../src/core/jobs/job-tracker.js';
import type { JobTrackerOptions } from '../../../src/core/jobs/job-tracker.js';
import { rejection, thrown } from '../../helpers/expect-error.js';
import { FakeEnvironment } from '../../helpers/fake-tracker-environment.js';
import { JOB_ID, OUTPUT_KEY, answerPoll, jobDetail, jobsBody, pollReply } from '../../helpers/job-simulation.js';
import { ManualTimers } from '../../helpers/manual-timers.js';
import { setup } from '../../helpers/service-client-setup.js';
import { watchAbortListeners } from '../transport/leak-tracker.js';
import { expectNoRequest, outcomeOf, trackerSetup } from '../../helpers/tracker-setup.js';

/** The smallest environment a tracker takes (no `isOnline`, no `EventSource`). */
const pageOf = () => ({ isHidden: () => false, onVisibilityChange: () => () => {}, onOnline: () => () => {} });

describe('JobTracker', () => {
  describe('options', () => {
    const { client } = setup();
    const invalid: [string, Partial<JobTrackerOptions>, string][] = [
      ['a job id with a slash', { job: 'j1/../x' }, 'job must be a job id'],
      ['a JobsDetail without a state', { job: { ...jobDetail('Running'), State: 'Done' as never } }, 'job.State'],
      ['a SubmittedJob without release', { job: { job: jobDetail('Submitted') } as never }, 'job.release'],
      ['invalid poll options', { poll: { jitter: -1 } }, 'poll.jitter'],
      ['an event stream where there is no EventSource', { relay: { eventSource: '/events' } }, 'relay.eventSource'],
      ['a relay.subscribe that is not a function', { relay: { subscribe: 'x' as never } }, 'relay.subscribe'],
      ['timers without clearTimeout', { timers: { setTimeout: () => 0 } as never }, 'timers'],
      [
        'an environment whose isOnline is not a function',
        { environment: { ...pageOf(), isOnline: true } as never },
        'environment.isOnline',
      ],
      ['no client', { client: undefined as never }, 'client must be a ServiceClient'],
    ];
    for (const [name, options, named] of invalid) {
      it(`should refuse ${name} with invalid-options naming ${named}`, () => {
        const error = thrown(() => new JobTracker({ client, job: JOB_ID, environment: pageOf(), ...options }));
        expect([error.code, error.phase]).to.deep.equal(['invalid-options', 'options']);
        expect(error.message).to.contain(named);
      });
    }

    it('should send nothing before start', async () => {
      const { transport, timers } = trackerSetup({ job: JOB_ID });
      await timers.advance(60_000);
      expect([transport.requests.length, timers.armed.length]).to.deep.equal([0, 0]);
    });

    it('should know the first snapshot of a submitted job before start, without emitting it', () => {
      const { tracker, snapshots } = trackerSetup();
      expect([tracker.jobId, tracker.snapshot.status, tracker.snapshot.source]).to.deep.equal([
        JOB_ID,
        'Submitted',
        'submit',
      ]);
      expect(snapshots).to.deep.equal([]);
    });
  });

  it('should emit submit, poll and progress changes up to Success, each once', async () => {
    const { tracker, transport, timers, events } = trackerSetup();
    const done = tracker.start();
    const replies = [
      pollReply('Submitted'),
      pollReply('Running', { progress: 0 }),
      pollReply('Running', { progress: 0 }),
      pollReply('Running', { progress: 45 }),
      pollReply('Success', { progress: 100 }),
    ];
    const times: number[] = [];
    for (const reply of replies) {
      await timers.fireNext();
      times.push(timers.now);
      await answerPoll(transport, reply);
    }
    const final = await done;
    expect(times).to.deep.equal([1000, 3000, 6000, 11_000, 19_000]);
    expect(events()).to.deep.equal([
      'Submitted 0% submit',
      'Running 0% poll',
      'Running 45% poll',
      'Success 100% poll',
    ]);
    expect([final.status, final.results.outputs.map((output) => output.key)]).to.deep.equal(['Success', [OUTPUT_KEY]]);
  });

  it('should return the same promise from every start()', async () => {
    const { tracker } = trackerSetup();
    const first = tracker.start();
    const second = tracker.start();
    tracker.stop();
    expect((await rejection(first)).code).to.equal('aborted');
    expect(second).to.equal(first);
  });

  it('should poll at once when it is given only a job id', async () => {
    const { tracker, transport, timers, events } = trackerSetup({ job: JOB_ID });
    const done = outcomeOf(tracker.start());
    await answerPoll(transport, pollReply('Running', { progress: 10 }));
    await timers.settle();
    expect([timers.now, events(), timers.pending.map((timer) => timer.ms)]).to.deep.equal([
      0,
      ['Running 10% poll'],
      [1000],
    ]);
    tracker.stop();
    await timers.settle();
    expect(done.settled).to.equal(true);
  });

  it('should send at most one poll at a time', async () => {
    const { tracker, transport, timers } = trackerSetup();
    const done = outcomeOf(tracker.start());
    await timers.fireNext();
    const first = await transport.nextRequest();
    tracker.pollNow();
    tracker.pollNow();
    await expectNoRequest(transport, timers);
    first.respondWith(pollReply('Running', { progress: 5 }));
    await answerPoll(transport, pollReply('Running', { progress: 6 }));
    await expectNoRequest(transport, timers);
    expect([transport.requests.length, timers.now]).to.deep.equal([2, 1000]);
    tracker.stop();
    await timers.settle();
    expect(done.settled).to.equal(true);
  });

  describe('at the end of the job', () => {
    it('should reject with the job-failed error of a Failed job', async () => {
      const { tracker, transport, timers, events } = trackerSetup();
      const done = tracker.start();
      await timers.fireNext();
      await answerPoll(transport, pollReply('Failed', { code: 'InvalidInput', message: 'Not a media file' }));
      const error = await rejection(done);
      expect([error.code, error.phase, error.serviceCode, error.message]).to.deep.equal([
        'job-failed',
        'track',
        'InvalidInput',
        `Job ${JOB_ID} failed: InvalidInput: "Not a media file"`,
      ]);
      expect(events()).to.deep.equal(['Submitted 0% submit', 'Failed 0% poll job-failed']);
    });

    it('should reject with aborted when the job was cancelled', async () => {
      const { tracker, transport, timers } = trackerSetup();
      const done = tracker.start();
      await timers.fireNext();
      await answerPoll(transport, pollReply('Cancel'));
      const error = await rejection(done);
      expect([error.code, error.phase, error.message]).to.deep.equal([
        'aborted',
        'track',
        `Job ${JOB_ID} was cancelled`,
      ]);
    });

    it('should call release() of the SubmittedJob once the job ended', async () => {
      const { tracker, transport, timers, submitted } = trackerSetup();
      const done = tracker.start();
      await timers.fireNext();
      expect(submitted.released).to.equal(0);
      await answerPoll(transport, pollReply('Success'));
      await done;
      expect(submitted.released).to.equal(1);
    });

    it('should release every timer, page listener, abort listener and subscription', async () => {
      let unsubscribed = 0;
      const relay = { subscribe: () => () => (unsubscribed += 1) };
      const { signal } = new AbortController();
      const abortListeners = watchAbortListeners(signal);
      const { tracker, transport, timers, environment } = trackerSetup({ relay, signal });
      const done = tracker.start();
      await timers.fireNext();
      expect([environment.listeners, abortListeners.listeners]).to.deep.equal([2, 1]);
      await answerPoll(transport, pollReply('Success'));
      await done;
      expect([timers.pending.length, environment.listeners, abortListeners.listeners, unsubscribed]).to.deep.equal([
        0, 0, 0, 1,
      ]);
    });

    it('should end at once when the submitted job had already ended', async () => {
      const { tracker, transport, timers, submitted } = trackerSetup({ job: jobDetail('Success') });
      const final = await tracker.start();
      await expectNoRequest(transport, timers);
      expect([final.source, timers.pending.length, submitted.released]).to.deep.equal(['submit', 0, 0]);
    });
  });

  describe('when polls fail', () => {
    it('should fail with a service error when the job does not exist, and release its record', async () => {
      const { tracker, transport, timers, submitted } = trackerSetup();
      const done = tracker.start();
      await timers.fireNext();
      await answerPoll(transport, { status: 200, body: jobsBody([], [JOB_ID]) });
      const error = await rejection(done);
      expect([error.code, error.phase, error.status, error.message]).to.deep.equal([
        'service',
        'track',
        undefined,
        `Job ${JOB_ID} does not exist: the service lists it in NonExistJobIds`,
      ]);
      expect([submitted.released, timers.pending.length]).to.deep.equal([1, 0]);
    });

    it('should fail at once on an error that trying again cannot fix', async () => {
      const { tracker, transport, timers, events, submitted } = trackerSetup();
      const done = tracker.start();
      await timers.fireNext();
      await answerPoll(transport, {
        status: 403,
        body: '<Error><Code>AccessDenied</Code><Message>Access Denied.</Message></Error>',
      });
      const error = await rejection(done);
      expect([error.code, error.status, error.serviceCode]).to.deep.equal(['service', 403, 'AccessDenied']);
      expect(events()).to.deep.equal(['Submitted 0% submit', 'Submitted 0% submit service']);
      expect([submitted.released, timers.pending.length]).to.deep.equal([0, 0]);
    });

    it('should report a transient failure on the snapshot, back off, and clear it with the next answer', async () => {
      const { tracker, transport, timers, events } = trackerSetup();
      const done = outcomeOf(tracker.start());
      await timers.fireNext();
      await answerPoll(transport, { status: 503, body: '<Error><Code>ServiceUnavailable</Code></Error>' });
      await timers.fireNext();
      const retriedAt = timers.now;
      await answerPoll(transport, pollReply('Submitted'));
      await timers.settle();
      expect(retriedAt).to.equal(1000 + 2000 * 2);
      expect(events()).to.deep.equal([
        'Submitted 0% submit',
        'Submitted 0% submit service',
        'Submitted 0% poll',
      ]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should give up after maxFailures failures in a row', async () => {
      const { tracker, transport, timers } = trackerSetup({ poll: { maxFailures: 3 } });
      const done = tracker.start();
      for (let failure = 0; failure < 3; failure += 1) {
        await timers.fireNext();
        (await transport.nextRequest()).fail('network');
      }
      const error = await rejection(done);
      expect([error.code, transport.requests.length, timers.pending.length]).to.deep.equal(['network', 3, 0]);
    });
  });

  describe('stop', () => {
    it('should reject with aborted, abort the poll in flight and leave nothing behind', async () => {
      const { tracker, transport, timers, environment, submitted } = trackerSetup();
      const done = tracker.start();
      await timers.fireNext();
      const request = await transport.nextRequest();
      tracker.stop();
      const error = await rejection(done);
      expect([error.code, error.phase, request.signal?.aborted]).to.deep.equal(['aborted', 'track', true]);
      expect([timers.pending.length, environment.listeners, submitted.released]).to.deep.equal([0, 0, 0]);
    });

    it('should stop when the signal aborts', async () => {
      const controller = new AbortController();
      const { tracker, timers } = trackerSetup({ signal: controller.signal });
      const done = tracker.start();
      controller.abort(new Error('page closed'));
      const error = await rejection(done);
      expect([error.code, timers.pending.length]).to.deep.equal(['aborted', 0]);
    });

    it('should make a later start() reject with aborted', async () => {
      const { tracker, transport, timers } = trackerSetup();
      tracker.stop();
      expect((await rejection(tracker.start())).code).to.equal('aborted');
      await expectNoRequest(transport, timers);
    });

    it('should leave the job running (no cancel request)', async () => {
      const { tracker, transport, timers } = trackerSetup({ job: JOB_ID });
      const done = outcomeOf(tracker.start());
      await answerPoll(transport, pollReply('Running', { progress: 1 }));
      tracker.stop();
      await expectNoRequest(transport, timers);
      expect([transport.requests.length, done.settled]).to.deep.equal([1, true]);
    });
  });

  describe('cancel', () => {
    it('should cancel the job, then poll at once and end with aborted', async () => {
      const { tracker, transport, timers, events } = trackerSetup();
      const done = tracker.start();
      const cancelled = tracker.cancel();
      const request = await transport.nextRequest();
      expect([request.method, request.path, request.query]).to.deep.equal(['PUT', `/jobs/${JOB_ID}`, { cancel: '' }]);
      request.respondWith({ status: 200 });
      await cancelled;
      await answerPoll(transport, pollReply('Cancel'));
      expect((await rejection(done)).code).to.equal('aborted');
      expect([timers.now, events()]).to.deep.equal([0, ['Submitted 0% submit', 'Cancel 0% poll']]);
    });
  });

  it('should keep tracking when a listener throws, and rethrow its error from a timer', async () => {
    const { tracker, transport, timers } = trackerSetup();
    const bug = new Error('listener bug');
    tracker.subscribe(() => {
      throw bug;
    });
    const done = tracker.start();
    await timers.advance(1000);
    await answerPoll(transport, pollReply('Success'));
    await done;
    await timers.advance(0);
    expect(timers.errors).to.deep.equal([bug, bug]);
  });

  it('should take an environment without isOnline, as always online', async () => {
    const { client, transport } = setup();
    const tracker = new JobTracker({ client, job: JOB_ID, environment: pageOf(), timers: new ManualTimers() });
    const done = tracker.start();
    await answerPoll(transport, pollReply('Success'));
    expect((await done).status).to.equal('Success');
  });

  it('should work with the default environment and timers', async () => {
    const { client, transport } = setup();
    const tracker = new JobTracker({ client, job: JOB_ID, environment: new FakeEnvironment() });
    const done = tracker.start();
    await answerPoll(transport, pollReply('Success'));
    expect((await done).status).to.equal('Success');
  });
});
