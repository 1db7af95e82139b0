import { expect } from 'chai';
import { JOB_ID, answerPoll, pollReply } from '../../helpers/job-simulation.js';
import { expectNoRequest, outcomeOf, trackerSetup } from '../../helpers/tracker-setup.js';

const armed = (timers: { pending: { armedAt: number; ms: number }[] }) =>
  timers.pending.map((timer) => [timer.armedAt, timer.ms]);

describe('JobTracker in its page', () => {
  describe('while the page is hidden', () => {
    it('should arm no timer and send nothing, then poll at once when shown again', async () => {
      const { tracker, transport, timers, environment } = trackerSetup();
      const done = outcomeOf(tracker.start());
      await timers.advance(500);
      environment.setHidden(true);
      expect(armed(timers)).to.deep.equal([]);
      await timers.advance(120_000);
      await expectNoRequest(transport, timers);
      environment.setHidden(false);
      await answerPoll(transport, pollReply('Running', { progress: 50 }));
      await timers.settle();
      expect([transport.requests.length, armed(timers)]).to.deep.equal([1, [[120_500, 1000]]]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should not start polling when it starts hidden', async () => {
      const { tracker, transport, timers, environment } = trackerSetup();
      environment.hidden = true;
      const done = outcomeOf(tracker.start());
      await timers.advance(60_000);
      await expectNoRequest(transport, timers);
      expect(armed(timers)).to.deep.equal([]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should arm nothing after a poll that was in flight when the page was hidden', async () => {
      const { tracker, transport, timers, environment } = trackerSetup();
      const done = outcomeOf(tracker.start());
      await timers.fireNext();
      const request = await transport.nextRequest();
      environment.setHidden(true);
      request.respondWith(pollReply('Running', { progress: 5 }));
      await timers.settle();
      expect([tracker.snapshot.progress.percent, armed(timers)]).to.deep.equal([0.05, []]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should still take callbacks', async () => {
      const { tracker, timers, environment } = trackerSetup();
      const done = tracker.start();
      environment.setHidden(true);
      tracker.deliver(
        `<Response><EventName>TaskFinish</EventName><JobsDetail><JobId>${JOB_ID}</JobId><Tag>Transcode</Tag>` +
          '<State>Success</State></JobsDetail></Response>',
      );
      expect((await done).status).to.equal('Success');
      expect(armed(timers)).to.deep.equal([]);
    });
  });

  it('should poll at once when the network comes back', async () => {
    const { tracker, transport, timers, environment } = trackerSetup();
    const done = outcomeOf(tracker.start());
    await timers.advance(300);
    environment.goOnline();
    await answerPoll(transport, pollReply('Submitted'));
    await timers.settle();
    expect([timers.now, armed(timers)]).to.deep.equal([300, [[300, 1000]]]);
    tracker.stop();
    await timers.settle();
    expect(done.settled).to.equal(true);
  });

  it('should not poll when the network comes back while the page is hidden', async () => {
    const { tracker, transport, timers, environment } = trackerSetup();
    const done = outcomeOf(tracker.start());
    environment.setHidden(true);
    environment.goOnline();
    await expectNoRequest(transport, timers);
    tracker.stop();
    await timers.settle();
    expect(done.settled).to.equal(true);
  });

  describe('while the network is down', () => {
    it('should not count polls that fail offline, check every 30 s, and poll at once when it is back', async () => {
      const { tracker, transport, timers, environment, events } = trackerSetup({ poll: { maxFailures: 1 } });
      const done = outcomeOf(tracker.start());
      await timers.fireNext();
      const request = await transport.nextRequest();
      environment.setOnline(false);
      request.fail('network');
      await timers.settle();
      const offline = armed(timers);
      for (let check = 0; check < 3; check += 1) {
        await timers.fireNext();
        (await transport.nextRequest()).fail('network');
        await timers.settle();
      }
      expect([done.settled, offline, armed(timers), events().length]).to.deep.equal([
        false,
        [[1000, 30_000]],
        [[91_000, 30_000]],
        5,
      ]);
      environment.setOnline(true);
      await answerPoll(transport, pollReply('Running', { progress: 20 }));
      await timers.settle();
      expect([timers.now, armed(timers), events().at(-1)]).to.deep.equal([
        91_000,
        [[91_000, 2000]],
        'Running 20% poll',
      ]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should turn a timer that fires offline into a check 30 s later', async () => {
      const { tracker, transport, timers, environment } = trackerSetup();
      const done = outcomeOf(tracker.start());
      environment.online = false;
      await timers.advance(1000);
      await expectNoRequest(transport, timers);
      expect(armed(timers)).to.deep.equal([[1000, 30_000]]);
      await timers.advance(30_000);
      await answerPoll(transport, pollReply('Submitted'));
      tracker.stop();
      await timers.settle();
      expect([transport.requests.length, done.settled]).to.deep.equal([1, true]);
    });

    it('should follow the job at the normal pace when onLine stays false on a working network', async () => {
      const { tracker, transport, timers, environment, events } = trackerSetup();
      environment.online = false;
      const done = tracker.start();
      expect(armed(timers)).to.deep.equal([[0, 30_000]]);
      await timers.advance(30_000);
      await answerPoll(transport, pollReply('Running', { progress: 10 }));
      await timers.settle();
      const afterAnswer = armed(timers);
      await timers.advance(1000);
      await answerPoll(transport, pollReply('Success'));
      const final = await done;
      expect([afterAnswer, final.status, events()]).to.deep.equal([
        [[30_000, 1000]],
        'Success',
        ['Submitted 0% submit', 'Running 10% poll', 'Success 100% poll'],
      ]);
    });

    it('should go back to checking every 30 s when a poll fails to reach the service again', async () => {
      const { tracker, transport, timers, environment } = trackerSetup({ poll: { maxFailures: 1 } });
      environment.online = false;
      const done = outcomeOf(tracker.start());
      await timers.advance(30_000);
      await answerPoll(transport, pollReply('Running', { progress: 10 }));
      await timers.advance(1000);
      (await transport.nextRequest()).fail('network');
      await timers.settle();
      expect([done.settled, armed(timers)]).to.deep.equal([false, [[31_000, 30_000]]]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should arm the next check when the page is shown while it says it is offline', async () => {
      const { tracker, transport, timers, environment } = trackerSetup();
      const done = outcomeOf(tracker.start());
      environment.setHidden(true);
      environment.online = false;
      await timers.advance(60_000);
      environment.setHidden(false);
      await expectNoRequest(transport, timers);
      expect(armed(timers)).to.deep.equal([[60_000, 30_000]]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should not count a poll that failed while the page was hidden', async () => {
      const { tracker, transport, timers, environment } = trackerSetup({ poll: { maxFailures: 1 } });
      const done = outcomeOf(tracker.start());
      await timers.fireNext();
      const request = await transport.nextRequest();
      environment.setHidden(true);
      request.fail('network');
      await timers.settle();
      expect([done.settled, armed(timers)]).to.deep.equal([false, []]);
      environment.setHidden(false);
      await answerPoll(transport, pollReply('Running', { progress: 3 }));
      await timers.settle();
      const { error, progress } = tracker.snapshot;
      expect([done.settled, error, progress.percent]).to.deep.equal([false, undefined, 0.03]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });
  });

  describe('with 429 and Retry-After', () => {
    const throttled = { status: 429, headers: { 'retry-after': '7' }, body: '<Error><Code>SlowDown</Code></Error>' };

    it('should send the next poll no sooner than Retry-After', async () => {
      const { tracker, transport, timers, events } = trackerSetup();
      const done = outcomeOf(tracker.start());
      await timers.fireNext();
      await answerPoll(transport, throttled);
      await timers.advance(6999);
      await expectNoRequest(transport, timers);
      await timers.advance(1);
      await answerPoll(transport, pollReply('Running', { progress: 1 }));
      await timers.settle();
      expect([transport.requests.map(() => 'GET'), events()]).to.deep.equal([
        ['GET', 'GET'],
        ['Submitted 0% submit', 'Submitted 0% submit service', 'Running 1% poll'],
      ]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should carry the wait on the snapshot error', async () => {
      const { tracker, transport, timers } = trackerSetup();
      const done = outcomeOf(tracker.start());
      await timers.fireNext();
      await answerPoll(transport, throttled);
      await timers.settle();
      const error = tracker.snapshot.error;
      expect([error?.status, error?.retryAfterMs, error?.retryable]).to.deep.equal([429, 7000, true]);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });

    it('should make pollNow, the page shown again and the network back wait for it too', async () => {
      const { tracker, transport, timers, environment } = trackerSetup();
      const done = outcomeOf(tracker.start());
      await timers.fireNext();
      await answerPoll(transport, throttled);
      tracker.pollNow();
      environment.goOnline();
      environment.setHidden(true);
      environment.setHidden(false);
      await timers.advance(6999);
      await expectNoRequest(transport, timers);
      await timers.advance(1);
      await answerPoll(transport, pollReply('Running', { progress: 1 }));
      expect(transport.requests.length).to.equal(2);
      tracker.stop();
      await timers.settle();
      expect(done.settled).to.equal(true);
    });
  });
});
