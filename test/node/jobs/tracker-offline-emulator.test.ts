import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { JobTracker } from '../../../src/core/jobs/job-tracker.js';
import type { TrackerEnvironment } from '../../../src/core/jobs/job-types.js';
import { submitJob } from '../../../src/core/jobs/submit-job.js';
import type { Emulator } from '../../../src/emulator/index.js';
import { SAMPLE } from '../../emulator/ci-support.js';
import { seedObject, startTestEmulator } from '../../helpers/emulator.js';
import { RecordingTransport, pageClient, recordSnapshots, transcodeRequest } from './emulator-jobs-setup.js';

const INPUT = 'offline/input.mp4';

/** A page whose `navigator.onLine` says false for good, while the network works: no `online` event ever comes. */
const wronglyOffline: TrackerEnvironment = {
  isHidden: () => false,
  isOnline: () => false,
  onVisibilityChange: () => () => {},
  onOnline: () => () => {},
};

describe('JobTracker in a page whose onLine stays false on a working network (emulator)', function () {
  this.timeout(20_000);
  let emulator: Emulator;

  before(async () => {
    emulator = await startTestEmulator({ jobs: { queueDelayMs: 100, runMs: 600, progressSteps: 3 } });
    await seedObject(emulator, INPUT, SAMPLE);
  });
  after(() => emulator.close());

  it('should check the network itself, then follow the job to Success at the normal pace', async () => {
    const transport = new RecordingTransport();
    const client = pageClient(emulator, { transport });
    const submitted = await submitJob(client, transcodeRequest(INPUT), { records: false });
    const poll = { delays: [100], jitter: 0, offlineRecheckDelay: 400 };
    const tracker = new JobTracker({ client, job: submitted, poll, environment: wronglyOffline });
    const events = recordSnapshots(tracker);
    const started = performance.now();

    const bound = new AbortController();
    const giveUp = sleep(5000, undefined, { signal: bound.signal }).then(() => {
      queueMicrotask(() => tracker.stop());
      throw new Error(`No end within 5 s; ${transport.polls(submitted.job.JobId).length} polls sent`);
    });
    const final = await Promise.race([tracker.start(), giveUp]).finally(() => bound.abort());
    giveUp.catch(() => undefined);

    const polls = transport.polls(submitted.job.JobId).map((sent) => Math.round(sent.sentAt - started));
    expect(final.status).to.equal('Success');
    expect(events.lines().at(-1)).to.deep.equal(['Success', 'poll', 1]);
    // The first poll is the check (400 ms); once it is answered, polls come every 100 ms until the job ends.
    expect(polls[0]).to.be.within(390, 700);
    expect(polls.length).to.be.within(3, 12);
    const gaps = polls.slice(1).map((at, index) => at - polls[index]!);
    expect(Math.max(...gaps), `gaps ${gaps.join(', ')}`).to.be.below(300);
  });
});
