import { expect } from 'chai';
import { MemoryJobRecordStore } from '../../../src/core/jobs/job-records.js';
import { submitJob } from '../../../src/core/jobs/submit-job.js';
import type { Emulator } from '../../../src/emulator/index.js';
import { SAMPLE } from '../../emulator/ci-support.js';
import { seedObject, startTestEmulator } from '../../helpers/emulator.js';
import { RecordingTransport, jobIdsOf, pageClient, transcodeRequest } from './emulator-jobs-setup.js';

// Node has no `navigator.locks`: the record's lock is the in-realm queue, which the same code path takes.
describe('submitJob of one request from two calls at once (the record lock, emulator)', function () {
  this.timeout(20_000);
  let emulator: Emulator;

  before(async () => {
    emulator = await startTestEmulator();
    for (const input of ['lock/overlap.mp4', 'lock/after.mp4', 'lock/no-records.mp4']) {
      await seedObject(emulator, input, SAMPLE);
    }
  });
  after(() => emulator.close());

  it('should create one job when two calls with one record store overlap, and give both its JobId', async () => {
    const transport = new RecordingTransport();
    const client = pageClient(emulator, { transport });
    const records = new MemoryJobRecordStore();
    const request = transcodeRequest('lock/overlap.mp4');

    const [first, second] = await Promise.all([
      submitJob(client, request, { records }),
      submitJob(client, request, { records }),
    ]);

    expect(second.job.JobId).to.equal(first.job.JobId);
    expect([first.origin, second.origin]).to.deep.equal(['submitted', 'reattached']);
    expect(transport.submissions()).to.have.length(1);
    expect(await jobIdsOf(emulator, 'lock/overlap.mp4')).to.deep.equal([first.job.JobId]);
  });

  it('should still submit again when the second call begins after the first was given its job', async () => {
    const client = pageClient(emulator);
    const records = new MemoryJobRecordStore();
    const request = transcodeRequest('lock/after.mp4');

    const first = await submitJob(client, request, { records });
    const second = await submitJob(client, request, { records });

    expect(second.job.JobId).to.not.equal(first.job.JobId);
    expect((await jobIdsOf(emulator, 'lock/after.mp4')).sort()).to.deep.equal(
      [first.job.JobId, second.job.JobId].sort(),
    );
  });

  it('should not coordinate calls that keep no record (records: false)', async () => {
    const client = pageClient(emulator);
    const request = transcodeRequest('lock/no-records.mp4');

    const both = await Promise.all([
      submitJob(client, request, { records: false }),
      submitJob(client, request, { records: false }),
    ]);

    expect(new Set(both.map(({ job }) => job.JobId)).size).to.equal(2);
    expect(both.map(({ origin }) => origin)).to.deep.equal(['submitted', 'submitted']);
  });
});
