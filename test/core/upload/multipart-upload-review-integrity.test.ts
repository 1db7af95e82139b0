import { expect } from 'chai';
import { rejection } from '../../helpers/expect-error.js';
import {
  MiB,
  WRONG_CRC,
  answerPart,
  answerParts,
  completeReply,
  crcOf,
  errorReply,
  expectMonotonic,
  initiateReply,
  line,
  objectEtag,
  partEtag,
  statusesOf,
  uploadSetup,
  NEW_UPLOAD_ID,
  lines,
} from '../../helpers/upload-setup.js';

const SIZE = 3 * MiB;
const NEW_ID = NEW_UPLOAD_ID;
const part = lines.part;
const INITIATE = lines.initiate;
const COMPLETE = lines.complete;
const HEAD = lines.head;

/** An upload of 3 parts whose first Complete lost its answer and whose resend found no upload: HEAD is next. */
async function untilHead() {
  const setup = uploadSetup({ size: SIZE });
  const done = setup.upload.start();
  (await setup.transport.nextRequest()).respondWith(initiateReply());
  await answerParts(setup.transport, 3);
  const complete = await setup.transport.nextRequest();
  expect(line(complete)).to.equal(COMPLETE());
  complete.fail('network');
  const resent = await setup.transport.nextRequest();
  expect(line(resent)).to.equal(COMPLETE());
  resent.respondWith(errorReply(404, 'NoSuchUpload', 'The specified upload does not exist.'));
  const head = await setup.transport.nextRequest();
  expect(line(head)).to.equal(HEAD);
  return { ...setup, done, head };
}

describe('MultipartUpload after the review: integrity', () => {
  describe('the HEAD after a resent Complete found no upload', () => {
    it('should fail with NoSuchUpload when the object has the right size and part count, not the CRC-64', async () => {
      const { done, head, upload } = await untilHead();
      head.respondWith({
        status: 200,
        headers: { 'content-length': String(SIZE), etag: objectEtag(3), 'x-cos-hash-crc64ecma': WRONG_CRC },
      });
      const error = await rejection(done);
      expect(error).to.include({ code: 'service', status: 404, serviceCode: 'NoSuchUpload', phase: 'complete' });
      expect(upload.snapshot.status).to.equal('failed');
    });

    it('should accept the object when its CRC-64 matches the file', async () => {
      const { done, head, data } = await untilHead();
      head.respondWith({
        status: 200,
        headers: { 'content-length': String(SIZE), etag: objectEtag(3), 'x-cos-hash-crc64ecma': crcOf(data) },
      });
      expect(await done).to.include({ etag: objectEtag(3), verified: true, crc64: crcOf(data) });
    });
  });

  it('should send a part again when its reply carries a malformed CRC-64', async () => {
    const { transport, upload, data } = uploadSetup({ size: 2 * MiB, concurrency: 1 });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    const first = await transport.nextRequest();
    expect(line(first)).to.equal(part(1));
    first.respondWith({ status: 200, headers: { etag: partEtag(1), 'x-cos-hash-crc64ecma': 'abc' } });
    const again = await transport.nextRequest();
    expect(line(again)).to.equal(part(1));
    await answerPart(again);
    expect(await answerParts(transport, 1)).to.deep.equal([2]);
    (await transport.nextRequest()).respondWith(completeReply(data, 2));
    expect(await done).to.include({ verified: true });
    expect(transport.requests.map(line)).to.deep.equal([INITIATE, part(1), part(1), part(2), COMPLETE()]);
  });

  it('should start the progress again from 0 when started again after the object failed its CRC-64 check', async () => {
    const { transport, upload, data, snapshots } = uploadSetup({ size: 2 * MiB });
    const failed = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 2);
    (await transport.nextRequest()).respondWith(completeReply(data, 2, 'wrong'));
    expect(await rejection(failed)).to.include({ code: 'integrity', phase: 'complete' });

    const before = snapshots.length;
    const again = upload.start();
    const run = snapshots.slice(before);
    expect(run[0]).to.deep.include({ status: 'uploading' });
    expect(run[0]!.progress.transferredBytes).to.equal(0);
    const initiate = await transport.nextRequest();
    expect(line(initiate)).to.equal(INITIATE);
    initiate.respondWith(initiateReply(NEW_ID));
    expect(await answerParts(transport, 2)).to.deep.equal([1, 2]);
    (await transport.nextRequest()).respondWith(completeReply(data, 2));
    expect(await again).to.include({ uploadId: NEW_ID, verified: true, resumedParts: 0 });
    expectMonotonic(snapshots.slice(before));
    expect(statusesOf(snapshots)).to.deep.equal([
      'uploading', 'completing', 'failed', 'uploading', 'completing', 'done',
    ]);
  });
});
