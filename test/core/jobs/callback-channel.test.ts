import { expect } from 'chai';
import { CallbackChannel, callbackReports, eventSourceUrl } from '../../../src/core/jobs/callback-channel.js';
import { FakeEventSource } from '../../helpers/fake-tracker-environment.js';
import { JOB_ID, OTHER_JOB_ID, callbackBody, jobXml } from '../../helpers/job-simulation.js';

/** A channel over a {@link FakeEventSource} that records what it reports. */
function channelSetup(relay: ConstructorParameters<typeof CallbackChannel>[0]['relay']) {
  FakeEventSource.instances = [];
  const seen = { bodies: [] as unknown[], changes: [] as boolean[], errors: [] as unknown[], reopens: 0 };
  const channel = new CallbackChannel({
    jobId: JOB_ID,
    relay,
    EventSource: FakeEventSource,
    onBody: (body) => seen.bodies.push(body),
    onChange: (open) => seen.changes.push(open),
    onError: (error) => seen.errors.push(error),
    onReopen: () => (seen.reopens += 1),
  });
  return { channel, seen };
}

describe('eventSourceUrl', () => {
  it('should put the URL-encoded job id in place of every {jobId}', () => {
    expect(eventSourceUrl('/e/{jobId}?id={jobId}', 'a b/c')).to.equal('/e/a%20b%2Fc?id=a%20b%2Fc');
  });

  it('should leave a URL without {jobId} as it is', () => {
    expect(eventSourceUrl('/events', JOB_ID)).to.equal('/events');
  });
});

describe('callbackReports', () => {
  it('should return the reports about the job', () => {
    const reports = callbackReports(callbackBody('Success', 'json1'), JOB_ID);
    expect(reports?.map((report) => [report.JobId, report.State])).to.deep.equal([[JOB_ID, 'Success']]);
  });

  it('should keep only the job among several', () => {
    const body = `<Response><EventName>TaskFinish</EventName>${jobXml('Failed', { jobId: OTHER_JOB_ID })}${jobXml(
      'Success',
    )}</Response>`;
    expect(callbackReports(body, JOB_ID)?.map((report) => report.State)).to.deep.equal(['Success']);
  });

  it('should return an empty array for a callback about other jobs', () => {
    expect(callbackReports(callbackBody('Success', 'XML', { jobId: OTHER_JOB_ID }), JOB_ID)).to.deep.equal([]);
  });

  it('should return undefined for a body that is not a job callback', () => {
    expect([callbackReports('<html/>', JOB_ID), callbackReports(undefined, JOB_ID)]).to.deep.equal([
      undefined,
      undefined,
    ]);
  });
});

describe('CallbackChannel', () => {
  it('should report open once for a subscription and a stream together, and closed once at stop', () => {
    const { channel, seen } = channelSetup({ subscribe: () => undefined, eventSource: '/e' });
    channel.start();
    FakeEventSource.last.open();
    FakeEventSource.last.fail();
    expect([seen.changes, channel.open]).to.deep.equal([[true], true]);
    channel.stop();
    expect([channel.open, FakeEventSource.last.closed, channel.holdsEventSource]).to.deep.equal([false, true, false]);
  });

  it('should follow the stream open and closed when there is no subscription', () => {
    const { channel, seen } = channelSetup({ eventSource: '/e' });
    channel.start();
    FakeEventSource.last.open();
    FakeEventSource.last.fail();
    FakeEventSource.last.open();
    expect(seen.changes).to.deep.equal([true, false, true]);
    channel.stop();
  });

  it('should pass message data on unparsed', () => {
    const { channel, seen } = channelSetup({ eventSource: '/e' });
    channel.start();
    FakeEventSource.last.message('<Response/>');
    channel.stop();
    FakeEventSource.last.message('after stop');
    expect(seen.bodies).to.deep.equal(['<Response/>']);
  });

  it('should report a stream that opens again after an error, but not its first open', () => {
    const { channel, seen } = channelSetup({ eventSource: '/e' });
    channel.start();
    FakeEventSource.last.fail();
    FakeEventSource.last.open();
    FakeEventSource.last.fail();
    FakeEventSource.last.open();
    expect([seen.changes, seen.reopens]).to.deep.equal([[true, false, true], 1]);
    channel.stop();
  });

  it('should report a re-opened stream while a subscription kept the channel open', () => {
    const { channel, seen } = channelSetup({ subscribe: () => undefined, eventSource: '/e' });
    channel.start();
    FakeEventSource.last.open();
    FakeEventSource.last.fail();
    FakeEventSource.last.open();
    expect([seen.changes, seen.reopens]).to.deep.equal([[true], 1]);
    channel.stop();
  });

  it('should unsubscribe at once when stopped while subscribe was still running', () => {
    const calls: string[] = [];
    let channel: CallbackChannel | undefined;
    channel = new CallbackChannel({
      jobId: JOB_ID,
      relay: {
        eventSource: '/e',
        subscribe: (_jobId, deliver) => {
          deliver('end');
          return () => calls.push('unsubscribed');
        },
      },
      EventSource: FakeEventSource,
      onBody: (body) => {
        calls.push(`body ${String(body)}`);
        channel?.stop();
      },
      onChange: (open) => calls.push(`open ${open}`),
      onError: (error) => calls.push(`error ${String(error)}`),
    });
    FakeEventSource.instances = [];
    channel.start();
    expect([calls, channel.open, FakeEventSource.instances.length]).to.deep.equal([
      ['body end', 'unsubscribed'],
      false,
      0,
    ]);
  });

  it('should report an unsubscribe that throws instead of throwing', () => {
    const bug = new Error('unsubscribe bug');
    const { channel, seen } = channelSetup({
      subscribe: () => () => {
        throw bug;
      },
    });
    channel.start();
    channel.stop();
    expect(seen.errors).to.deep.equal([bug]);
  });

  it('should report an EventSource constructor that throws, and stay closed', () => {
    const bug = new SyntaxError('bad URL');
    const errors: unknown[] = [];
    const channel = new CallbackChannel({
      jobId: JOB_ID,
      relay: { eventSource: 'http://[' },
      EventSource: class {
        constructor() {
          throw bug;
        }
      } as never,
      onBody: () => {},
      onChange: () => {},
      onError: (error) => errors.push(error),
    });
    channel.start();
    expect([channel.open, channel.holdsEventSource, errors]).to.deep.equal([false, false, [bug]]);
  });

  describe('with a subscription that reports its status', () => {
    /** A relay whose `subscribe` hands the test its `status` function. */
    function reportingRelay(initial?: 'open' | 'down') {
      const host = { status: undefined as ((state: 'open' | 'down') => void) | undefined };
      const relay = {
        subscribe: (_jobId: string, _deliver: unknown, status: (state: 'open' | 'down') => void) => {
          host.status = status;
          if (initial) status(initial);
          return undefined;
        },
      };
      return { host, relay };
    }

    it('should close while the subscription is down and open again, reporting the reconnection', () => {
      const { host, relay } = reportingRelay();
      const { channel, seen } = channelSetup(relay);
      channel.start();
      host.status?.('down');
      const whileDown = channel.open;
      host.status?.('down');
      host.status?.('open');
      const outcome = [seen.changes, whileDown, channel.open, seen.reopens];
      expect(outcome).to.deep.equal([[true, false, true], false, true, 1]);
      channel.stop();
    });

    it('should start closed when subscribe reports down before it returns; its first open is no reconnection', () => {
      const { host, relay } = reportingRelay('down');
      const { channel, seen } = channelSetup(relay);
      channel.start();
      const atStart = channel.open;
      host.status?.('open');
      expect([atStart, seen.changes, seen.reopens]).to.deep.equal([false, [true], 0]);
      channel.stop();
    });

    it('should stay open while the event stream is open, whatever the subscription says', () => {
      const { host, relay } = reportingRelay();
      const { channel, seen } = channelSetup({ ...relay, eventSource: '/e' });
      channel.start();
      FakeEventSource.last.open();
      host.status?.('down');
      const both = channel.open;
      FakeEventSource.last.fail();
      expect([both, seen.changes]).to.deep.equal([true, [true, false]]);
      channel.stop();
    });

    it('should ignore statuses after stop and values it does not know', () => {
      const { host, relay } = reportingRelay();
      const { channel, seen } = channelSetup(relay);
      channel.start();
      (host.status as (state: string) => void)('closed');
      const unknown = channel.open;
      channel.stop();
      host.status?.('down');
      host.status?.('open');
      expect([unknown, seen.changes, seen.reopens, channel.open]).to.deep.equal([true, [true], 0, false]);
    });
  });
});
