// CI job callbacks relayed by the example host backend, merged by a JobTracker: the emulator (another process)
// POSTs each job's TaskFinish to the test server's /api/ci-callback, the relay streams it to the page over
// Server-Sent Events (`relay.eventSource`), and the tracker merges it with its polls.
import { expect } from 'chai';
import type { JobSnapshot, TrackerEnvironment } from '../../src/core/jobs/job-types.js';
import { submitJob } from '../../src/core/jobs/submit-job.js';
import {
  FAST_POLL,
  NO_POLL,
  config,
  events,
  expectCleanStream,
  jobClient,
  recordedTracker,
  shownPage,
  transcodeRequest,
  uploadFixture,
} from './jobs-support.js';
import { uniquePrefix } from './upload-support.js';

/** The page's `EventSource`, watched: when each stream opened, and whether each was closed. */
function watchedEventSource() {
  const watched = { opens: [] as number[], created: 0, closed: 0 };
  class WatchedEventSource extends EventSource {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, init);
      watched.created += 1;
      this.addEventListener('open', () => watched.opens.push(performance.now()));
    }

    override close(): void {
      watched.closed += 1;
      super.close();
    }
  }
  const environment: TrackerEnvironment = { ...shownPage(), EventSource: WatchedEventSource };
  return { watched, environment };
}

/** Asserts a Transcode job's complete results in `snapshot`: the output, its media information, the watermark. */
function expectTranscodeResults(snapshot: JobSnapshot, input: string, userData: string): void {
  const { outputs, mediaInfo, digitalWatermark } = snapshot.results;
  expect(outputs.map(({ bucket, region, key }) => ({ bucket, region, key }))).to.deep.equal([
    { bucket: config.bucket, region: config.region, key: `${input}.out.mp4` },
  ]);
  const video = mediaInfo?.Stream?.Video[0];
  expect([video?.Width, video?.Height]).to.deep.equal([640, 360]);
  expect(digitalWatermark).to.deep.equal({ message: 'e2e-callback', state: 'Success' });
  expect(snapshot.results.userData).to.equal(userData);
}

describe('CI job callbacks relayed over SSE and merged by a JobTracker (Chromium, emulator)', function () {
  this.timeout(8000);

  for (const format of ['XML', 'JSON'] as const) {
    it(`should end a job from its ${format} callback, with no poll once the event stream is open`, async () => {
      const { client, transport } = jobClient();
      const input = await uploadFixture(client, `${uniquePrefix()}in.mp4`);
      const userData = `</UserData><Format>${format}</Format>`;
      const request = transcodeRequest(input, { callback: format, watermark: 'e2e-callback', userData });
      const submitted = await submitJob(client, request, { records: false });
      const { watched, environment } = watchedEventSource();
      // Polls every 200 ms until the stream opens, then only the 60 s safety net: the callback alone can end it.
      const { tracker, snapshots } = recordedTracker({
        client,
        job: submitted,
        poll: { delays: [200], jitter: 0, safetyNetDelay: 60_000 },
        relay: { eventSource: config.jobEventsUrl },
        environment,
      });

      const final = await tracker.start();

      expect(events(snapshots)).to.deep.equal(['Submitted/submit', 'Success/callback']);
      expect(final).to.equal(snapshots[1]);
      expectTranscodeResults(final, input, userData);
      expect(watched.opens).to.have.length(1);
      expect(transport.polls(submitted.job.JobId, watched.opens[0]), 'polls after the stream opened').to.be.empty;
      expect(tracker.stats).to.include({ callbacks: 1, ignored: 0 });
      expect([watched.created, watched.closed], 'event streams made and closed').to.deep.equal([1, 1]);
    });
  }

  it('should merge fast polls and the callback into one stream: no duplicate, no regression, one end', async () => {
    const { client, transport } = jobClient();
    const input = await uploadFixture(client, `${uniquePrefix()}in.mp4`);
    const userData = 'merged';
    const request = transcodeRequest(input, { callback: 'JSON', watermark: 'e2e-callback', userData });
    const submitted = await submitJob(client, request, { records: false });
    const { watched, environment } = watchedEventSource();
    const { tracker, snapshots } = recordedTracker({
      client,
      job: submitted,
      poll: FAST_POLL,
      relay: { eventSource: config.jobEventsUrl },
      environment,
    });

    const final = await tracker.start();

    expectCleanStream(snapshots);
    const sequence = events(snapshots);
    expect(sequence[0]).to.equal('Submitted/submit');
    expect(sequence.slice(1, -1), sequence.join(', ')).to.include('Running/poll');
    expect(['Success/poll', 'Success/callback']).to.include(sequence[sequence.length - 1]);
    expect(final).to.equal(snapshots[snapshots.length - 1]);
    expectTranscodeResults(final, input, userData);
    expect(transport.polls(submitted.job.JobId)).to.have.length(tracker.stats.polls);
    expect([watched.created, watched.closed]).to.deep.equal([1, 1]);
  });

  it('should take an ended job from a replayed callback and a poll at once, as one Success', async () => {
    const { client } = jobClient();
    const input = await uploadFixture(client, `${uniquePrefix()}in.mp4`);
    const request = transcodeRequest(input, { callback: 'XML', watermark: 'e2e-callback', userData: 'replayed' });
    const submitted = await submitJob(client, request, { records: false });
    await recordedTracker({ client, job: submitted, poll: NO_POLL, relay: { eventSource: config.jobEventsUrl } })
      .tracker.start();

    // A second page follows the ended job by id: its first poll and the relay's replay both say Success.
    const { tracker, snapshots } = recordedTracker({
      client,
      job: submitted.job.JobId,
      poll: FAST_POLL,
      relay: { eventSource: config.jobEventsUrl },
    });
    const final = await tracker.start();

    expect(snapshots).to.have.length(1);
    expect(['Success/poll', 'Success/callback']).to.include(events(snapshots)[0]);
    expect(final).to.equal(snapshots[0]);
    expectTranscodeResults(final, input, 'replayed');
  });
});
