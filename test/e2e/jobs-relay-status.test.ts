// A callback relay that goes down, in Chromium: the event stream (`relay.eventSource`, what the element's
// `events-url` becomes) reports its status through the browser's `open` and `error` events, and a `relay.subscribe`
// reports it through its `status` function; while down, the tracker polls the emulator at its normal pace.
import { expect } from 'chai';
import type { RelayStatus, TrackerEnvironment } from '../../src/core/jobs/job-types.js';
import { submitJob } from '../../src/core/jobs/submit-job.js';
import { config, events, jobClient, recordedTracker, shownPage, transcodeRequest, uploadFixture } from './jobs-support.js';
import { uniquePrefix } from './upload-support.js';

/**
 * An event stream that opens, then ends at once: the browser reports `open`, then `error`, and reconnects only
 * after its default delay (3 s in Chromium), so the relay is down for most of a job's 1.6 s.
 */
const DROPPING_STREAM = '/__scripted/job-events?h.content-type=text%2Fevent-stream&job={jobId}';

/** The page's `EventSource`, watched: when each stream opened and failed. */
function watchedEventSource() {
  const watched = { opens: [] as number[], errors: [] as number[] };
  class WatchedEventSource extends EventSource {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, init);
      this.addEventListener('open', () => watched.opens.push(performance.now()));
      this.addEventListener('error', () => watched.errors.push(performance.now()));
    }
  }
  const environment: TrackerEnvironment = { ...shownPage(), EventSource: WatchedEventSource };
  return { watched, environment };
}

/** The longest wait between two of `times`, in ms. */
const longestGap = (times: readonly number[]): number =>
  times.slice(1).reduce((longest, at, index) => Math.max(longest, at - times[index]!), 0);

describe('A callback relay that reports itself down (Chromium, emulator)', function () {
  this.timeout(8000);

  it('should poll at the normal pace while the event stream is down, and end the job from the polls', async () => {
    const { client, transport } = jobClient();
    const input = await uploadFixture(client, `${uniquePrefix()}in.mp4`);
    const submitted = await submitJob(client, transcodeRequest(input), { records: false });
    const { watched, environment } = watchedEventSource();
    const { tracker, snapshots } = recordedTracker({
      client,
      job: submitted,
      poll: { delays: [200], jitter: 0, safetyNetDelay: 60_000 },
      relay: { eventSource: DROPPING_STREAM },
      environment,
    });

    const final = await tracker.start();

    expect([final.status, events(snapshots).at(-1)]).to.deep.equal(['Success', 'Success/poll']);
    expect(watched.opens.length, 'stream opens').to.be.at.least(1);
    expect(watched.errors.length, 'stream errors').to.be.at.least(1);
    const polls = transport.polls(submitted.job.JobId, watched.errors[0]).map(({ at }) => at);
    expect(polls.length, 'polls once the stream was down').to.be.at.least(3);
    expect(longestGap(polls), 'longest wait between polls').to.be.below(600);
  });

  it('should poll at the normal pace while a subscribe relay over the host relay reports down', async () => {
    const { client, transport } = jobClient();
    const input = await uploadFixture(client, `${uniquePrefix()}in.mp4`);
    const submitted = await submitJob(client, transcodeRequest(input, { callback: 'JSON' }), { records: false });
    const reports: [RelayStatus, number][] = [];
    let report: ((state: RelayStatus) => void) | undefined;
    const { tracker } = recordedTracker({
      client,
      job: submitted,
      poll: { delays: [200], jitter: 0, safetyNetDelay: 60_000 },
      environment: shownPage(),
      relay: {
        // The host's own stream of the relay, as in the README: it says `down` until the stream is open.
        subscribe(jobId, deliver, status) {
          report = (state) => {
            reports.push([state, performance.now()]);
            status(state);
          };
          report('down');
          const source = new EventSource(config.jobEventsUrl!.replace('{jobId}', encodeURIComponent(jobId)));
          source.onopen = () => report?.('open');
          source.onerror = () => report?.('down');
          source.onmessage = (event) => deliver(event.data);
          return () => source.close();
        },
      },
    });

    const final = await tracker.start();

    const opened = reports.find(([state]) => state === 'open')?.[1];
    expect(final.status).to.equal('Success');
    expect(reports[0]?.[0]).to.equal('down');
    expect(opened, 'the stream opened').to.be.a('number');
    const before = transport.polls(submitted.job.JobId).filter(({ at }) => at < opened!);
    const after = transport.polls(submitted.job.JobId, opened);
    // Down until the stream opened: polled at 200 ms (if it took that long); open: no poll, the callback ends it.
    expect(before.length).to.be.at.most(Math.ceil((opened! - reports[0]![1]) / 200) + 1);
    expect(after, 'polls once the relay said open').to.be.empty;
  });
});
