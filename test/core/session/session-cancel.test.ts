import { expect } from 'chai';
import { rejection } from '../../helpers/expect-error.js';
import {
  JOB_RECORD_ID,
  MiB,
  errorReply,
  expectLegalMoves,
  expectRequest,
  initiateReply,
  jobReply,
  line,
  lines,
  putReply,
  sessionSetup,
  until,
  uploadAndSubmit,
  failSecondPart,
  earlierJobId,
  recordEarlierJob,
} from './session-setup.js';

/** Whether `storage` holds a job record of the session's request. */
const hasJobRecord = (storage: Storage): boolean => storage.getItem(`cos-transcoder:job:${JOB_RECORD_ID}`) !== null;

describe('TranscodeSession.cancel', () => {
  it('should cancel an idle session without sending anything', async () => {
    const { session, transport, phases } = sessionSetup();
    await session.cancel();
    // The upload's own cancellation shows first.
    expect(phases()).to.deep.equal(['idle', 'cancelled']);
    expect(await rejection(session.start())).to.include({ code: 'aborted' });
    expect(transport.requests).to.have.length(0);
  });

  it('should cancel while looking for the job of an earlier page, uploading nothing', async () => {
    const { session, transport, storage, phases } = sessionSetup();
    recordEarlierJob(storage, earlierJobId());
    const done = rejection(session.start());
    const head = await transport.nextRequest();
    expect(line(head)).to.equal(lines.head);
    await session.cancel();
    expect(head.signal?.aborted).to.equal(true);
    expect(await done).to.include({ code: 'aborted' });
    expect(phases().at(-1)).to.equal('cancelled');
    expect(transport.requests).to.have.length(1);
  });

  it('should abort the multipart upload on the service while uploading', async () => {
    const { session, transport, phases, snapshots } = sessionSetup({ size: 2 * MiB });
    const done = rejection(session.start());
    await expectRequest(transport, lines.initiate, initiateReply);
    const part = await transport.nextRequest();
    const cancelled = session.cancel();
    expect(session.cancel()).to.equal(cancelled);
    await expectRequest(transport, lines.abort, { status: 204 });
    await cancelled;
    expect(part.signal?.aborted).to.equal(true);
    expect(await done).to.include({ code: 'aborted' });
    expect(phases()).to.deep.equal(['uploading', 'cancelled']);
    expect(session.snapshot.upload?.status).to.equal('cancelled');
    expectLegalMoves(snapshots);
    expect(transport.unclaimed).to.equal(0);
  });

  it('should abort the submission while submitting, keeping the pending record of a POST that left', async () => {
    const { session, transport, storage, phases } = sessionSetup();
    const done = rejection(session.start());
    await expectRequest(transport, lines.put, putReply);
    const submit = await transport.nextRequest();
    expect(line(submit)).to.equal(lines.submit);
    await session.cancel();
    expect(submit.signal?.aborted).to.equal(true);
    expect(await done).to.include({ code: 'aborted' });
    expect(phases()).to.deep.equal(['uploading', 'submitting', 'cancelled']);
    // The POST may have created the job: the next session with these inputs looks for it before submitting.
    expect(hasJobRecord(storage)).to.equal(true);
  });

  it('should reject when the abort did not reach the service, and abort again at the next cancel', async () => {
    const { session, transport, phases } = sessionSetup({ size: 2 * MiB });
    const failed = rejection(session.start());
    await failSecondPart(transport);
    await failed;
    const cancelled = rejection(session.cancel());
    await expectRequest(transport, lines.abort, errorReply(403, 'AccessDenied'));
    expect(await cancelled).to.include({ status: 403 });
    expect(phases().at(-1)).to.equal('cancelled');
    const again = session.cancel();
    await expectRequest(transport, lines.abort, { status: 204 });
    await again;
    await session.cancel();
    expect(transport.unclaimed).to.equal(0);
  });

  it('should cancel the job on the service while it is still Submitted', async () => {
    const { session, transport, storage, phases } = sessionSetup({ poll: { delays: [60_000], jitter: 0 } });
    const done = rejection(session.start());
    await uploadAndSubmit(transport);
    await until(() => session.snapshot.phase === 'processing', 'processing');
    const cancelled = session.cancel();
    await expectRequest(transport, lines.cancel(), { status: 200 });
    await cancelled;
    expect(await done).to.include({ code: 'aborted' });
    expect(phases()).to.deep.equal(['uploading', 'submitting', 'processing', 'cancelled']);
    expect(hasJobRecord(storage)).to.equal(false);
  });

  it('should stop following a running job (which the service runs on) and forget its record', async () => {
    const { session, transport, storage, phases } = sessionSetup({ poll: { delays: [1, 60_000], jitter: 0 } });
    const done = rejection(session.start());
    await uploadAndSubmit(transport);
    await expectRequest(transport, lines.poll(), jobReply('Running'));
    await until(() => session.snapshot.job?.status === 'Running', 'Running');
    expect(hasJobRecord(storage)).to.equal(true);
    await session.cancel();
    expect(await done).to.include({ code: 'aborted' });
    expect(phases()).to.deep.equal(['uploading', 'submitting', 'processing', 'cancelled']);
    expect(transport.requests.map(line)).to.not.include(lines.cancel());
    expect(hasJobRecord(storage)).to.equal(false);
  });

  it('should stop following when the service refuses to cancel a job that just started', async () => {
    const { session, transport, phases } = sessionSetup({ poll: { delays: [60_000], jitter: 0 } });
    const done = rejection(session.start());
    await uploadAndSubmit(transport);
    await until(() => session.snapshot.phase === 'processing', 'processing');
    const cancelled = session.cancel();
    await expectRequest(transport, lines.cancel(), errorReply(400, 'InvalidParameter'));
    await cancelled;
    await done;
    expect(phases().at(-1)).to.equal('cancelled');
  });

  it('should abort the upload left by a failed upload when cancelled from failed', async () => {
    const { session, transport, phases, snapshots } = sessionSetup({ size: 2 * MiB });
    const failed = rejection(session.start());
    await failSecondPart(transport);
    await failed;
    const cancelled = session.cancel();
    await expectRequest(transport, lines.abort, { status: 204 });
    await cancelled;
    expect(phases()).to.deep.equal(['uploading', 'failed', 'cancelled']);
    expectLegalMoves(snapshots);
    expect(await rejection(session.retry())).to.include({ code: 'aborted' });
  });

  it('should cancel when its signal aborts', async () => {
    const controller = new AbortController();
    const { session, transport } = sessionSetup({ signal: controller.signal });
    const done = rejection(session.start());
    const put = await transport.nextRequest();
    controller.abort();
    expect(await done).to.include({ code: 'aborted' });
    await until(() => session.snapshot.phase === 'cancelled', 'cancelled');
    expect(put.signal?.aborted).to.equal(true);
  });

  it('should change nothing once done', async () => {
    const { session, transport } = sessionSetup();
    const done = session.start();
    await uploadAndSubmit(transport);
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    await done;
    await session.cancel();
    expect(session.snapshot.phase).to.equal('done');
    expect(transport.unclaimed).to.equal(0);
  });
});
