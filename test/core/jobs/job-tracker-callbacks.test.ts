import { expect } from 'chai';
import { FakeEventSource } from '../../helpers/fake-tracker-environment.js';
import { JOB_ID, OTHER_JOB_ID, answerPoll, callbackBody, pollReply } from '../../helpers/job-simulation.js';
import { expectNoRequest, outcomeOf, trackerSetup } from '../../helpers/tracker-setup.js';

/** A host relay whose `subscribe` hands the test the `deliver` function. */
function hostRelay() {
  const host = {
    jobIds: [] as string[],
    deliver: undefined as ((body: unknown) => void) | undefined,
    unsubscribed: 0,
    relay: {
      subscribe: (jobId: string, deliver: (body: unknown) => void) => {
        host.jobIds.push(jobId);
        host.deliver = deliver;
        return () => {
          host.unsubscribed += 1;
        };
      },
    },
  };
  return host;
}

describe('JobTracker callbacks', () => {
  describe('through relay.subscribe', () => {
    it('should subscribe for the job and end with the callback, then unsubscribe', async () => {
      const host = hostRelay();
      const { tracker, transport, timers, events } = trackerSetup({ relay: host.relay });
      const done = tracker.start();
      expect(host.jobIds).to.deep.equal([JOB_ID]);
      host.deliver?.(callbackBody('Success'));
      const final = await done;
      await expectNoRequest(transport, timers);
      expect([final.source, events(), host.unsubscribed, timers.pending.length]).to.deep.equal([
        'callback',
        ['Submitted 0% submit', 'Success 100% callback'],
        1,
        0,
      ]);
    });

    it('should unsubscribe when subscribe itself delivers the end before it returns', async () => {
      let unsubscribed = 0;
      const relay = {
        subscribe: (_jobId: string, deliver: (body: unknown) => void) => {
          deliver(callbackBody('Success'));
          return () => (unsubscribed += 1);
        },
      };
      const { tracker, transport, timers, events } = trackerSetup({ relay });
      const final = await tracker.start();
      await expectNoRequest(transport, timers);
      expect([final.source, events(), unsubscribed, timers.pending.length]).to.deep.equal([
        'callback',
        ['Submitted 0% submit', 'Success 100% callback'],
        1,
        0,
      ]);
    });

    it('should poll only at the safety net while subscribed', async () => {
      const host = hostRelay();
      const { tracker, transport, timers } = trackerSetup({ relay: host.relay });
      const done = outcomeOf(tracker.start());
      await timers.advance(39_999);
      await expectNoRequest(transport, timers);
      await timers.advance(1);
      await answerPoll(transport, pollReply('Running', { progress: 50 }));
      await timers.settle();
      expect(timers.pending.map((timer) => [timer.armedAt, timer.ms])).to.deep.equal([[40_000, 40_000]]);
      tracker.stop();
      await timers.settle();
      expect([done.settled, host.unsubscribed]).to.deep.equal([true, 1]);
    });

    it('should drop a delivery made after the tracker stopped', async () => {
      const host = hostRelay();
      const { tracker, timers } = trackerSetup({ relay: host.relay });
      const done = outcomeOf(tracker.start());
      tracker.stop();
      host.deliver?.(callbackBody('Success'));
      await timers.settle();
      expect([tracker.snapshot.status, tracker.stats.callbacks, done.settled]).to.deep.equal(['Submitted', 0, true]);
    });

    it('should poll on the fast schedule when the host subscribe throws, and rethrow its error', async () => {
      const bug = new Error('relay down');
      const relay = {
        subscribe: () => {
          throw bug;
        },
      };
      const { tracker, timers } = trackerSetup({ relay });
      const done = outcomeOf(tracker.start());
      await timers.settle();
      expect(timers.pending.map((timer) => timer.ms)).to.deep.equal([0, 1000]);
      await timers.advance(0);
      expect(timers.errors).to.deep.equal([bug]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });
    it('should poll at the normal pace while the subscription reports down, and at the safety net once open', async () => {
      let status: ((state: 'open' | 'down') => void) | undefined;
      const relay = {
        subscribe: (_jobId: string, _deliver: unknown, report: (state: 'open' | 'down') => void) => {
          status = report;
          return undefined;
        },
      };
      const { tracker, transport, timers } = trackerSetup({ relay });
      const done = outcomeOf(tracker.start());
      await timers.advance(5000);
      await expectNoRequest(transport, timers);
      status?.('down');
      const down = timers.pending.map((timer) => [timer.armedAt, timer.ms]);
      await timers.advance(1000);
      await answerPoll(transport, pollReply('Running', { progress: 10 }));
      await timers.settle();
      const next = timers.pending.map((timer) => [timer.armedAt, timer.ms]);
      status?.('open');
      await answerPoll(transport, pollReply('Running', { progress: 20 }));
      await timers.settle();
      const open = timers.pending.map((timer) => [timer.armedAt, timer.ms]);
      expect([down, next, open, transport.requests.length]).to.deep.equal([
        [[5000, 1000]],
        [[6000, 2000]],
        [[6000, 40_000]],
        2,
      ]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });
  });

  describe('through relay.eventSource', () => {
    const relay = { eventSource: 'https://host.test/ci-events/{jobId}?v=1', withCredentials: true };

    it('should open one stream for the job, with credentials when asked', async () => {
      const { tracker, timers } = trackerSetup({ relay });
      const done = outcomeOf(tracker.start());
      expect(FakeEventSource.instances.map((source) => [source.url, source.withCredentials])).to.deep.equal([
        [`https://host.test/ci-events/${JOB_ID}?v=1`, true],
      ]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    const bodies: [string, 'XML' | 'JSON' | 'json1'][] = [
      ['an XML body', 'XML'],
      ['a JSON body with a JobsDetail array', 'JSON'],
      ['a JSON body with a single JobsDetail', 'json1'],
    ];
    for (const [name, format] of bodies) {
      it(`should take ${name} from a message`, async () => {
        const { tracker, timers, events } = trackerSetup({ relay });
        const done = tracker.start();
        FakeEventSource.last.open();
        FakeEventSource.last.message(callbackBody('Success', format));
        await done;
        expect([events(), FakeEventSource.last.closed, timers.pending.length]).to.deep.equal([
          ['Submitted 0% submit', 'Success 100% callback'],
          true,
          0,
        ]);
      });
    }

    it('should take Running progress from a message', async () => {
      const { tracker, events } = trackerSetup({ relay });
      const done = outcomeOf(tracker.start());
      FakeEventSource.last.message(callbackBody('Running', 'JSON', { progress: 30 }));
      expect(events()).to.deep.equal(['Submitted 0% submit', 'Running 30% callback']);
      tracker.stop();
      await Promise.resolve();
      expect(done.settled).to.equal(true);
    });

    it('should drop to the safety net while open, poll fast after an error and once at the reconnection', async () => {
      const { tracker, transport, timers } = trackerSetup({ relay });
      const done = outcomeOf(tracker.start());
      FakeEventSource.last.open();
      await timers.advance(10_000);
      await expectNoRequest(transport, timers);
      expect(timers.pending.map((timer) => [timer.armedAt, timer.ms])).to.deep.equal([[0, 40_000]]);
      FakeEventSource.last.fail();
      expect(timers.pending.map((timer) => [timer.armedAt, timer.ms])).to.deep.equal([[10_000, 1000]]);
      await timers.advance(1000);
      await answerPoll(transport, pollReply('Running', { progress: 10 }));
      FakeEventSource.last.open();
      await answerPoll(transport, pollReply('Running', { progress: 11 }));
      await timers.settle();
      expect([transport.requests.length, timers.pending.map((timer) => [timer.armedAt, timer.ms])]).to.deep.equal([
        2,
        [[11_000, 40_000]],
      ]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should poll at once when the stream opens again after an error, not at the first open', async () => {
      const { tracker, transport, timers } = trackerSetup({ relay });
      const done = outcomeOf(tracker.start());
      FakeEventSource.last.open();
      await timers.advance(5000);
      await expectNoRequest(transport, timers);
      FakeEventSource.last.fail();
      FakeEventSource.last.open();
      await answerPoll(transport, pollReply('Running', { progress: 70 }));
      await timers.settle();
      const armed = timers.pending.map((timer) => [timer.armedAt, timer.ms]);
      expect([timers.now, tracker.snapshot.progress.percent, armed]).to.deep.equal([5000, 0.7, [[5000, 40_000]]]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should let go of a stream the browser closed for good, and poll fast', async () => {
      const { tracker, timers } = trackerSetup({ relay });
      const done = outcomeOf(tracker.start());
      const source = FakeEventSource.last;
      source.open();
      source.fail(true);
      expect([source.closed, source.onmessage, timers.pending.map((timer) => timer.ms)]).to.deep.equal([
        true,
        null,
        [1000],
      ]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should close the stream on stop', async () => {
      const { tracker, timers } = trackerSetup({ relay });
      const done = outcomeOf(tracker.start());
      FakeEventSource.last.open();
      tracker.stop();
      await timers.settle();
      expect([FakeEventSource.last.closed, done.settled]).to.deep.equal([true, true]);
    });
  });

  describe('through deliver()', () => {
    it('should take a parsed JSON object', async () => {
      const { tracker } = trackerSetup();
      const done = tracker.start();
      expect(tracker.deliver(callbackBody('Success', 'object'))).to.equal(true);
      expect((await done).source).to.equal('callback');
    });

    it('should take bytes', async () => {
      const { tracker } = trackerSetup();
      const done = tracker.start();
      const bytes = new TextEncoder().encode(callbackBody('Success', 'XML') as string);
      expect(tracker.deliver(bytes)).to.equal(true);
      expect((await done).status).to.equal('Success');
    });

    it('should ignore and count a callback about another job', async () => {
      const { tracker, events } = trackerSetup();
      const done = outcomeOf(tracker.start());
      expect(tracker.deliver(callbackBody('Success', 'XML', { jobId: OTHER_JOB_ID }))).to.equal(false);
      expect([events(), tracker.stats]).to.deep.equal([
        ['Submitted 0% submit'],
        { polls: 0, callbacks: 0, ignored: 1 },
      ]);
      tracker.stop();
      await Promise.resolve();
      expect(done.settled).to.equal(true);
    });

    const invalid: [string, unknown][] = [
      ['garbage text', 'not a callback'],
      ['XML without JobsDetail', '<Response><EventName>TaskFinish</EventName></Response>'],
      ['malformed JSON', '{"EventName":'],
      ['null', null],
      ['a number', 42],
    ];
    for (const [name, body] of invalid) {
      it(`should ignore and count ${name} without throwing`, () => {
        const { tracker } = trackerSetup();
        const done = outcomeOf(tracker.start());
        expect(tracker.deliver(body)).to.equal(false);
        expect([tracker.snapshot.status, tracker.stats.ignored]).to.deep.equal(['Submitted', 1]);
        tracker.stop();
        return Promise.resolve().then(() => expect(done.settled).to.equal(true));
      });
    }

    it('should keep a callback delivered before start and emit it first', async () => {
      const { tracker, transport, timers, events } = trackerSetup({ job: JOB_ID });
      expect(tracker.deliver(callbackBody('Running', 'XML', { progress: 25 }))).to.equal(true);
      const done = outcomeOf(tracker.start());
      await expectNoRequest(transport, timers);
      expect([events(), timers.pending.map((timer) => timer.ms)]).to.deep.equal([['Running 25% callback'], [1000]]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should count a repeated callback as accepted but emit it once', async () => {
      const { tracker, events } = trackerSetup();
      const done = outcomeOf(tracker.start());
      tracker.deliver(callbackBody('Running', 'XML', { progress: 20 }));
      tracker.deliver(callbackBody('Running', 'JSON', { progress: 20 }));
      expect([events(), tracker.stats.callbacks]).to.deep.equal([['Submitted 0% submit', 'Running 20% callback'], 2]);
      tracker.stop();
      await Promise.resolve();
      expect(done.settled).to.equal(true);
    });
  });

  describe('merged with polls', () => {
    it('should not move back when a stale poll answers after a callback', async () => {
      const { tracker, transport, timers, events } = trackerSetup();
      const done = outcomeOf(tracker.start());
      await timers.fireNext();
      const stale = await transport.nextRequest();
      tracker.deliver(callbackBody('Running', 'XML', { progress: 60 }));
      stale.respondWith(pollReply('Running', { progress: 40 }));
      await timers.fireNext();
      await answerPoll(transport, pollReply('Submitted'));
      await timers.settle();
      expect(events()).to.deep.equal(['Submitted 0% submit', 'Running 60% callback']);
      expect(tracker.snapshot.progress.percent).to.equal(0.6);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should ignore a poll answered after the Success callback ended tracking', async () => {
      const { tracker, transport, timers, events } = trackerSetup();
      const done = tracker.start();
      await timers.fireNext();
      const late = await transport.nextRequest();
      tracker.deliver(callbackBody('Success'));
      await done;
      expect(late.signal?.aborted).to.equal(true);
      expect(events()).to.deep.equal(['Submitted 0% submit', 'Success 100% callback']);
    });

    it('should end with the poll when the poll sees the end first, and ignore the callback', async () => {
      const { tracker, transport, timers, events } = trackerSetup();
      const done = tracker.start();
      await timers.fireNext();
      await answerPoll(transport, pollReply('Success'));
      await done;
      expect(tracker.deliver(callbackBody('Success'))).to.equal(true);
      expect(events()).to.deep.equal(['Submitted 0% submit', 'Success 100% poll']);
    });
  });
});
