import { expect } from 'chai';
import { rejection } from '../../helpers/expect-error.js';
import {
  JOB_ID,
  MiB,
  SECOND_JOB_ID,
  completeReply,
  errorReply,
  expectLegalMoves,
  expectRequest,
  headReply,
  jobReply,
  lines,
  partReply,
  putReply,
  sessionSetup,
  submitReply,
  uploadAndSubmit,
  failSecondPart,
} from './session-setup.js';

/** The phases of a session whose job failed and was submitted again. */
const RESUBMITTED = ['uploading', 'submitting', 'processing', 'failed', 'submitting', 'processing', 'done'];

describe('TranscodeSession.retry', () => {
  it('should resume a failed multipart upload without sending its acknowledged parts again', async () => {
    const { session, transport, snapshots, phases } = sessionSetup({ size: 2 * MiB });
    const failed = rejection(session.start());
    await failSecondPart(transport);
    await failed;
    expect(session.snapshot).to.include({ phase: 'failed', failedPhase: 'uploading' });
    const done = session.retry();
    expect(session.retry()).to.equal(done);
    await expectRequest(transport, lines.part(2), partReply);
    await expectRequest(transport, lines.complete, completeReply(2));
    await expectRequest(transport, lines.submit, submitReply());
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    const result = await done;
    expect(result.upload?.multipart).to.equal(true);
    expect(phases()).to.deep.equal(['uploading', 'failed', 'uploading', 'submitting', 'processing', 'done']);
    expectLegalMoves(snapshots);
  });

  it('should submit again without uploading after a failed submission', async () => {
    const { session, transport, phases } = sessionSetup();
    const failed = rejection(session.start());
    await expectRequest(transport, lines.put, putReply);
    await expectRequest(transport, lines.submit, errorReply(400, 'InvalidArgument'));
    const error = await failed;
    expect(error).to.include({ phase: 'submit', status: 400 });
    expect(session.snapshot).to.include({ phase: 'failed', failedPhase: 'submitting', error });
    const done = session.retry();
    await expectRequest(transport, lines.submit, submitReply());
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    expect((await done).upload?.key).to.equal('input/a.mp4');
    expect(phases()).to.deep.equal(['uploading', 'submitting', 'failed', 'submitting', 'processing', 'done']);
    expect(transport.requests.filter((r) => r.method === 'PUT')).to.have.length(1);
  });

  it('should check the object again and submit after a failed existing-object submission', async () => {
    const { session, transport, phases } = sessionSetup({ size: 0 });
    const failed = rejection(session.start());
    await expectRequest(transport, lines.head, { status: 404 });
    await failed;
    const done = session.start();
    await expectRequest(transport, lines.head, headReply(10));
    await expectRequest(transport, lines.submit, submitReply());
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    await done;
    expect(phases()).to.deep.equal(['submitting', 'failed', 'submitting', 'processing', 'done']);
  });

  it('should submit a new job after the job failed', async () => {
    const { session, transport, phases, snapshots } = sessionSetup();
    const failed = rejection(session.start());
    await uploadAndSubmit(transport);
    await expectRequest(transport, lines.poll(), jobReply('Failed'));
    const error = await failed;
    expect(error).to.include({ code: 'job-failed', serviceCode: 'InvalidInput' });
    expect(session.snapshot).to.include({ phase: 'failed', failedPhase: 'processing', error });
    expect(session.snapshot.job?.status).to.equal('Failed');
    const done = session.retry();
    await expectRequest(transport, lines.submit, submitReply(SECOND_JOB_ID));
    await expectRequest(transport, lines.poll(SECOND_JOB_ID), jobReply('Success', SECOND_JOB_ID));
    const result = await done;
    expect(result.job.jobId).to.equal(SECOND_JOB_ID);
    expect(phases()).to.deep.equal(RESUBMITTED);
    expectLegalMoves(snapshots);
  });

  it('should follow the same job again, submitting nothing, after its tracking failed', async () => {
    const { session, transport, phases, snapshots } = sessionSetup();
    const failed = rejection(session.start());
    await uploadAndSubmit(transport);
    await expectRequest(transport, lines.poll(), jobReply('Running'));
    await expectRequest(transport, lines.poll(), errorReply(403, 'AccessDenied'));
    const error = await failed;
    expect(error).to.include({ phase: 'track', status: 403 });
    expect(session.snapshot).to.include({ phase: 'failed', failedPhase: 'processing' });
    const done = session.retry();
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    expect((await done).job.jobId).to.equal(JOB_ID);
    expect(phases()).to.deep.equal(['uploading', 'submitting', 'processing', 'failed', 'processing', 'done']);
    expectLegalMoves(snapshots);
    expect(transport.requests.filter((r) => r.path === '/jobs')).to.have.length(1);
  });

  it('should submit a new job when the service no longer knows the one followed', async () => {
    const { session, transport, phases } = sessionSetup();
    const failed = rejection(session.start());
    await uploadAndSubmit(transport);
    await expectRequest(transport, lines.poll(), {
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: `<Response><NonExistJobIds>${JOB_ID}</NonExistJobIds></Response>`,
    });
    await failed;
    const done = session.retry();
    await expectRequest(transport, lines.submit, submitReply(SECOND_JOB_ID));
    await expectRequest(transport, lines.poll(SECOND_JOB_ID), jobReply('Success', SECOND_JOB_ID));
    await done;
    expect(phases()).to.deep.equal(RESUBMITTED);
  });

  it('should be start() outside the failed phase', async () => {
    const { session, transport } = sessionSetup();
    const done = session.retry();
    expect(session.start()).to.equal(done);
    await uploadAndSubmit(transport);
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    await done;
  });
});
