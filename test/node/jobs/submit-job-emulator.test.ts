import { expect } from 'chai';
import { MemoryJobRecordStore } from '../../../src/core/jobs/job-records.js';
import { submitJob } from '../../../src/core/jobs/submit-job.js';
import type { JobRequest } from '../../../src/core/protocol/job-request-schemas.js';
import type { Emulator } from '../../../src/emulator/index.js';
import { SAMPLE } from '../../emulator/ci-support.js';
import { seedObject, startTestEmulator } from '../../helpers/emulator.js';
import { jobIdsOf, pageClient, submitAsEarlierPage, transcodeRequest } from './emulator-jobs-setup.js';

/** A transcode job of `input` into the bucket. */
const transcode = (input: string): JobRequest =>
  transcodeRequest(input, { operation: { UserData: 'submit-job-emulator' } });

describe('submitJob against the emulator', function () {
  this.timeout(20_000);
  let emulator: Emulator;
  const inputs = [
    'submit/drop-after.mp4',
    'submit/drop-before.mp4',
    'submit/reload.mp4',
    'submit/pending.mp4',
    'submit/clock-ahead.mp4',
    'submit/clock-behind.mp4',
    'submit/same-page.mp4',
  ];

  before(async () => {
    emulator = await startTestEmulator();
    for (const input of inputs) await seedObject(emulator, input, SAMPLE);
  });
  afterEach(() => emulator.faults.update({}));
  after(() => emulator.close());

  it('should create exactly one job per submission when answers are lost after processing', async () => {
    emulator.faults.update({ rules: [{ operations: ['CreateMediaJobs'], dropAfterRate: 1, limit: 3 }] });
    const client = pageClient(emulator);
    const results = [];
    for (let n = 0; n < 5; n += 1) {
      results.push(await submitJob(client, transcode(inputs[0]!), { records: false, lookup: { delay: 50 } }));
    }
    const ids = results.map((result) => result.job.JobId);
    expect(results.map((result) => [result.origin, result.submissions])).to.deep.equal([
      ['recovered', 1],
      ['recovered', 1],
      ['recovered', 1],
      ['submitted', 1],
      ['submitted', 1],
    ]);
    expect(emulator.faults.stats()['dropAfter:CreateMediaJobs']).to.equal(3);
    expect(new Set(ids).size).to.equal(5);
    expect((await jobIdsOf(emulator, inputs[0]!)).sort()).to.deep.equal([...ids].sort());
  });

  for (const [offset, input] of [
    [180_000, inputs[4]!],
    [-180_000, inputs[5]!],
  ] as const) {
    const where = offset > 0 ? 'ahead of' : 'behind';
    it(`should create one job after a lost answer when the page clock is 3 minutes ${where} the service`, async () => {
      emulator.faults.update({ rules: [{ operations: ['CreateMediaJobs'], dropAfterRate: 1, limit: 1 }] });
      const client = pageClient(emulator, { clockOffset: offset });
      const result = await submitJob(client, transcode(input), { records: false, lookup: { delay: 50 } });
      expect([result.origin, result.submissions]).to.deep.equal(['recovered', 1]);
      expect(await jobIdsOf(emulator, input)).to.deep.equal([result.job.JobId]);
    });
  }

  it('should submit again, once, when the request was dropped before the service saw it', async () => {
    emulator.faults.update({ rules: [{ operations: ['CreateMediaJobs'], dropBeforeRate: 1, limit: 1 }] });
    const result = await submitJob(pageClient(emulator), transcode(inputs[1]!), {
      records: false,
      lookup: { attempts: 2, delay: 50 },
    });
    expect([result.origin, result.submissions, emulator.faults.stats()['dropBefore:CreateMediaJobs']]).to.deep.equal([
      'submitted',
      2,
      1,
    ]);
    expect(await jobIdsOf(emulator, inputs[1]!)).to.deep.equal([result.job.JobId]);
  });

  it('should re-attach a reloaded page to its job instead of submitting again', async () => {
    const client = pageClient(emulator);
    const records = new MemoryJobRecordStore();
    const { jobId, fingerprint } = await submitAsEarlierPage(client, transcode(inputs[2]!), records, 'answered');
    const reloaded = await submitJob(client, transcode(inputs[2]!), { records });
    expect([reloaded.origin, reloaded.submissions, reloaded.job.JobId]).to.deep.equal(['reattached', 0, jobId]);
    reloaded.release();
    expect([records.get(fingerprint), await jobIdsOf(emulator, inputs[2]!)]).to.deep.equal([undefined, [jobId]]);
  });

  it('should submit a second job when the same page submits the same request again', async () => {
    const client = pageClient(emulator);
    const records = new MemoryJobRecordStore();
    const first = await submitJob(client, transcode(inputs[6]!), { records });
    const second = await submitJob(client, transcode(inputs[6]!), { records });
    expect([second.origin, second.job.JobId === first.job.JobId]).to.deep.equal(['submitted', false]);
    expect((await jobIdsOf(emulator, inputs[6]!)).sort()).to.deep.equal([first.job.JobId, second.job.JobId].sort());
  });

  it('should find the job of a page that died between sending and reading the answer', async () => {
    const client = pageClient(emulator);
    const request = transcode(inputs[3]!);
    const records = new MemoryJobRecordStore();
    const { jobId, fingerprint } = await submitAsEarlierPage(client, request, records, 'lost');
    const reloaded = await submitJob(client, request, { records });
    expect([reloaded.origin, reloaded.job.JobId, records.get(fingerprint)?.jobId]).to.deep.equal([
      'reattached',
      jobId,
      jobId,
    ]);
    expect(await jobIdsOf(emulator, inputs[3]!)).to.deep.equal([jobId]);
  });
});
