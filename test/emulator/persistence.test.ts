// What the cloud does not forget, the emulator keeps across a restart on the same data folder: multipart uploads in
// progress (with their parts) and media jobs (with their states). Everything goes through startEmulator and HTTP.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import {
  parseCompleteMultipartUploadResult,
  parseListMultipartUploadsResult,
  parseListPartsResult,
} from '../../src/core/protocol/cos-document.js';
import { parseJobsResponse, type JobsDetail } from '../../src/core/protocol/ci-schemas.js';
import { INTERRUPTED_CODE, INTERRUPTED_MESSAGE } from '../../src/emulator/ci/ci-module.js';
import { JobFiles } from '../../src/emulator/ci/job-files.js';
import { JobStore, type Job } from '../../src/emulator/ci/job-store.js';
import type { Emulator } from '../../src/emulator/index.js';
import { MiB, crcOf, md5Hex, multipartCalls, multipartEtag } from '../helpers/cos-multipart.js';
import { permanentKeys, seedObject, send, startTestEmulator } from '../helpers/emulator.js';
import { SAMPLE, cancelJob, describeJob, listJobs, submit, transcodeBody, waitForJob } from './ci-support.js';

describe('emulator: multipart uploads survive a restart', function () {
  this.timeout(20_000);
  let dir: string;
  let emulator: Emulator;
  const calls = multipartCalls(() => emulator);
  const KEY = 'kept/视频 1.mp4';
  const parts = [randomBytes(MiB), randomBytes(MiB + 3), randomBytes(777)];
  let uploadId: string;
  let dropped: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cos-emulator-persist-'));
    emulator = await startTestEmulator({ dataDir: dir });
    uploadId = await calls.initiate(KEY, { 'content-type': 'video/mp4', 'x-cos-meta-origin': 'before-restart' });
    expect((await calls.uploadPart(KEY, uploadId, 1, parts[0]!)).status).to.equal(200);
    expect((await calls.uploadPart(KEY, uploadId, 2, randomBytes(MiB))).status).to.equal(200);
    expect((await calls.uploadPart(KEY, uploadId, 2, parts[1]!)).status).to.equal(200);
    dropped = await calls.initiate('kept/dropped.bin');
    expect((await calls.uploadPart('kept/dropped.bin', dropped, 1, randomBytes(10))).status).to.equal(200);
    await emulator.close();
    // Left by a crash or by something else: an upload folder without metadata, one with corrupt metadata, a stray file.
    const uploads = join(emulator.dataDir, 'uploads');
    await mkdir(join(uploads, `1${'a'.repeat(62)}`));
    await mkdir(join(uploads, `2${'b'.repeat(62)}`));
    await writeFile(join(uploads, `2${'b'.repeat(62)}`, 'upload.json'), '{"uploadId": "2bbb", "bucket": ');
    await writeFile(join(uploads, 'stray.txt'), 'x');
    emulator = await startTestEmulator({ dataDir: dir });
  });
  after(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should list the uploads in progress, and only them', async () => {
    const listed = parseListMultipartUploadsResult((await calls.listUploads({})).text);
    expect(listed.Upload.map((upload) => [upload.Key, upload.UploadId])).to.deep.equal([
      ['kept/dropped.bin', dropped],
      [KEY, uploadId],
    ]);
    expect((await readdir(join(emulator.dataDir, 'uploads'))).sort()).to.deep.equal([dropped, uploadId].sort());
  });

  it('should list the parts uploaded before the restart, the re-uploaded one as last sent', async () => {
    const response = await calls.cos('GET', KEY, { uploadId });
    expect(response.status, response.text).to.equal(200);
    const listed = parseListPartsResult(response.text);
    expect(listed.Part.map((part) => [part.PartNumber, part.ETag, part.Size])).to.deep.equal([
      [1, `"${md5Hex(parts[0]!)}"`, parts[0]!.length],
      [2, `"${md5Hex(parts[1]!)}"`, parts[1]!.length],
    ]);
  });

  it('should continue the upload and complete it into the right object (ETag, CRC-64, bytes, headers)', async () => {
    const third = await calls.uploadPart(KEY, uploadId, 3, parts[2]!);
    expect(third.status).to.equal(200);
    const completed = await calls.complete(KEY, uploadId, [
      { PartNumber: 1, ETag: `"${md5Hex(parts[0]!)}"` },
      { PartNumber: 2, ETag: `"${md5Hex(parts[1]!)}"` },
      { PartNumber: 3, ETag: third.headers['etag'] as string },
    ]);
    expect(completed.status, completed.text).to.equal(200);
    expect(parseCompleteMultipartUploadResult(completed.text).ETag).to.equal(multipartEtag(parts));
    expect(completed.headers['x-cos-hash-crc64ecma']).to.equal(crcOf(...parts));
    const keys = permanentKeys(emulator);
    const object = await send(emulator, { service: 'cos', method: 'GET', path: `/${KEY}`, keys });
    expect(object.body.equals(Buffer.concat(parts))).to.equal(true);
    expect(object.headers['etag']).to.equal(multipartEtag(parts));
    expect(object.headers['content-type']).to.equal('video/mp4');
    expect(object.headers['x-cos-meta-origin']).to.equal('before-restart');
  });

  it('should abort an upload of the earlier run, for good', async () => {
    expect((await calls.cos('DELETE', 'kept/dropped.bin', { uploadId: dropped })).status).to.equal(204);
    await emulator.close();
    emulator = await startTestEmulator({ dataDir: dir });
    const listed = parseListMultipartUploadsResult((await calls.listUploads({})).text);
    expect(listed.Upload).to.deep.equal([]);
    expect(await readdir(join(emulator.dataDir, 'uploads'))).to.deep.equal([]);
  });
});

describe('emulator: media jobs survive a restart', function () {
  this.timeout(30_000);
  let dir: string;
  let emulator: Emulator | undefined;
  const callbacks: string[] = [];
  const listener = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      callbacks.push(body);
      res.end();
    });
  });
  const callbackUrl = () => `http://127.0.0.1:${(listener.address() as AddressInfo).port}/cb`;
  /** Ids of the jobs: ended before the first stop, running and waiting at the second stop, cancelled. */
  const ids = { done: '', running: '', waiting: '', cancelled: '', later: '' };
  let doneBefore: JobsDetail;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cos-emulator-jobs-'));
    await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done));
    emulator = await startTestEmulator({ dataDir: dir });
    await seedObject(emulator, 'input/sample.mp4', SAMPLE);
    ids.done = (await submit(emulator, transcodeBody('input/sample.mp4'))).JobId;
    doneBefore = await waitForJob(emulator, ids.done, { timeoutMs: 8000 });
    expect(doneBefore.State).to.equal('Success');
    await emulator.close();

    emulator = await startTestEmulator({ dataDir: dir, jobs: { workers: 1, queueDelayMs: 10, runMs: 60_000 } });
    const withCallback = transcodeBody('input/sample.mp4', { notification: { CallBack: callbackUrl() } });
    ids.running = (await submit(emulator, withCallback)).JobId;
    await waitForJob(emulator, ids.running, { states: ['Running'] });
    ids.waiting = (await submit(emulator, transcodeBody('input/sample.mp4'))).JobId;
    ids.cancelled = (await submit(emulator, transcodeBody('input/sample.mp4'))).JobId;
    expect((await cancelJob(emulator, ids.cancelled)).status).to.equal(200);
    await emulator.close();
    // A job file cut short by a crash, and a file that is no job: skipped.
    await mkdir(join(emulator.dataDir, 'jobs'), { recursive: true });
    await writeFile(join(emulator.dataDir, 'jobs', `j${'c'.repeat(32)}.json`), '{"version":1,"id":');
    await writeFile(join(emulator.dataDir, 'jobs', 'notes.txt'), 'not a job');
    emulator = await startTestEmulator({ dataDir: dir });
  });
  after(async () => {
    await emulator?.close();
    listener.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should describe a job that ended before the restart exactly as before', async () => {
    expect(await describeJob(emulator!, ids.done)).to.deep.equal(doneBefore);
  });

  it('should end a job that was running Failed with InternalError, and send its callback', async () => {
    const job = await describeJob(emulator!, ids.running);
    expect([job.State, job.Code, job.Message]).to.deep.equal(['Failed', INTERRUPTED_CODE, INTERRUPTED_MESSAGE]);
    expect(job.Message).to.match(/emulator stopped while the job was running/);
    const deadline = Date.now() + 3000;
    while (callbacks.length === 0 && Date.now() < deadline) await sleep(10);
    expect(callbacks).to.have.length(1);
    expect(callbacks[0]).to.contain(`<JobId>${ids.running}</JobId>`).and.to.contain('<State>Failed</State>');
    expect(callbacks[0]).to.contain(`<Code>${INTERRUPTED_CODE}</Code>`);
  });

  it('should queue a job that was waiting again, and run it', async () => {
    expect((await waitForJob(emulator!, ids.waiting, { timeoutMs: 8000 })).State).to.equal('Success');
  });

  it('should keep a cancelled job cancelled', async () => {
    expect((await describeJob(emulator!, ids.cancelled)).State).to.equal('Cancel');
  });

  it('should list the old jobs with their states, a new job after them, and no corrupt file', async () => {
    ids.later = (await submit(emulator!, transcodeBody('input/sample.mp4'))).JobId;
    await waitForJob(emulator!, ids.later, { timeoutMs: 8000 });
    const response = await listJobs(emulator!, { tag: 'Transcode', orderByTime: 'Asc', size: '100' });
    const listed = parseJobsResponse(response.text, 'track').JobsDetail.map((job) => [job.JobId, job.State]);
    expect(listed).to.deep.equal([
      [ids.done, 'Success'],
      [ids.running, 'Failed'],
      [ids.waiting, 'Success'],
      [ids.cancelled, 'Cancel'],
      [ids.later, 'Success'],
    ]);
    expect((await readdir(join(emulator!.dataDir, 'jobs'))).sort()).to.deep.equal(
      Object.values(ids).map((id) => `${id}.json`).sort(),
    );
  });

  it('should write each change of state, so that a second restart finds the same jobs', async () => {
    const before = await Promise.all(Object.values(ids).map((id) => describeJob(emulator!, id)));
    await emulator!.close();
    emulator = await startTestEmulator({ dataDir: dir });
    const after = await Promise.all(Object.values(ids).map((id) => describeJob(emulator!, id)));
    expect(after).to.deep.equal(before);
  });
});

describe('emulator: the jobs\' files follow the cap on stored jobs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cos-emulator-evict-'));
    await mkdir(join(dir, 'tmp'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const job = (seq: number, state: Job['state']): Job => ({
    id: `j${seq.toString(16).padStart(32, '0')}`,
    bucket: 'examplebucket-1250000000',
    region: 'ap-guangzhou',
    seq,
    request: { Tag: 'Transcode', Input: { Object: 'in.mp4' }, Operation: {} } as unknown as Job['request'],
    level: 0,
    queueId: 'p0',
    queueType: 'Common',
    creationTime: 1_700_000_000_000 + seq,
    templateName: undefined,
    outputExtension: 'mp4',
    state,
    progress: 0,
    code: 'Success',
    message: '',
    startTime: undefined,
    endTime: undefined,
    result: {},
  });

  it('should delete the file of an evicted job, keep the others, and read them back in order', async () => {
    const files = new JobFiles(dir);
    await files.load();
    const store = new JobStore(files, 3);
    store.add(job(1, 'Success'));
    store.add(job(2, 'Submitted'));
    store.add(job(3, 'Failed'));
    store.add(job(4, 'Cancel'));
    await files.flush();
    const kept = [2, 3, 4].map((seq) => `${job(seq, 'Success').id}.json`);
    expect((await readdir(join(dir, 'jobs'))).sort()).to.deep.equal(kept);
    const again = (await new JobFiles(dir).load()).map((entry) => [entry.seq, entry.state]);
    expect(again).to.deep.equal([[2, 'Submitted'], [3, 'Failed'], [4, 'Cancel']]);
    expect(await readdir(join(dir, 'tmp'))).to.deep.equal([]);
  });
});
