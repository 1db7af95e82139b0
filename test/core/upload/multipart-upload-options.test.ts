import { expect } from 'chai';
import { MultipartUpload } from '../../../src/core/upload/multipart-upload.js';
import { createCrc64Hasher } from '../../../src/core/upload/crc64-hasher.js';
import type { MultipartUploadOptions } from '../../../src/core/upload/upload-options.js';
import { thrown } from '../../helpers/expect-error.js';
import { setup } from '../../helpers/service-client-setup.js';
import {
  KEY,
  MiB,
  UPLOAD_ID,
  answerParts,
  bytesOf,
  completeReply,
  initiateReply,
  partReply,
  uploadSetup,
} from '../../helpers/upload-setup.js';

/** Builds an upload of a small file with `overrides`, expecting it to throw; the error and the transport. */
function refused(overrides: Record<string, unknown>) {
  const { client, transport } = setup();
  const options = {
    client,
    file: new Blob(['hello']),
    key: KEY,
    storage: false,
    hasher: createCrc64Hasher({ worker: false }),
    ...overrides,
  } as MultipartUploadOptions;
  return { error: thrown(() => new MultipartUpload(options)), transport };
}

describe('MultipartUpload options', () => {
  const invalid: [string, Record<string, unknown>, string][] = [
    ['no client', { client: undefined }, 'client'],
    ['a client without request()', { client: {} }, 'client'],
    ['a file that is not a Blob', { file: 'hello' }, 'file'],
    ['an empty key', { key: '' }, 'key'],
    ['a key with a leading "/"', { key: '/input/a.mp4' }, 'key'],
    ['a key over 850 UTF-8 bytes', { key: '腾'.repeat(284) }, 'key'],
    ['a partSize below 1 MiB', { partSize: MiB - 1 }, 'partSize'],
    ['a partSize above 5 GiB', { partSize: 5 * 1024 * MiB + 1 }, 'partSize'],
    ['a fractional partSize', { partSize: MiB + 0.5 }, 'partSize'],
    ['a concurrency of 0', { concurrency: 0 }, 'concurrency'],
    ['a concurrency of 17', { concurrency: 17 }, 'concurrency'],
    ['a fractional concurrency', { concurrency: 2.5 }, 'concurrency'],
    ['a multipartThreshold below 1 MiB', { multipartThreshold: MiB - 1 }, 'multipartThreshold'],
    ['a negative resumeTtl', { resumeTtl: -1 }, 'resumeTtl'],
    ['a progressInterval over a minute', { progressInterval: 60_001 }, 'progressInterval'],
    ['a negative offlineWaitMs', { offlineWaitMs: -1 }, 'offlineWaitMs'],
    ['an offlineWaitMs that is not a number', { offlineWaitMs: '5m' }, 'offlineWaitMs'],
    ['an infinite offlineWaitMs', { offlineWaitMs: Infinity }, 'offlineWaitMs'],
    ['an offlineRecheckMs below 10 ms', { offlineRecheckMs: 5 }, 'offlineRecheckMs'],
    ['a storage without get()', { storage: {} }, 'storage'],
    ['a hasher without hash()', { hasher: {} }, 'hasher'],
    ['a signal that is not an AbortSignal', { signal: {} }, 'signal'],
    ['an empty contentType', { contentType: '' }, 'contentType'],
    ['a header name with a space', { headers: { 'x-cos-meta-a b': '1' } }, 'x-cos-meta-a b'],
    ['a header value that is not a string', { headers: { 'x-cos-meta-n': 5 } }, 'x-cos-meta-n'],
  ];
  for (const [label, overrides, named] of invalid) {
    it(`should refuse ${label} with invalid-options naming ${named}, sending nothing`, () => {
      const { error, transport } = refused(overrides);
      expect(error).to.include({ code: 'invalid-options', phase: 'options' });
      expect(error.message).to.contain(named);
      expect(transport.requests).to.have.length(0);
    });
  }

  for (const name of ['Authorization', 'Host', 'Content-Length', 'Content-MD5', 'x-cos-security-token']) {
    it(`should refuse the reserved header ${name}`, () => {
      const { error, transport } = refused({ headers: { [name]: 'x' } });
      expect(error.code).to.equal('invalid-options');
      expect(error.message).to.contain(name.toLowerCase());
      expect(transport.requests).to.have.length(0);
    });
  }

  it('should start idle with the file size as the total', () => {
    const { upload } = uploadSetup({ size: 1000 });
    expect(upload.snapshot).to.deep.equal({
      status: 'idle',
      progress: { percent: 0, transferredBytes: 0, totalBytes: 1000, bytesPerSecond: 0 },
    });
  });

  it('should go up in parts from multipartThreshold bytes, in one PUT below it', () => {
    expect(uploadSetup({ size: MiB }).upload.multipart).to.equal(true);
    expect(uploadSetup({ size: MiB - 1 }).upload.multipart).to.equal(false);
  });

  it("should default the Content-Type to the file's type", async () => {
    const { transport, upload } = uploadSetup({ size: 10, type: 'video/mp4' });
    const done = upload.start();
    const put = await transport.nextRequest();
    expect(put.headers['content-type']).to.equal('video/mp4');
    put.respondWith(await partReply(put));
    await done;
  });

  it('should default the Content-Type to application/octet-stream for a file without a type', async () => {
    const { transport, upload } = uploadSetup({ size: 10, type: '' });
    const done = upload.start();
    const put = await transport.nextRequest();
    expect(put.headers['content-type']).to.equal('application/octet-stream');
    put.respondWith(await partReply(put));
    await done;
  });

  it("should prefer contentType to a Content-Type header and to the file's type", async () => {
    const { transport, upload } = uploadSetup({
      size: 10,
      contentType: 'video/quicktime',
      headers: { 'Content-Type': 'text/plain' },
    });
    const done = upload.start();
    const put = await transport.nextRequest();
    expect(put.headers['content-type']).to.equal('video/quicktime');
    put.respondWith(await partReply(put));
    await done;
  });

  it('should send object headers lower-cased on Initiate and not on the parts', async () => {
    const { transport, upload, data } = uploadSetup({
      size: 2 * MiB,
      data: bytesOf(2 * MiB),
      headers: { 'Cache-Control': 'max-age=60', 'x-cos-meta-origin': 'picker' },
    });
    const done = upload.start();
    const initiate = await transport.nextRequest();
    expect(initiate.headers).to.include({
      'cache-control': 'max-age=60',
      'x-cos-meta-origin': 'picker',
      'content-type': 'video/mp4',
    });
    initiate.respondWith(initiateReply());
    const parts = transport.requests.length;
    await answerParts(transport, 2);
    for (const part of transport.requests.slice(parts)) {
      expect(part.headers).to.not.have.any.keys('cache-control', 'x-cos-meta-origin');
    }
    const complete = await transport.nextRequest();
    expect(complete.query).to.deep.equal({ uploadId: UPLOAD_ID });
    complete.respondWith(completeReply(data, 2));
    await done;
  });
});
