import { expect } from 'chai';
import { callbackBody } from '../../helpers/job-simulation.js';
import { rejection, thrown } from '../../helpers/expect-error.js';
import { createTranscodeSession } from '../../../src/core/session/transcode-session.js';
import {
  BUCKET,
  JOB,
  JOB_ID,
  KEY,
  OUTPUT_KEY,
  REGION,
  MiB,
  completeReply,
  errorReply,
  expectLegalMoves,
  expectRequest,
  headReply,
  initiateReply,
  jobReply,
  lines,
  partReply,
  putReply,
  sessionSetup,
  submitReply,
  until,
  uploadAndSubmit,
} from './session-setup.js';

describe('createTranscodeSession', () => {
  it('should upload, submit on the key, follow the job and resolve with its results', async () => {
    const { session, transport, snapshots, phases } = sessionSetup();
    const done = session.start();
    await expectRequest(transport, lines.put, putReply);
    const submit = await expectRequest(transport, lines.submit, submitReply());
    expect(String(submit.body)).to.contain(`<Input><Object>${KEY}</Object></Input>`);
    await expectRequest(transport, lines.poll(), jobReply('Running'));
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    const result = await done;
    expect(phases()).to.deep.equal(['uploading', 'submitting', 'processing', 'done']);
    expectLegalMoves(snapshots);
    expect(result.upload?.key).to.equal(KEY);
    expect(result.job.status).to.equal('Success');
    expect(result.outputs.map((output) => output.key)).to.deep.equal([OUTPUT_KEY]);
    expect(result.mediaInfo?.Format?.Duration).to.equal(60);
    expect(session.snapshot).to.include({ phase: 'done', result, jobOrigin: 'submitted' });
    expect(session.snapshot.job?.jobId).to.equal(JOB_ID);
  });

  it('should show the upload and the job in its snapshots, the file described', async () => {
    const { session, transport, snapshots } = sessionSetup();
    const done = session.start();
    await uploadAndSubmit(transport);
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    await done;
    const file = { name: 'a.mp4', size: 1000, type: 'video/mp4' };
    expect(snapshots[0]).to.deep.include({ phase: 'uploading', file });
    expect(snapshots.filter((s) => s.phase === 'uploading').map((s) => s.upload?.status)).to.include('done');
    const processing = snapshots.filter((s) => s.phase === 'processing').map((s) => s.job?.status);
    expect(processing).to.deep.equal(['Submitted', 'Success']);
  });

  it('should return the same promise while running, and the result once done', async () => {
    const { session, transport } = sessionSetup();
    const first = session.start();
    expect(session.start()).to.equal(first);
    await uploadAndSubmit(transport);
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    const result = await first;
    expect(await session.start()).to.equal(result);
    expect(transport.unclaimed).to.equal(0);
  });

  it('should transcode the object already at the key after a HEAD, without uploading', async () => {
    const { session, transport, phases, snapshots } = sessionSetup({ size: 0 });
    const done = session.start();
    await expectRequest(transport, lines.head, headReply(4096));
    await expectRequest(transport, lines.submit, submitReply());
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    const result = await done;
    expect(result.upload).to.equal(undefined);
    expect(phases()).to.deep.equal(['submitting', 'processing', 'done']);
    expectLegalMoves(snapshots);
    expect(session.snapshot.file).to.equal(undefined);
  });

  it('should fail with NoSuchKey, before submitting, when the object at the key is missing', async () => {
    const { session, transport } = sessionSetup({ size: 0 });
    const done = rejection(session.start());
    await expectRequest(transport, lines.head, { status: 404 });
    const error = await done;
    expect(error).to.include({ code: 'service', status: 404, serviceCode: 'NoSuchKey', phase: 'submit' });
    expect(error.message).to.contain(`"${KEY}" does not exist`);
    expect(session.snapshot).to.include({ phase: 'failed', error, failedPhase: 'submitting' });
    expect(transport.requests).to.have.length(1);
  });

  it('should end with done when a relayed callback reports Success', async () => {
    const { session, transport } = sessionSetup({ poll: { delays: [60_000], jitter: 0 } });
    expect(session.deliver(callbackBody('Success'))).to.equal(false);
    const done = session.start();
    await uploadAndSubmit(transport);
    await until(() => session.snapshot.phase === 'processing', 'processing');
    expect(session.deliver(callbackBody('Success'))).to.equal(true);
    expect((await done).job.source).to.equal('callback');
    expect(transport.requests).to.have.length(2);
  });

  it('should pause and resume the upload while uploading, and do nothing in other phases', async () => {
    const { session, transport, snapshots } = sessionSetup({ size: 2 * MiB });
    session.pause();
    const done = session.start();
    await expectRequest(transport, lines.initiate, initiateReply);
    const part = await transport.nextRequest();
    session.pause();
    expect(session.snapshot).to.deep.include({ phase: 'uploading' });
    expect(session.snapshot.upload?.status).to.equal('paused');
    expect(part.signal?.aborted).to.equal(true);
    session.resume();
    await expectRequest(transport, lines.part(1), partReply);
    await expectRequest(transport, lines.part(2), partReply);
    await expectRequest(transport, lines.complete, completeReply(2));
    await expectRequest(transport, lines.submit, submitReply());
    await until(() => session.snapshot.phase === 'processing', 'processing');
    session.pause();
    expect(session.snapshot.phase).to.equal('processing');
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    await done;
    const statuses = snapshots.map((s) => s.upload?.status).filter((s, i, all) => s !== all[i - 1]);
    expect(statuses).to.deep.equal(['uploading', 'paused', 'uploading', 'completing', 'done']);
  });

  it('should give listeners the final snapshot, then drop them', async () => {
    const { session, transport } = sessionSetup();
    const seen: string[] = [];
    session.subscribe((s) => seen.push(s.phase));
    const done = session.start();
    await uploadAndSubmit(transport);
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    await done;
    expect(seen.at(-1)).to.equal('done');
    const count = seen.length;
    session.pause();
    await session.cancel();
    expect(seen).to.have.length(count);
    expect(session.snapshot.phase).to.equal('done');
  });

  it('should throw invalid-options, sending nothing, for bad options', () => {
    const { transport, authorizer } = sessionSetup();
    const base = { bucket: BUCKET, region: REGION, transport, authorizer, key: KEY, job: JOB };
    const invalid = { code: 'invalid-options' };
    expect(thrown(() => createTranscodeSession({ ...base, key: '/a.mp4' })).message).to.contain('key');
    expect(thrown(() => createTranscodeSession({ ...base, authorizer: undefined }))).to.include(invalid);
    expect(thrown(() => createTranscodeSession({ ...base, bucket: 'no' }))).to.include(invalid);
    const { TemplateId: _template, ...withoutTemplate } = (JOB as Extract<typeof JOB, { Tag: 'Transcode' }>).Operation;
    const noTemplate = { Tag: 'Transcode', Operation: withoutTemplate } as unknown as typeof JOB;
    const error = thrown(() => createTranscodeSession({ ...base, job: noTemplate }));
    expect(error).to.include({ code: 'invalid-options', phase: 'options' });
    expect(error.message).to.contain('TemplateId');
    const notAFile = 'a.mp4' as unknown as Blob;
    expect(thrown(() => createTranscodeSession({ ...base, file: notAFile })).message).to.contain('file');
    expect(transport.requests).to.have.length(0);
  });

  it('should fail in the upload phase with the upload error', async () => {
    const { session, transport } = sessionSetup();
    const done = rejection(session.start());
    await expectRequest(transport, lines.put, errorReply(403, 'AccessDenied'));
    const error = await done;
    expect(error).to.include({ code: 'service', status: 403, serviceCode: 'AccessDenied' });
    expect(session.snapshot).to.include({ phase: 'failed', failedPhase: 'uploading', error });
  });
});
