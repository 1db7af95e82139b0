import { expect } from 'chai';
import { parseCompleteMultipartUpload } from '../../../src/core/protocol/complete-multipart-upload.js';
import type { HttpRequest } from '../../../src/core/transport/types.js';
import { rejection } from '../../helpers/expect-error.js';
import { received } from '../../helpers/service-client-setup.js';
import {
  BUCKET,
  COS_HOST,
  KEY,
  MiB,
  REGION,
  UPLOAD_ID,
  answerPart,
  answerParts,
  bodyOf,
  completeReply,
  crcOf,
  expectMonotonic,
  expectNoRequest,
  initiateReply,
  line,
  nextParts,
  objectEtag,
  partEtag,
  recordIdOf,
  sameBytes,
  statusesOf,
  transferredOf,
  uploadSetup,
  transcript,
  lines,
} from '../../helpers/upload-setup.js';

const SIZE = 3 * MiB - 100;
const part = (n: number) => lines.part(n);
const COMPLETE = lines.complete();

describe('MultipartUpload in parts', () => {
  it('should initiate with the Content-Type of the object', async () => {
    const { transport, upload } = uploadSetup({ size: SIZE });
    void upload.start().catch(() => undefined);
    const initiate = await transport.nextRequest();
    expect(received(initiate)).to.deep.include({ method: 'POST', path: `/${KEY}`, query: { uploads: '' } });
    expect(initiate.headers['content-type']).to.equal('video/mp4');
    expect(initiate.body).to.equal(undefined);
    // The cancel waits for the Initiate's answer to abort the upload it made.
    const cancelling = upload.cancel();
    initiate.respondWith(initiateReply());
    const abort = await transport.nextRequest();
    expect(received(abort)).to.deep.include({ method: 'DELETE', path: `/${KEY}`, query: { uploadId: UPLOAD_ID } });
    abort.respondWith({ status: 204 });
    await cancelling;
  });

  it('should send each part with its number, the UploadId and its byte range', async () => {
    const { transport, upload, data } = uploadSetup({ size: SIZE });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    const parts = await nextParts(transport, 3);
    expect(parts.map(line)).to.deep.equal([part(1), part(2), part(3)]);
    const ranges = [
      [0, MiB],
      [MiB, 2 * MiB],
      [2 * MiB, SIZE],
    ] as const;
    for (const [index, request] of parts.entries()) {
      const [start, end] = ranges[index]!;
      const body = await bodyOf(request);
      expect(body.length, `part ${index + 1}`).to.equal(end - start);
      expect(request.headers['content-length']).to.equal(String(end - start));
      expect(sameBytes(body, data.subarray(start, end)), `part ${index + 1} bytes`).to.equal(true);
      await answerPart(request);
    }
    (await transport.nextRequest()).respondWith(completeReply(data, 3));
    await done;
  });

  it('should complete with the XML of every part in order, then resolve with the object', async () => {
    const { transport, upload, data } = uploadSetup({ size: SIZE });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    const parts = await nextParts(transport, 3);
    // Acknowledged out of order: the Complete still lists the parts in order.
    for (const request of [...parts].reverse()) await answerPart(request);
    const complete = await transport.nextRequest();
    expect(line(complete)).to.equal(COMPLETE);
    expect(complete.headers['content-type']).to.equal('application/xml');
    expect(parseCompleteMultipartUpload(complete.body as string)).to.deep.equal([
      { PartNumber: 1, ETag: partEtag(1) },
      { PartNumber: 2, ETag: partEtag(2) },
      { PartNumber: 3, ETag: partEtag(3) },
    ]);
    complete.respondWith(completeReply(data, 3));
    expect(await done).to.deep.equal({
      bucket: BUCKET,
      region: REGION,
      key: KEY,
      location: `https://${COS_HOST}/input/clip%201.mp4`,
      size: SIZE,
      etag: objectEtag(3),
      crc64: crcOf(data),
      verified: true,
      hashing: 'main-thread',
      multipart: true,
      uploadId: UPLOAD_ID,
      resumedParts: 0,
    });
    expect(transcript(transport.requests)).to.deep.equal([`POST /${KEY}?uploads`, part(1), part(2), part(3), COMPLETE]);
  });

  it('should save the resume record after Initiate and delete it after success', async () => {
    const { transport, upload, data, storage, file } = uploadSetup({ size: SIZE });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    const parts = await nextParts(transport, 3);
    expect(storage.log).to.deep.equal(['get', `set ${UPLOAD_ID}`]);
    const record = storage.peek(await recordIdOf(file));
    expect(record).to.have.all.keys(
      'version', 'fingerprint', 'bucket', 'region', 'key', 'uploadId', 'partSize', 'size', 'createdAt',
    );
    expect(record).to.include({ bucket: BUCKET, key: KEY, uploadId: UPLOAD_ID, partSize: MiB, size: SIZE });
    for (const request of parts) await answerPart(request);
    (await transport.nextRequest()).respondWith(completeReply(data, 3));
    await done;
    expect(storage.log).to.deep.equal(['get', `set ${UPLOAD_ID}`, 'delete']);
    expect(storage.peek(await recordIdOf(file))).to.equal(undefined);
  });

  it('should publish uploading, completing and done, with progress rising by each acknowledged part', async () => {
    const { transport, upload, data, snapshots } = uploadSetup({ size: SIZE, concurrency: 1 });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 1);
    await answerParts(transport, 1);
    await answerParts(transport, 1);
    (await transport.nextRequest()).respondWith(completeReply(data, 3));
    const result = await done;
    expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'completing', 'done']);
    expect([...new Set(transferredOf(snapshots))]).to.deep.equal([0, MiB, 2 * MiB, SIZE]);
    expect(snapshots.at(-1)).to.deep.include({ status: 'done', result });
  });

  it('should never have more than concurrency parts in flight', async () => {
    const { transport, upload, data } = uploadSetup({ size: 6 * MiB, concurrency: 2 });
    let inFlight = 0;
    let peak = 0;
    const send = transport.send.bind(transport);
    transport.send = async (request: HttpRequest) => {
      const isPart = request.url.includes('partNumber=');
      if (isPart) peak = Math.max(peak, (inFlight += 1));
      try {
        return await send(request);
      } finally {
        if (isPart) inFlight -= 1;
      }
    };
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    const first = await nextParts(transport, 2);
    expect(first.map(line)).to.deep.equal([part(1), part(2)]);
    await expectNoRequest(transport);
    await answerPart(first[1]!);
    const third = await transport.nextRequest();
    expect(line(third)).to.equal(part(3));
    await expectNoRequest(transport);
    await answerPart(first[0]!);
    await answerPart(third);
    expect(await answerParts(transport, 3)).to.deep.equal([4, 5, 6]);
    (await transport.nextRequest()).respondWith(completeReply(data, 6));
    await done;
    expect(peak).to.equal(2);
  });

  it('should re-send a part whose stored CRC-64 differs, with the same part number, and succeed', async () => {
    const { transport, upload, data, snapshots } = uploadSetup({ size: SIZE, concurrency: 1 });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 1);
    await answerPart(await transport.nextRequest(), 'wrong');
    await answerParts(transport, 2);
    (await transport.nextRequest()).respondWith(completeReply(data, 3));
    expect(await done).to.include({ verified: true, etag: objectEtag(3) });
    expect(transport.requests.map(line)).to.deep.equal([
      `POST /${KEY}?uploads`, part(1), part(2), part(2), part(3), COMPLETE,
    ]);
    expectMonotonic(snapshots);
  });

  it('should fail with an integrity error when a part arrives corrupted three times', async () => {
    const { transport, upload } = uploadSetup({ size: SIZE, concurrency: 1 });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 1);
    for (let i = 0; i < 3; i += 1) await answerPart(await transport.nextRequest(), 'wrong');
    const error = await rejection(done);
    expect(error).to.include({ code: 'integrity', phase: 'upload', attempts: 3 });
    expect(error.message).to.contain('UploadPart 2');
    expect(transport.requests.map(line)).to.deep.equal([`POST /${KEY}?uploads`, part(1), part(2), part(2), part(2)]);
    await expectNoRequest(transport);
    expect(upload.snapshot).to.include({ status: 'failed', error });
  });

  it('should fail when Complete answers 200 with an <Error> body', async () => {
    const { transport, upload } = uploadSetup({ size: SIZE });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 3);
    (await transport.nextRequest()).respondWith({
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: '<?xml version="1.0"?>\n\n<Error><Code>InvalidPart</Code><Message>part gone</Message></Error>',
    });
    const error = await rejection(done);
    expect(error).to.include({ code: 'service', serviceCode: 'InvalidPart', phase: 'complete' });
    expect(upload.snapshot).to.include({ status: 'failed', error });
  });

  it('should send Complete again when its 200 body is a transient <Error>, at most twice', async () => {
    const { transport, upload } = uploadSetup({ size: SIZE });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 3);
    const internal = {
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: '<Error><Code>InternalError</Code><Message>merge failed</Message></Error>',
    };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const complete = await transport.nextRequest();
      expect(line(complete)).to.equal(`POST /${KEY}?uploadId=${UPLOAD_ID}`);
      complete.respondWith(internal);
    }
    expect(await rejection(done)).to.include({ code: 'service', serviceCode: 'InternalError', phase: 'complete' });
  });

  it('should succeed when a resent Complete gets the document', async () => {
    const { transport, upload, data } = uploadSetup({ size: SIZE });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 3);
    (await transport.nextRequest()).respondWith({
      status: 200,
      body: '<Error><Code>SlowDown</Code><Message>busy</Message></Error>',
    });
    (await transport.nextRequest()).respondWith(completeReply(data, 3));
    expect(await done).to.include({ multipart: true, verified: true });
  });

  it('should fail with an integrity error in phase complete when the object CRC-64 differs', async () => {
    const { transport, upload, data, storage } = uploadSetup({ size: SIZE });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 3);
    (await transport.nextRequest()).respondWith(completeReply(data, 3, 'wrong'));
    const error = await rejection(done);
    expect(error).to.include({ code: 'integrity', phase: 'complete' });
    expect(upload.snapshot.status).to.equal('failed');
    // The object is complete and wrong: nothing is left to resume.
    expect(storage.log.at(-1)).to.equal('delete');
  });

  it('should upload afresh when started again after the object CRC-64 differed', async () => {
    const { transport, upload, data } = uploadSetup({ size: SIZE });
    const failed = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 3);
    (await transport.nextRequest()).respondWith(completeReply(data, 3, 'wrong'));
    await rejection(failed);
    const again = upload.start();
    const initiate = await transport.nextRequest();
    expect(line(initiate)).to.equal(`POST /${KEY}?uploads`);
    initiate.respondWith(initiateReply());
    expect(await answerParts(transport, 3)).to.deep.equal([1, 2, 3]);
    (await transport.nextRequest()).respondWith(completeReply(data, 3));
    expect(await again).to.include({ verified: true });
  });

  it('should report verified false when Complete does not expose the CRC-64', async () => {
    const { transport, upload, data } = uploadSetup({ size: SIZE });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 3);
    (await transport.nextRequest()).respondWith(completeReply(data, 3, 'none'));
    expect(await done).to.include({ verified: false, crc64: crcOf(data) });
  });
});
