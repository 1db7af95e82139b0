// Two tabs of one origin submitting the same job at the same moment, simulated by two same-origin iframes: each
// its own JavaScript realm (its own module state, as another tab has), sharing localStorage and Web Locks. The
// record's lock (navigator.locks) lets one of them submit; the other follows that job.
import { expect } from 'chai';
import { cancelJob, listJobs } from '../../src/core/jobs/job-api.js';
import type { ServiceClient } from '../../src/core/transport/service-client.js';
import { jobClient, reloadedPage, transcodeRequest, uploadFixture, type ReloadedPage } from './jobs-support.js';
import { storedRecords, uniquePrefix } from './upload-support.js';

/** The ids of every Transcode job of `input` on the emulator, in any state, sorted. */
async function jobIdsOf(client: ServiceClient, input: string): Promise<string[]> {
  const { jobs } = await listJobs(client, { tag: 'Transcode', inputObject: input, states: ['All'], size: 100 });
  return jobs.map((job) => job.JobId).sort();
}

describe('submitJob of one job from two tabs at once (Chromium, Web Locks, emulator)', function () {
  this.timeout(8000);

  it('should create one job and give both tabs its JobId', async () => {
    const storage = `e2e-tabs:${Math.random().toString(36).slice(2)}:`;
    const { client } = jobClient();
    const input = await uploadFixture(client, `${uniquePrefix()}in.mp4`);
    const request = transcodeRequest(input);
    const pages: ReloadedPage[] = [];
    try {
      pages.push(await reloadedPage(), await reloadedPage());
      const tabs = pages.map((page) => {
        const { client: tabClient, transport } = page.support.jobClient();
        const records = new page.records.LocalStorageJobRecordStore({ prefix: storage });
        return { transport, submit: () => page.core.submitJob(tabClient, request, { records }) };
      });

      const [first, second] = await Promise.all([tabs[0]!.submit(), tabs[1]!.submit()]);

      const ids = await jobIdsOf(client, input);
      await cancelJob(client, first.job.JobId).catch(() => undefined);
      expect(second.job.JobId).to.equal(first.job.JobId);
      expect(ids).to.deep.equal([first.job.JobId]);
      expect([first.origin, second.origin]).to.deep.equal(['submitted', 'reattached']);
      expect(tabs.map(({ transport }) => transport.ciOperations())).to.deep.equal([
        ['CreateMediaJobs'],
        ['DescribeMediaJob'],
      ]);
      expect(storedRecords(storage)).to.have.length(1);
    } finally {
      for (const page of pages) page.close();
      for (const key of storedRecords(storage)) localStorage.removeItem(key);
    }
  });
});
