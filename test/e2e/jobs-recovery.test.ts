// submitJob in Chromium when things go wrong: POST /jobs answers lost by the emulator (injected drops) never become
// duplicate jobs, and a page reloaded while its job runs finds that job again through its localStorage record.
import { expect } from 'chai';
import { cancelJob, listJobs } from '../../src/core/jobs/job-api.js';
import { LocalStorageJobRecordStore } from '../../src/core/jobs/job-records.js';
import type { SubmittedJob } from '../../src/core/jobs/job-types.js';
import { submitJob } from '../../src/core/jobs/submit-job.js';
import type { ServiceClient } from '../../src/core/transport/service-client.js';
import {
  FAST_POLL,
  jobClient,
  reloadedPage,
  transcodeRequest,
  uploadFixture,
  withFaults,
  type ReloadedPage,
} from './jobs-support.js';
import { faultStats, storedRecords, uniquePrefix } from './upload-support.js';

/** The ids of every Transcode job of `input` on the emulator, in any state, sorted. */
async function jobIdsOf(client: ServiceClient, input: string): Promise<string[]> {
  const { jobs } = await listJobs(client, { tag: 'Transcode', inputObject: input, states: ['All'], size: 100 });
  return jobs.map((job) => job.JobId).sort();
}

/**
 * Cancels jobs this test no longer needs, when they have not started: the emulator runs two jobs at once for all the
 * test files, and jobs nobody follows would delay the others'.
 */
async function cancelQuietly(client: ServiceClient, jobs: readonly SubmittedJob[]): Promise<void> {
  await Promise.allSettled(jobs.map(({ job }) => cancelJob(client, job.JobId)));
}

describe('submitJob under lost answers and page reloads (Chromium, emulator)', function () {
  this.timeout(8000);

  // The page sees the loss only if the emulator cuts the answer after its headers: Chromium resends by itself a
  // request whose reused connection closes before any byte of the answer, and a POST resent so creates a second job.
  it('should recover each job whose POST /jobs answer was lost after processing, creating it once', async () => {
    const prefix = uniquePrefix();
    const { client, transport } = jobClient();
    const [first, second] = await Promise.all([
      uploadFixture(client, `${prefix}a.mp4`),
      uploadFixture(client, `${prefix}b.mp4`),
    ]);
    // Two pairs of look-alike jobs (same tag and input): a lookup must tell each submission's own job apart.
    const requests = [
      transcodeRequest(first, { userData: 'one' }),
      transcodeRequest(first, { userData: 'two' }),
      transcodeRequest(second, { userData: 'one' }),
      transcodeRequest(second, { output: `${second}.other.\${ext}`, userData: 'one' }),
    ];
    // The answers are cut after their head: a connection closed before the first byte would be resent by Chromium
    // itself over a reused keep-alive connection (a second job no page code can see), so that is not what this tests.
    const rule = { keyPrefix: prefix, operations: ['CreateMediaJobs' as const], cutReplyRate: 1, limit: 4 };

    const { submitted, stats } = await withFaults([rule], async () => {
      const all = await Promise.all(requests.map((request) => submitJob(client, request, { records: false })));
      return { submitted: all, stats: await faultStats() };
    });
    try {
      expect(stats['cutReply:CreateMediaJobs'], JSON.stringify(stats)).to.equal(4);
      const ids = submitted.map(({ job }) => job.JobId);
      expect(new Set(ids).size).to.equal(4);
      expect(await jobIdsOf(client, first), `jobs of ${first}`).to.deep.equal(ids.slice(0, 2).sort());
      expect(await jobIdsOf(client, second), `jobs of ${second}`).to.deep.equal(ids.slice(2).sort());
      expect(submitted.map(({ origin, submissions }) => [origin, submissions])).to.deep.equal(
        requests.map(() => ['recovered', 1]),
      );
      expect(transport.posts().map(({ failure }) => failure)).to.deep.equal(requests.map(() => 'network'));
      submitted.forEach(({ job }, index) => {
        const request = requests[index]!;
        expect(job.Input?.Object).to.equal(request.Input.Object);
        expect(job.Operation?.UserData).to.equal(request.Operation.UserData);
        expect(job.Operation?.Output?.Object).to.equal(request.Tag === 'Transcode' && request.Operation.Output.Object);
      });
    } finally {
      await cancelQuietly(client, submitted);
    }
  });

  // A 5xx may come after the service acted: the job is looked for first, and sent again only when every search
  // found nothing. (A connection dropped before processing is no use here: Chromium resends such a request by itself
  // when its connection was a reused one, so the page never sees the drop.)
  it('should look for the job after a 500 to POST /jobs, find none, and submit once more', async () => {
    const prefix = uniquePrefix();
    const { client, transport } = jobClient();
    const input = await uploadFixture(client, `${prefix}in.mp4`);
    const rule = { keyPrefix: prefix, operations: ['CreateMediaJobs' as const], errorRate: 1, limit: 1 };

    const { submitted, stats } = await withFaults([rule], async () => ({
      submitted: await submitJob(client, transcodeRequest(input), { records: false, lookup: { delay: 100 } }),
      stats: await faultStats(),
    }));
    try {
      expect(stats['error:CreateMediaJobs'], JSON.stringify(stats)).to.equal(1);
      expect(submitted).to.include({ origin: 'submitted', submissions: 2 });
      expect(transport.ciOperations()).to.deep.equal([
        'CreateMediaJobs',
        'DescribeMediaJobs',
        'DescribeMediaJobs',
        'DescribeMediaJobs',
        'CreateMediaJobs',
      ]);
      expect(transport.posts().map(({ status }) => status)).to.deep.equal([500, 200]);
      expect(await jobIdsOf(client, input)).to.deep.equal([submitted.job.JobId]);
    } finally {
      await cancelQuietly(client, [submitted]);
    }
  });

  it('should re-attach to the running job after a reload, then submit anew once that job has ended', async () => {
    const storage = `e2e-jobs:${Math.random().toString(36).slice(2)}:`;
    const { client, transport } = jobClient();
    const request = transcodeRequest(await uploadFixture(client, `${uniquePrefix()}in.mp4`));
    const pages: ReloadedPage[] = [];
    const reload = async () => {
      const page = await reloadedPage();
      pages.push(page);
      const { client: pageClient, transport: pageTransport } = page.support.jobClient();
      const records = new page.records.LocalStorageJobRecordStore({ prefix: storage });
      const submit = () => page.core.submitJob(pageClient, request, { records });
      return { page, client: pageClient, transport: pageTransport, submit };
    };
    try {
      const records = new LocalStorageJobRecordStore({ prefix: storage });
      const original = await submitJob(client, request, { records });
      expect(original.origin).to.equal('submitted');
      expect(transport.posts()).to.have.length(1);
      expect(storedRecords(storage)).to.have.length(1);

      const second = await reload();
      const again = await second.submit();

      expect(again).to.include({ origin: 'reattached', submissions: 0 });
      expect(again.job.JobId).to.equal(original.job.JobId);
      expect(second.transport.ciOperations()).to.deep.equal(['DescribeMediaJob']);
      const { tracker } = second.page.support.recordedTracker({ client: second.client, job: again, poll: FAST_POLL });
      expect((await tracker.start()).status).to.equal('Success');
      expect(storedRecords(storage), 'records once the job ended').to.be.empty;

      const third = await reload();
      const fresh = await third.submit();
      const sent = third.transport.ciOperations();
      await cancelQuietly(third.client, [fresh]);
      fresh.release();
      expect(fresh.origin).to.equal('submitted');
      expect(fresh.job.JobId).to.not.equal(original.job.JobId);
      expect(sent).to.deep.equal(['CreateMediaJobs']);
    } finally {
      for (const page of pages) page.close();
      for (const key of storedRecords(storage)) localStorage.removeItem(key);
    }
  });
});
