import { expect } from 'chai';
import { rejection } from '../../helpers/expect-error.js';
import { settle } from '../../helpers/service-client-setup.js';
import {
  KEY,
  MiB,
  UPLOAD_ID,
  answerPart,
  answerParts,
  completeReply,
  crcOf,
  errorReply,
  expectMonotonic,
  expectNoRequest,
  initiateReply,
  line,
  nextParts,
  objectEtag,
  statusesOf,
  uploadSetup,
  transcript,
  lines,
} from '../../helpers/upload-setup.js';

const SIZE = 3 * MiB;
const part = (n: number) => lines.part(n);
const COMPLETE = lines.complete();
const HEAD = lines.head;

/** Starts an upload of 3 parts and answers Initiate and the parts; returns it waiting on its first Complete. */
async function untilComplete(options: Parameters<typeof uploadSetup>[0] = {}) {
  const setup = uploadSetup({ size: SIZE, ...options });
  const done = setup.upload.start();
  (await setup.transport.nextRequest()).respondWith(initiateReply());
  await answerParts(setup.transport, 3);
  const complete = await setup.transport.nextRequest();
  expect(line(complete)).to.equal(COMPLETE);
  return { ...setup, done, complete };
}

describe('MultipartUpload failures', () => {
  describe('a lost Complete answer', () => {
    it('should confirm with HEAD when the resent Complete finds no upload, and succeed', async () => {
      const { transport, done, complete, data } = await untilComplete();
      complete.fail('network');
      const resent = await transport.nextRequest();
      expect(line(resent)).to.equal(COMPLETE);
      resent.respondWith(errorReply(404, 'NoSuchUpload', 'The specified upload does not exist.'));
      const head = await transport.nextRequest();
      expect(line(head)).to.equal(HEAD);
      head.respondWith({
        status: 200,
        headers: { 'content-length': String(SIZE), etag: objectEtag(3), 'x-cos-hash-crc64ecma': crcOf(data) },
      });
      expect(await done).to.include({ etag: objectEtag(3), verified: true, multipart: true, uploadId: UPLOAD_ID });
      expect(transport.requests.map(line).slice(-3)).to.deep.equal([COMPLETE, COMPLETE, HEAD]);
    });

    it('should fail with NoSuchUpload when HEAD finds an object of another size', async () => {
      const { transport, done, complete } = await untilComplete();
      complete.fail('network');
      (await transport.nextRequest()).respondWith(errorReply(404, 'NoSuchUpload'));
      (await transport.nextRequest()).respondWith({
        status: 200,
        headers: { 'content-length': String(SIZE - 1), etag: objectEtag(3) },
      });
      const error = await rejection(done);
      expect(error).to.include({ code: 'service', status: 404, serviceCode: 'NoSuchUpload', phase: 'complete' });
    });

    it('should fail with NoSuchUpload when HEAD finds an object of another part count', async () => {
      const { transport, done, complete } = await untilComplete();
      complete.fail('network');
      (await transport.nextRequest()).respondWith(errorReply(404, 'NoSuchUpload'));
      (await transport.nextRequest()).respondWith({
        status: 200,
        headers: { 'content-length': String(SIZE), etag: '"9e107d9d372bb6826bd81d3542a419d6"' },
      });
      expect(await rejection(done)).to.include({ status: 404, serviceCode: 'NoSuchUpload' });
    });

    it('should not look for the object when the first Complete answers NoSuchUpload', async () => {
      const { transport, done, complete, upload } = await untilComplete();
      complete.respondWith(errorReply(404, 'NoSuchUpload'));
      expect(await rejection(done)).to.include({ status: 404, serviceCode: 'NoSuchUpload', attempts: 1 });
      await expectNoRequest(transport);
      expect(upload.snapshot.status).to.equal('failed');
    });
  });

  describe('a refused part', () => {
    it('should fail fast on 403 AccessDenied: abort the other parts, send no more, and fail', async () => {
      const { transport, upload, snapshots } = uploadSetup({ size: 5 * MiB, concurrency: 3 });
      const done = settle(upload.start());
      (await transport.nextRequest()).respondWith(initiateReply());
      const [first, second, third] = await nextParts(transport, 3);
      second!.respondWith(errorReply(403, 'AccessDenied', 'Access Denied.'));
      const { error } = await done;
      expect(error).to.include({ code: 'service', status: 403, serviceCode: 'AccessDenied', phase: 'upload' });
      expect(error!.attempts).to.equal(1);
      expect([first!.signal?.aborted, third!.signal?.aborted]).to.deep.equal([true, true]);
      await expectNoRequest(transport);
      expect(transcript(transport.requests)).to.deep.equal([`POST /${KEY}?uploads`, part(1), part(2), part(3)]);
      expect(upload.snapshot).to.include({ status: 'failed', error });
      expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'failed']);
    });

    it('should keep the resume record and the server parts after failing', async () => {
      const { transport, upload, storage } = uploadSetup({ size: SIZE, concurrency: 1 });
      const done = settle(upload.start());
      (await transport.nextRequest()).respondWith(initiateReply());
      (await transport.nextRequest()).respondWith(errorReply(403, 'AccessDenied'));
      await done;
      expect(storage.log).to.deep.equal(['get', `set ${UPLOAD_ID}`]);
      await expectNoRequest(transport);
    });

    it('should re-send a part answered 503 and keep progress from going back', async () => {
      const { transport, upload, data, snapshots } = uploadSetup({ size: SIZE, concurrency: 1 });
      const done = upload.start();
      (await transport.nextRequest()).respondWith(initiateReply());
      const first = await transport.nextRequest();
      first.onUploadProgress!(MiB / 2, MiB);
      first.respondWith(errorReply(503, 'ServiceUnavailable'));
      const retry = await transport.nextRequest();
      expect(line(retry)).to.equal(part(1));
      retry.onUploadProgress!(MiB / 4, MiB);
      await answerPart(retry);
      await answerParts(transport, 2);
      (await transport.nextRequest()).respondWith(completeReply(data, 3));
      await done;
      expectMonotonic(snapshots);
    });
  });

  describe('starting again after a failure', () => {
    it('should resume without re-sending acknowledged parts', async () => {
      const { transport, upload, data, snapshots } = uploadSetup({ size: SIZE, concurrency: 1 });
      const failed = settle(upload.start());
      (await transport.nextRequest()).respondWith(initiateReply());
      await answerParts(transport, 1);
      (await transport.nextRequest()).respondWith(errorReply(403, 'AccessDenied'));
      expect((await failed).error).to.include({ status: 403 });
      const again = upload.start();
      expect(await answerParts(transport, 2)).to.deep.equal([2, 3]);
      (await transport.nextRequest()).respondWith(completeReply(data, 3));
      expect(await again).to.include({ verified: true, resumedParts: 0 });
      expect(transport.requests.map(line)).to.deep.equal([
        `POST /${KEY}?uploads`, part(1), part(2), part(2), part(3), COMPLETE,
      ]);
      expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'failed', 'uploading', 'completing', 'done']);
      expectMonotonic(snapshots);
    });

    it('should return the running promise when started twice', async () => {
      const { transport, upload } = uploadSetup({ size: SIZE });
      const first = upload.start();
      expect(upload.start()).to.equal(first);
      (await transport.nextRequest()).respondWith(errorReply(403, 'AccessDenied'));
      await rejection(first);
    });
  });
});
