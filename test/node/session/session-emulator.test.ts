import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { MemoryJobRecordStore } from '../../../src/core/jobs/job-records.js';
import type { JobRequest } from '../../../src/core/protocol/job-request-schemas.js';
import { listSessions } from '../../../src/core/session/session-storage.js';
import type { SessionJob, SessionSnapshot, TranscodeSessionOptions } from '../../../src/core/session/session-types.js';
import { createTranscodeSession } from '../../../src/core/session/transcode-session.js';
import { LoopbackTransport, type Emulator } from '../../../src/emulator/index.js';
import { NOT_MP4, SAMPLE } from '../../emulator/ci-support.js';
import { BUCKET, REGION, rawRequest, seedObject, startTestEmulator } from '../../helpers/emulator.js';
import { rejection } from '../../helpers/expect-error.js';
import { MapStorage } from '../../helpers/map-storage.js';
import { pageClient, submitAsEarlierPage } from '../jobs/emulator-jobs-setup.js';
import { widgetCredentials } from '../../helpers/widget-credentials.js';

const TEMPLATE = 't1460606b9752148c4ab182f55163ba7cd';
const MARK = 'cos-transcoder_session-2024';

/** A transcode of the session's key into `session/out/<job id>.mp4`, embedding {@link MARK}. */
const TRANSCODE: SessionJob = {
  Tag: 'Transcode',
  Operation: {
    TemplateId: TEMPLATE,
    Output: { Region: REGION, Bucket: BUCKET, Object: 'session/out/${jobid}.${ext}' },
    DigitalWatermark: { Type: 'Text', Message: MARK, Version: 'V1' },
  },
};

const EXTRACT: SessionJob = {
  Tag: 'ExtractDigitalWatermark',
  Operation: { ExtractDigitalWatermark: { Type: 'Text', Version: 'V1' } },
};

describe('TranscodeSession against the emulator', function () {
  this.timeout(30_000);
  let emulator: Emulator;
  let sample: Uint8Array<ArrayBuffer>;

  before(async () => {
    emulator = await startTestEmulator({ jobs: { queueDelayMs: 50, runMs: 300, progressSteps: 3 } });
    sample = new Uint8Array(await readFile(SAMPLE));
  });
  after(() => emulator.close());

  /** A session signed with STS credentials from the emulator (the demo host's policy), over real HTTP. */
  function session(options: Partial<TranscodeSessionOptions> & Pick<TranscodeSessionOptions, 'key' | 'job'>) {
    const { endpoints } = emulator;
    let credentialCalls = 0;
    const made = createTranscodeSession({
      bucket: BUCKET,
      region: REGION,
      getAuthorization: () => {
        credentialCalls += 1;
        return widgetCredentials(endpoints);
      },
      transport: new LoopbackTransport(),
      protocol: endpoints.protocol,
      domains: endpoints.domains,
      poll: { delays: [50], jitter: 0 },
      storage: new MapStorage(),
      ...options,
    });
    const snapshots: SessionSnapshot[] = [];
    made.subscribe((snapshot) => snapshots.push(snapshot));
    const phases = () => snapshots.map((s) => s.phase).filter((phase, i, all) => phase !== all[i - 1]);
    return { session: made, snapshots, phases, credentialCalls: () => credentialCalls };
  }

  /** The bytes a GET of `url` answers, over HTTP to the emulator. */
  async function get(url: string) {
    const target = new URL(url);
    const path = `${target.pathname}${target.search}`;
    return rawRequest(emulator, { method: 'GET', target: path, headers: { host: target.host } });
  }

  it('should upload a file, transcode it with a digital watermark and report the output', async () => {
    const file = new File([sample], 'sample.mp4', { type: 'video/mp4' });
    const { session: run, phases, snapshots } = session({ file, key: 'session/in/sample.mp4', job: TRANSCODE });
    const result = await run.start();
    expect(phases()).to.deep.equal(['uploading', 'submitting', 'processing', 'done']);
    expect(result.upload).to.include({ key: 'session/in/sample.mp4', size: sample.length });
    expect(result.job.status).to.equal('Success');
    expect(result.outputs).to.have.length(1);
    expect(result.outputs[0]!.key).to.match(/^session\/out\/j[0-9a-z]+\.mp4$/);
    expect(result.mediaInfo?.Format?.Duration).to.be.above(0);
    const progress = snapshots.filter((s) => s.phase === 'processing').map((s) => s.job!.progress.percent);
    expect(progress.at(-1)).to.equal(1);
    const output = await get(run.client.urlFor({ service: 'cos', key: result.outputs[0]!.key }));
    expect(output.status, 'the output is private: an unsigned GET is refused').to.equal(403);
  });

  it('should read the message back from the output with an extraction session on the existing object', async () => {
    const file = new File([sample], 'sample.mp4', { type: 'video/mp4' });
    const transcoded = await session({ file, key: 'session/in/extract.mp4', job: TRANSCODE }).session.start();
    const { session: extraction, phases } = session({ key: transcoded.outputs[0]!.key, job: EXTRACT });
    const result = await extraction.start();
    expect(result.extractedMessage).to.equal(MARK);
    expect(result.upload).to.equal(undefined);
    expect(phases()).to.deep.equal(['submitting', 'processing', 'done']);
  });

  it('should transcode an object already in the bucket, and fail clearly when there is none', async () => {
    await seedObject(emulator, 'session/seeded.mp4', SAMPLE);
    const result = await session({ key: 'session/seeded.mp4', job: TRANSCODE }).session.start();
    expect(result.outputs).to.have.length(1);
    const missing = session({ key: 'session/missing.mp4', job: TRANSCODE });
    const error = await rejection(missing.session.start());
    expect(error).to.include({ code: 'service', status: 404, serviceCode: 'NoSuchKey' });
    expect(missing.session.snapshot).to.include({ phase: 'failed', failedPhase: 'submitting' });
  });

  it('should submit a new job on retry after the job failed', async () => {
    await seedObject(emulator, 'session/broken.mp4', NOT_MP4);
    const { session: run, phases } = session({ key: 'session/broken.mp4', job: TRANSCODE });
    const error = await rejection(run.start());
    expect(error.code).to.equal('job-failed');
    expect(run.snapshot).to.include({ phase: 'failed', failedPhase: 'processing' });
    const failedJob = run.snapshot.job!.jobId;
    // The input is fixed; the retry submits a job on it again.
    await seedObject(emulator, 'session/broken.mp4', SAMPLE);
    const result = await run.retry();
    expect(result.job.jobId).to.not.equal(failedJob);
    expect(phases()).to.deep.equal(['submitting', 'processing', 'failed', 'submitting', 'processing', 'done']);
  });

  it('should find the running job of an earlier page after a reload, and list it meanwhile', async () => {
    const key = 'session/in/reload.mp4';
    const storage = new MapStorage();
    // The earlier page uploaded the file and submitted its job, then was reloaded while the job ran.
    await seedObject(emulator, key, SAMPLE);
    const records = new MemoryJobRecordStore();
    const request = { ...TRANSCODE, Input: { Object: key } } as JobRequest;
    const { jobId, fingerprint } = await submitAsEarlierPage(pageClient(emulator), request, records, 'answered');
    storage.setItem(`cos-transcoder:job:${fingerprint}`, JSON.stringify(records.get(fingerprint)));
    const listed = listSessions({ storage });
    expect(listed).to.have.length(1);
    expect(listed[0]).to.deep.include({ kind: 'job', bucket: BUCKET, region: REGION, key, tag: 'Transcode', jobId });
    const file = new File([sample], 'reload.mp4', { type: 'video/mp4' });
    const reloaded = session({ file, key, job: TRANSCODE, storage });
    const result = await reloaded.session.start();
    expect(result.job.jobId).to.equal(jobId);
    expect(reloaded.session.snapshot.jobOrigin).to.equal('reattached');
    expect(result.upload).to.equal(undefined);
    expect(reloaded.phases()).to.deep.equal(['submitting', 'processing', 'done']);
    expect(listSessions({ storage })).to.deep.equal([]);
  });

  it('should presign a GET of the uploaded object that answers its bytes, and nothing else', async () => {
    const file = new File([sample], 'presign.mp4', { type: 'video/mp4' });
    const { session: run } = session({ file, key: 'session/in/presign.mp4', job: TRANSCODE });
    const result = await run.start();
    const url = await run.presignObjectUrl({ key: 'session/in/presign.mp4' }, { expiresSeconds: 300 });
    expect(url).to.match(/[?&]x-cos-security-token=/);
    const response = await get(url);
    expect(response.status, response.text.slice(0, 200)).to.equal(200);
    expect(response.body.equals(Buffer.from(sample))).to.equal(true);
    const output = await get(await run.presignObjectUrl({ key: result.outputs[0]!.key }));
    expect(output.status).to.equal(200);
    const other = new URL(url);
    other.pathname = '/session/in/other.mp4';
    expect((await get(other.toString())).status, 'the signature covers the path').to.equal(403);
  });
});
