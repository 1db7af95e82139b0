import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { cancelJob } from '../../../src/core/jobs/job-api.js';
import { JobTracker } from '../../../src/core/jobs/job-tracker.js';
import type { JobCallbackRelay, RelayStatus } from '../../../src/core/jobs/job-types.js';
import { submitJob } from '../../../src/core/jobs/submit-job.js';
import type { Emulator } from '../../../src/emulator/index.js';
import { SAMPLE } from '../../emulator/ci-support.js';
import { seedObject, startTestEmulator } from '../../helpers/emulator.js';
import { RecordingTransport, pageClient, transcodeRequest } from './emulator-jobs-setup.js';

const INPUT = 'relay-status/input.mp4';

/** A host relay whose connection the test takes down and brings back through the tracker's `status` function. */
function switchableRelay() {
  const host = { reports: [] as RelayStatus[], status: (_state: RelayStatus): void => {} };
  const relay: JobCallbackRelay = {
    subscribe: (_jobId, _deliver, status) => {
      host.status = (state) => {
        host.reports.push(state);
        // Optional: a tracker without status reports passes no function (the test then fails on the poll counts).
        status?.(state);
      };
      return undefined;
    },
  };
  return { host, relay };
}

describe('JobTracker with a relay.subscribe that reports its status (emulator)', function () {
  this.timeout(20_000);
  let emulator: Emulator;

  before(async () => {
    // The job runs long enough to be followed through every phase of the test.
    emulator = await startTestEmulator({ jobs: { queueDelayMs: 100, runMs: 15_000, progressSteps: 3 } });
    await seedObject(emulator, INPUT, SAMPLE);
  });
  after(() => emulator.close());

  it('should poll at the normal pace while the relay is down, and only at the safety net once it is open', async () => {
    const transport = new RecordingTransport();
    const client = pageClient(emulator, { transport });
    const submitted = await submitJob(client, transcodeRequest(INPUT), { records: false });
    const jobId = submitted.job.JobId;
    const { host, relay } = switchableRelay();
    const poll = { delays: [100], jitter: 0, safetyNetDelay: 60_000 };
    const tracker = new JobTracker({ client, job: submitted, poll, relay });
    const done = tracker.start().catch(() => undefined);
    const pollsSince = (at: number) => transport.polls(jobId).filter((sent) => sent.sentAt >= at).length;
    try {
      const opened = performance.now();
      await sleep(500);
      const whileOpen = pollsSince(opened);

      host.status('down');
      const down = performance.now();
      await sleep(700);
      const whileDown = pollsSince(down);

      host.status('open');
      const reopened = performance.now();
      await sleep(700);
      const afterReopen = pollsSince(reopened);

      // Open: no poll (the safety net is a minute away); down: one every 100 ms; open again: the one poll that
      // asks for what may have been missed, then none.
      expect(whileDown, 'polls while down').to.be.within(4, 8);
      expect([whileOpen, afterReopen]).to.deep.equal([0, 1]);
      expect(host.reports).to.deep.equal(['down', 'open']);
      expect(tracker.snapshot.status).to.be.oneOf(['Submitted', 'Running']);
    } finally {
      tracker.stop();
      await done;
      await cancelJob(client, jobId).catch(() => undefined);
    }
  });
});
