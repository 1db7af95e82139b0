import { expect } from 'chai';
import { rejection } from '../../helpers/expect-error.js';
import { received } from '../../helpers/service-client-setup.js';
import {
  BUCKET,
  COS_HOST,
  KEY,
  REGION,
  WRONG_CRC,
  bodyOf,
  crcOf,
  errorReply,
  expectMonotonic,
  partReply,
  sameBytes,
  statusesOf,
  transferredOf,
  uploadSetup,
} from '../../helpers/upload-setup.js';

const SIZE = 1000;
const ETAG = '"9e107d9d372bb6826bd81d3542a419d6"';

describe('MultipartUpload below multipartThreshold', () => {
  it('should send one PUT of the whole file with its Content-Type', async () => {
    const { transport, upload, data } = uploadSetup({ size: SIZE });
    const done = upload.start();
    const put = await transport.nextRequest();
    expect(received(put)).to.deep.include({ method: 'PUT', path: `/${KEY}`, query: {} });
    expect(put.headers).to.include({ 'content-type': 'video/mp4', 'content-length': String(SIZE) });
    expect(sameBytes(await bodyOf(put), data)).to.equal(true);
    put.respondWith(await partReply(put));
    await done;
    expect(transport.requests).to.have.length(1);
  });

  it('should resolve with the object, its ETag and its verified CRC-64', async () => {
    const { transport, upload, data } = uploadSetup({ size: SIZE });
    const done = upload.start();
    (await transport.nextRequest()).respondWith({
      status: 200,
      headers: { etag: ETAG, 'x-cos-hash-crc64ecma': crcOf(data) },
    });
    expect(await done).to.deep.equal({
      bucket: BUCKET,
      region: REGION,
      key: KEY,
      location: `https://${COS_HOST}/input/clip%201.mp4`,
      size: SIZE,
      etag: ETAG,
      crc64: crcOf(data),
      verified: true,
      hashing: 'main-thread',
      multipart: false,
      resumedParts: 0,
    });
  });

  it('should publish uploading then done with the result and full progress', async () => {
    const { transport, upload, snapshots } = uploadSetup({ size: SIZE });
    const done = upload.start();
    const put = await transport.nextRequest();
    put.respondWith(await partReply(put));
    const result = await done;
    expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'done']);
    expect(snapshots.at(-1)).to.deep.include({ result });
    expect(snapshots.at(-1)!.progress).to.include({ percent: 1, transferredBytes: SIZE, totalBytes: SIZE });
  });

  it('should neither read nor write resume records', async () => {
    const { transport, upload, storage } = uploadSetup({ size: SIZE });
    const done = upload.start();
    const put = await transport.nextRequest();
    put.respondWith(await partReply(put));
    await done;
    expect(storage.log).to.deep.equal([]);
  });

  it('should keep progress from going back when the PUT is retried from 0', async () => {
    const { transport, upload, snapshots } = uploadSetup({ size: SIZE });
    const done = upload.start();
    const first = await transport.nextRequest();
    first.onUploadProgress!(600, SIZE);
    first.fail('network');
    const retry = await transport.nextRequest();
    retry.onUploadProgress!(200, SIZE);
    retry.onUploadProgress!(900, SIZE);
    retry.respondWith(await partReply(retry));
    await done;
    expect(transferredOf(snapshots)).to.deep.equal([0, 600, 600, 900, SIZE]);
    expectMonotonic(snapshots);
  });

  it('should fail with an integrity error when the stored CRC-64 differs', async () => {
    const { transport, upload, snapshots, data } = uploadSetup({ size: SIZE });
    const done = upload.start();
    const put = await transport.nextRequest();
    put.respondWith(await partReply(put, 'wrong'));
    const error = await rejection(done);
    expect(error).to.include({ code: 'integrity', phase: 'upload', status: 200 });
    expect(error.message).to.contain(WRONG_CRC).and.contain(crcOf(data));
    expect(upload.snapshot).to.include({ status: 'failed', error });
    expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'failed']);
  });

  it('should report verified false when the CRC-64 header is not readable', async () => {
    const { transport, upload, data } = uploadSetup({ size: SIZE });
    const done = upload.start();
    const put = await transport.nextRequest();
    put.respondWith(await partReply(put, 'none'));
    expect(await done).to.include({ verified: false, crc64: crcOf(data) });
  });

  it('should neither hash nor verify when verify is off', async () => {
    const { transport, upload } = uploadSetup({ size: SIZE, verify: false });
    const done = upload.start();
    const put = await transport.nextRequest();
    put.respondWith(await partReply(put, 'wrong'));
    const result = await done;
    expect([result.verified, result.hashing]).to.deep.equal([false, 'off']);
    expect(result).to.not.have.property('crc64');
  });

  it('should fail with invalid-response when the ETag is not readable', async () => {
    const { transport, upload, data } = uploadSetup({ size: SIZE });
    const done = upload.start();
    (await transport.nextRequest()).respondWith({ status: 200, headers: { 'x-cos-hash-crc64ecma': crcOf(data) } });
    const error = await rejection(done);
    expect(error).to.include({ code: 'invalid-response', phase: 'upload' });
    expect(error.message).to.contain('ETag');
  });

  it('should fail with the service error of a refused PUT', async () => {
    const { transport, upload } = uploadSetup({ size: SIZE });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(errorReply(403, 'AccessDenied', 'Access Denied.'));
    const error = await rejection(done);
    expect(error).to.include({ code: 'service', status: 403, serviceCode: 'AccessDenied', phase: 'upload' });
    expect(upload.snapshot.status).to.equal('failed');
  });

  it('should upload a 0-byte file with one empty PUT and finish at 100 %', async () => {
    const { transport, upload } = uploadSetup({ size: 0 });
    const done = upload.start();
    const put = await transport.nextRequest();
    expect(put.headers['content-length']).to.equal('0');
    expect((await bodyOf(put)).length).to.equal(0);
    put.respondWith(await partReply(put));
    expect(await done).to.include({ size: 0, crc64: '0', verified: true, multipart: false });
    expect(upload.snapshot.progress).to.include({ percent: 1, transferredBytes: 0, totalBytes: 0 });
  });
});
