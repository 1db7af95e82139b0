import { expect } from 'chai';
import { listSessions } from '../../../src/core/session/session-storage.js';
import { rejection } from '../../helpers/expect-error.js';
import {
  BUCKET,
  JOB_ID,
  KEY,
  MiB,
  NOW,
  REGION,
  completeReply,
  expectLegalMoves,
  expectRequest,
  headReply,
  jobReply,
  lines,
  listPartOneReply,
  partReply,
  putReply,
  sessionSetup,
  submitReply,
  until,
  uploadAndSubmit,
  failSecondPart,
  earlierJobId,
  recordEarlierJob,
} from './session-setup.js';

describe('TranscodeSession after a reload', () => {
  it('should follow the running job of an earlier page instead of uploading and submitting again', async () => {
    const { session, transport, storage, data, snapshots, phases } = sessionSetup();
    const jobId = earlierJobId();
    recordEarlierJob(storage, jobId);
    const done = session.start();
    await expectRequest(transport, lines.head, headReply(data.length));
    await expectRequest(transport, lines.poll(jobId), jobReply('Running', jobId));
    await expectRequest(transport, lines.poll(jobId), jobReply('Success', jobId));
    const result = await done;
    expect(result.upload).to.equal(undefined);
    expect(result.job.jobId).to.equal(jobId);
    expect(session.snapshot.jobOrigin).to.equal('reattached');
    expect(phases()).to.deep.equal(['submitting', 'processing', 'done']);
    expectLegalMoves(snapshots);
    expect(listSessions({ storage, now: NOW })).to.deep.equal([]);
  });

  it('should upload and submit when the object at the key is not the file of the earlier job', async () => {
    const { session, transport, storage } = sessionSetup();
    recordEarlierJob(storage, earlierJobId());
    const done = session.start();
    await expectRequest(transport, lines.head, headReply(12));
    await expectRequest(transport, lines.put, putReply);
    // The earlier job read other bytes: a new one is submitted for this file.
    await expectRequest(transport, lines.submit, submitReply());
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    await done;
    expect(session.snapshot.jobOrigin).to.equal('submitted');
  });

  it('should find the job of an earlier page without a file too', async () => {
    const { session, transport, storage } = sessionSetup({ size: 0 });
    const jobId = earlierJobId();
    recordEarlierJob(storage, jobId);
    const done = session.start();
    await expectRequest(transport, lines.head, headReply(10));
    await expectRequest(transport, lines.poll(jobId), jobReply('Running', jobId));
    await expectRequest(transport, lines.poll(jobId), jobReply('Success', jobId));
    await done;
    expect(session.snapshot.jobOrigin).to.equal('reattached');
  });

  it('should resume the half-done upload of an earlier page from its record', async () => {
    const first = sessionSetup({ size: 2 * MiB });
    const failed = rejection(first.session.start());
    await failSecondPart(first.transport);
    await failed;
    const inFlight = listSessions({ storage: first.storage, now: NOW });
    expect(inFlight).to.deep.equal([
      { kind: 'upload', bucket: BUCKET, region: REGION, key: KEY, size: 2 * MiB, createdAt: NOW },
    ]);
    // The reloaded page: a new session of the same file and key over the same storage.
    const reloaded = first.makeSession();
    const done = reloaded.start();
    const { transport } = first;
    await expectRequest(transport, lines.list, listPartOneReply);
    await expectRequest(transport, lines.part(2), partReply);
    await expectRequest(transport, lines.complete, completeReply(2));
    await expectRequest(transport, lines.submit, submitReply());
    await expectRequest(transport, lines.poll(), jobReply('Success'));
    const result = await done;
    expect(result.upload?.resumedParts).to.equal(1);
    expect(listSessions({ storage: first.storage, now: NOW })).to.deep.equal([]);
  });

  it('should list a submitted job until the session sees it end', async () => {
    const { session, transport, storage } = sessionSetup({ poll: { delays: [60_000], jitter: 0 } });
    const done = session.start();
    await uploadAndSubmit(transport);
    await until(() => session.snapshot.phase === 'processing', 'processing');
    const listed = listSessions({ storage, now: NOW });
    expect(listed).to.deep.equal([
      { kind: 'job', bucket: BUCKET, region: REGION, key: KEY, tag: 'Transcode', jobId: JOB_ID, createdAt: NOW },
    ]);
    expect(JSON.stringify(listed)).to.not.match(/secret|token|authorization/i);
    expect(session.deliver(jobCallback())).to.equal(true);
    await done;
    expect(listSessions({ storage, now: NOW })).to.deep.equal([]);
  });

  it('should leave out records that are invalid or expired', () => {
    const { storage } = sessionSetup();
    recordEarlierJob(storage, earlierJobId());
    storage.setItem('cos-transcoder:job:0000000000000000', '{"version":1,"fingerprint":"<script>"}');
    expect(listSessions({ storage, now: NOW }).map((item) => item.kind)).to.deep.equal(['job']);
    expect(listSessions({ storage, now: NOW + 25 * 3600 * 1000 })).to.deep.equal([]);
  });
});

/** A `TaskFinish` callback reporting the job's success. */
function jobCallback(): string {
  return jobReply('Success').body!.replace('<Response>', '<Response><EventName>TaskFinish</EventName>');
}
