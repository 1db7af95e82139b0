import { expect } from 'chai';
import { JobTracker } from '../../../src/core/jobs/job-tracker.js';
import type { JobPollOptions } from '../../../src/core/jobs/job-types.js';
import { submitJob } from '../../../src/core/jobs/submit-job.js';
import type { Emulator } from '../../../src/emulator/index.js';
import { SAMPLE } from '../../emulator/ci-support.js';
import { seedObject, startTestEmulator } from '../../helpers/emulator.js';
import { RelayServer } from '../../helpers/relay-server.js';
import {
  RecordingTransport,
  SseRelaySubscriber,
  pageClient,
  recordSnapshots,
  transcodeRequest,
  type HoldAnswer,
} from './emulator-jobs-setup.js';

const INPUT = 'callbacks/input.mp4';

/** Polls held this long on their way back: a slow network, so that a job's end is told by its callback first. */
const SLOW_POLL_MS = 250;

describe('JobTracker with callbacks relayed from the emulator', function () {
  this.timeout(20_000);
  let emulator: Emulator;
  let server: RelayServer;
  let subscriber: SseRelaySubscriber;

  before(async () => {
    // Every job: 100 ms queued, then 600 ms running in three progress steps (0, 33, 66), then its callback.
    emulator = await startTestEmulator({ jobs: { queueDelayMs: 100, runMs: 600, progressSteps: 3 } });
    server = await new RelayServer().start();
    await seedObject(emulator, INPUT, SAMPLE);
  });
  beforeEach(() => {
    subscriber = new SseRelaySubscriber(server);
  });
  afterEach(() => subscriber.close());
  after(async () => {
    await server.close();
    await emulator.close();
  });

  /** Submits a transcode job that calls back to the relay in `format` and follows it with the SSE subscriber. */
  async function follow(format: 'XML' | 'JSON' | undefined, poll: JobPollOptions, hold?: HoldAnswer) {
    const transport = new RecordingTransport(hold ? { hold } : {});
    const client = pageClient(emulator, { transport: transport });
    const notification = format ? { CallBack: server.url('/api/ci-callback'), CallBackFormat: format } : {};
    const submitted = await submitJob(client, transcodeRequest(INPUT, { notification }), { records: false });
    const tracker = new JobTracker({ client, job: submitted, poll, relay: subscriber.relay });
    const events = recordSnapshots(tracker);
    return { transport, tracker, events, done: tracker.start(), jobId: submitted.job.JobId };
  }

  for (const format of ['XML', 'JSON'] as const) {
    it(`should end at Success from the ${format} callback, with polling only a slow safety net`, async () => {
      const { transport, tracker, events, done, jobId } = await follow(format, { safetyNetDelay: 30_000 });
      const final = await done;
      expect(events.lines()).to.deep.equal([
        ['Submitted', 'submit', 0],
        ['Success', 'callback', 1],
      ]);
      expect(final.results.outputs.map((output) => output.key)).to.deep.equal([`output/${jobId}.mp4`]);
      expect(transport.lines()).to.deep.equal(['POST /jobs']);
      expect(tracker.stats).to.deep.equal({ polls: 0, callbacks: 1, ignored: 0 });
      expect(subscriber.delivered.map(({ jobId: id, data }) => [id, data.trimStart()[0]])).to.deep.equal([
        [jobId, format === 'XML' ? '<' : '{'],
      ]);
      expect(subscriber.openStreams).to.equal(0);
    });

    it(`should merge fast polls and the ${format} callback into one stream that never goes back`, async () => {
      const hold: HoldAnswer = (request) => (request.method === 'GET' ? SLOW_POLL_MS : 0);
      const { tracker, events, done } = await follow(format, { delays: [50], safetyNetDelay: 50 }, hold);
      await done;
      const lines = events.lines();
      expect(lines[0]).to.deep.equal(['Submitted', 'submit', 0]);
      expect(lines.at(-1)).to.deep.equal(['Success', 'callback', 1]);
      const running = lines.slice(1, -1);
      expect(running.length).to.be.greaterThan(0);
      expect(running.every(([state, source]) => state === 'Running' && source === 'poll')).to.equal(true);
      const progress = running.map(([, , value]) => value);
      expect(progress, 'progress rises at each event').to.deep.equal([...new Set(progress)].sort((a, b) => a - b));
      expect(tracker.stats.callbacks).to.equal(1);
      expect(tracker.stats.polls).to.be.greaterThan(0);
    });
  }

  it('should poll at the safety net pace while the relay is open and no callback comes', async () => {
    const { transport, events, done, jobId } = await follow(undefined, { delays: [50], safetyNetDelay: 400 });
    await done;
    expect(events.lines().at(-1)).to.deep.equal(['Success', 'poll', 1]);
    const sent = [...transport.submissions(), ...transport.polls(jobId)];
    const gaps = sent.slice(1).map((request, n) => request.sentAt - sent[n]!.endedAt!);
    expect(gaps.length, 'polls').to.be.within(2, 3);
    expect(gaps.every((gap) => gap >= 320), `waits before each poll: ${gaps.map(Math.round).join(', ')} ms`).to.equal(true);
    expect(subscriber.delivered).to.deep.equal([]);
  });
});
