import { expect } from 'chai';
import { parseJobsResponse } from '../../src/core/protocol/ci-schemas.js';
import type { Emulator } from '../../src/emulator/index.js';
import { errorCode, seedObject, startTestEmulator } from '../helpers/emulator.js';
import { listJobs, postJob, SAMPLE, transcodeBody } from './ci-support.js';

/** The ids of the Transcode jobs whose input is `input`, newest first. */
async function jobsOf(emulator: Emulator, input: string): Promise<string[]> {
  const response = await listJobs(emulator, { tag: 'Transcode', inputObject: input });
  expect(response.status, response.text).to.equal(200);
  return parseJobsResponse(response.text, 'track').JobsDetail.map((job) => job.JobId);
}

describe('CI emulator: faults limited by keyPrefix', function () {
  this.timeout(10_000);
  let emulator: Emulator;

  before(async () => {
    emulator = await startTestEmulator();
    for (const key of ['a/x.mp4', 'b/x.mp4', 'a/y.mp4', 'b/y.mp4', 'a/z.mp4']) await seedObject(emulator, key, SAMPLE);
  });
  afterEach(() => emulator.faults.update({}));
  after(() => emulator.close());

  it('should create the job of a CreateMediaJobs under the keyPrefix, then drop its reply', async () => {
    emulator.faults.update({ rules: [{ operations: ['CreateMediaJobs'], dropAfterRate: 1, keyPrefix: 'a/' }] });
    const outcome = await postJob(emulator, transcodeBody('a/x.mp4')).then(
      (response) => `HTTP ${response.status}`,
      (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'error',
    );
    expect(outcome).to.equal('ECONNRESET');
    expect(emulator.faults.stats()).to.deep.equal({ 'dropAfter:CreateMediaJobs': 1 });
    expect(await jobsOf(emulator, 'a/x.mp4')).to.have.length(1);
  });

  it('should create the job of a CreateMediaJobs under cutReplyRate, then cut its reply after the head', async () => {
    emulator.faults.update({ rules: [{ operations: ['CreateMediaJobs'], cutReplyRate: 1, keyPrefix: 'a/y' }] });
    const outcome = await postJob(emulator, transcodeBody('a/y.mp4')).then(
      (response) => `HTTP ${response.status}`,
      (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'error',
    );
    // The head arrived (status 200), then the body stopped short of its Content-Length.
    expect(outcome).to.match(/ECONNRESET|ERR_STREAM_PREMATURE_CLOSE|aborted/);
    expect(emulator.faults.stats()).to.deep.equal({ 'cutReply:CreateMediaJobs': 1 });
    expect(await jobsOf(emulator, 'a/y.mp4')).to.have.length(1);
  });

  it('should leave a CreateMediaJobs whose Input.Object is outside the keyPrefix alone', async () => {
    emulator.faults.update({ rules: [{ operations: ['CreateMediaJobs'], dropAfterRate: 1, keyPrefix: 'a/' }] });
    const response = await postJob(emulator, transcodeBody('b/x.mp4'));
    expect(response.status, response.text).to.equal(200);
    expect(emulator.faults.stats()).to.deep.equal({});
    expect(await jobsOf(emulator, 'b/x.mp4')).to.have.length(1);
  });

  it('should match the Input.Object, not the output key', async () => {
    emulator.faults.update({ rules: [{ operations: ['CreateMediaJobs'], errorRate: 1, keyPrefix: 'a/' }] });
    const intoA = await postJob(emulator, transcodeBody('b/y.mp4', { output: 'a/out-${jobid}.${ext}' }));
    const fromA = await postJob(emulator, transcodeBody('a/y.mp4', { output: 'b/out-${jobid}.${ext}' }));
    expect([intoA.status, fromA.status, errorCode(fromA)]).to.deep.equal([200, 500, 'InternalError']);
  });

  it('should give a CreateMediaJobs body that does not parse no key', async () => {
    emulator.faults.update({ rules: [{ operations: ['CreateMediaJobs'], errorRate: 1, keyPrefix: '' }] });
    const garbage = await postJob(emulator, 'not xml');
    const valid = await postJob(emulator, transcodeBody('a/z.mp4'));
    expect([garbage.status, errorCode(garbage)]).to.deep.equal([400, 'InvalidArgument']);
    expect([valid.status, errorCode(valid)]).to.deep.equal([500, 'InternalError']);
  });

  it('should still refuse an oversized CreateMediaJobs body that a keyPrefix rule never matched', async () => {
    emulator.faults.update({ rules: [{ operations: ['CreateMediaJobs'], errorRate: 1, keyPrefix: '' }] });
    const response = await postJob(emulator, `<Request>${' '.repeat(1024 * 1024)}</Request>`);
    expect([response.status, errorCode(response)]).to.deep.equal([400, 'EntityTooLarge']);
  });

  it('should match a DescribeMediaJobs by its inputObject parameter', async () => {
    emulator.faults.update({ rules: [{ operations: ['DescribeMediaJobs'], errorRate: 1, keyPrefix: 'a/' }] });
    const statuses = [
      (await listJobs(emulator, { tag: 'Transcode', inputObject: 'a/x.mp4' })).status,
      (await listJobs(emulator, { tag: 'Transcode', inputObject: 'b/x.mp4' })).status,
      (await listJobs(emulator, { tag: 'Transcode' })).status,
      (await listJobs(emulator, { tag: 'Transcode', inputObject: '' })).status,
    ];
    expect(statuses).to.deep.equal([500, 200, 200, 200]);
    expect(emulator.faults.stats()).to.deep.equal({ 'error:DescribeMediaJobs': 1 });
  });
});
