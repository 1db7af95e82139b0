import { expect } from 'chai';
import { parseJobsResponse, type JobsResponse } from '../../src/core/protocol/ci-schemas.js';
import { formatServiceTime } from '../../src/emulator/clock.js';
import type { Emulator } from '../../src/emulator/index.js';
import { errorCode, seedObject, startTestEmulator } from '../helpers/emulator.js';
import { SAMPLE, cancelJob, listJobs, submit, transcodeBody, waitForJob } from './ci-support.js';

describe('CI emulator: listing jobs', () => {
  let emulator: Emulator;
  /** Ids in submission order: five jobs on input/a.mp4 (the third cancelled), then one on input/b.mp4. */
  const ids: string[] = [];
  let queueId: string;
  let before0: number;

  async function list(query: Record<string, string>): Promise<JobsResponse> {
    const response = await listJobs(emulator, query);
    expect(response.status, response.text).to.equal(200);
    return parseJobsResponse(response.text, 'track');
  }

  const listed = async (query: Record<string, string>) =>
    (await list({ tag: 'Transcode', ...query })).JobsDetail.map((job) => job.JobId);

  before(async () => {
    emulator = await startTestEmulator({ jobs: { workers: 1, queueDelayMs: 50, runMs: 60, progressSteps: 1 } });
    await seedObject(emulator, 'input/a.mp4', SAMPLE);
    await seedObject(emulator, 'input/b.mp4', SAMPLE);
    before0 = Date.now();
    for (let i = 0; i < 5; i += 1) {
      const job = await submit(emulator, transcodeBody('input/a.mp4'));
      ids.push(job.JobId);
      queueId = job.QueueId!;
    }
    expect((await cancelJob(emulator, ids[2]!)).status).to.equal(200);
    ids.push((await submit(emulator, transcodeBody('input/b.mp4'))).JobId);
    for (const id of ids) await waitForJob(emulator, id, { timeoutMs: 4000 });
  });

  after(() => emulator.close());

  it('should require tag', async () => {
    const response = await listJobs(emulator, { size: '10' });
    expect(response.status).to.equal(400);
    expect(errorCode(response)).to.equal('InvalidArgument');
  });

  it('should list newest first by default', async () => {
    expect(await listed({})).to.deep.equal([...ids].reverse());
  });

  it('should list oldest first with orderByTime=Asc', async () => {
    expect(await listed({ orderByTime: 'Asc' })).to.deep.equal(ids);
  });

  it('should list nothing for another tag', async () => {
    expect(await listed({ tag: 'ExtractDigitalWatermark' })).to.deep.equal([]);
  });

  it('should filter by states', async () => {
    expect(await listed({ states: 'Cancel' })).to.deep.equal([ids[2]]);
    expect(await listed({ states: 'Success,Cancel', orderByTime: 'Asc' })).to.deep.equal(ids);
    expect(await listed({ states: 'All' })).to.have.length(6);
    expect(await listed({ states: 'Running' })).to.deep.equal([]);
  });

  it('should filter by exact inputObject', async () => {
    expect(await listed({ inputObject: 'input/b.mp4' })).to.deep.equal([ids[5]]);
    expect(await listed({ inputObject: 'input/' })).to.deep.equal([]);
  });

  it('should filter by queueId', async () => {
    expect(await listed({ queueId })).to.have.length(6);
    expect(await listed({ queueId: `p${'0'.repeat(32)}` })).to.deep.equal([]);
  });

  it('should filter by a creation time window', async () => {
    const start = formatServiceTime(before0 - 1000);
    const end = formatServiceTime(Date.now() + 1000);
    expect(await listed({ startCreationTime: start, endCreationTime: end })).to.have.length(6);
    expect(await listed({ startCreationTime: formatServiceTime(Date.now() + 60_000) })).to.deep.equal([]);
    expect(await listed({ endCreationTime: formatServiceTime(before0 - 60_000) })).to.deep.equal([]);
  });

  it('should refuse a malformed creation time', async () => {
    const response = await listJobs(emulator, { tag: 'Transcode', startCreationTime: '2024-01-01 00:00:00' });
    expect(response.status).to.equal(400);
    expect(errorCode(response)).to.equal('InvalidArgument');
  });

  it('should page with size and NextToken, stable while jobs are added', async () => {
    const first = await list({ tag: 'Transcode', size: '4', orderByTime: 'Asc' });
    expect(first.JobsDetail.map((job) => job.JobId)).to.deep.equal(ids.slice(0, 4));
    expect(first.NextToken).to.be.a('string');
    const added = (await submit(emulator, transcodeBody('input/b.mp4'))).JobId;
    const second = await list({ tag: 'Transcode', size: '4', orderByTime: 'Asc', nextToken: first.NextToken! });
    expect(second.JobsDetail.map((job) => job.JobId)).to.deep.equal([...ids.slice(4), added]);
    expect(second.NextToken).to.equal(undefined);
    await waitForJob(emulator, added);
  });

  it('should page newest first with NextToken', async () => {
    const first = await list({ tag: 'Transcode', size: '2', states: 'Success,Cancel' });
    const everything = await list({ tag: 'Transcode', size: '100', states: 'Success,Cancel' });
    const all = everything.JobsDetail.map((job) => job.JobId);
    const second = await list({ tag: 'Transcode', size: '2', states: 'Success,Cancel', nextToken: first.NextToken! });
    expect([...first.JobsDetail, ...second.JobsDetail].map((job) => job.JobId)).to.deep.equal(all.slice(0, 4));
  });

  it('should refuse a size out of 1..100, an unknown state, order or token', async () => {
    const queries: Record<string, string>[] = [
      { size: '0' },
      { size: '101' },
      { states: 'Done' },
      { orderByTime: 'Up' },
      { nextToken: '!!' },
    ];
    for (const query of queries) {
      const response = await listJobs(emulator, { tag: 'Transcode', ...query });
      expect(response.status, JSON.stringify(query)).to.equal(400);
      expect(errorCode(response)).to.equal('InvalidArgument');
    }
  });

  it('should treat empty parameters as absent, as the Python SDK sends them', async () => {
    const query = { tag: 'Transcode', states: '', size: '', nextToken: '', orderByTime: '' };
    expect(await listed(query)).to.have.length.at.least(6);
  });
});
