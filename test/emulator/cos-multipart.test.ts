import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCompleteMultipartUpload } from '../../src/core/protocol/complete-multipart-upload.js';
import {
  parseCompleteMultipartUploadResult,
  parseInitiateMultipartUploadResult,
  parseListPartsResult,
} from '../../src/core/protocol/cos-document.js';
import { createAuthorization } from '../../src/core/signing/authorization.js';
import type { AuthorizationRequest, Authorizer, SignedAuthorization } from '../../src/core/signing/types.js';
import { ServiceClient } from '../../src/core/transport/service-client.js';
import { LoopbackTransport, type Emulator } from '../../src/emulator/index.js';
import {
  MiB,
  completeXml,
  crcOf,
  md5Base64,
  md5Hex,
  multipartCalls,
  multipartEtag,
} from '../helpers/cos-multipart.js';
import { BUCKET, REGION, errorCode, permanentKeys, startTestEmulator, type WireResponse } from '../helpers/emulator.js';

/** Signs with the emulator's permanent key: the simplest {@link Authorizer}. */
class PermanentKeyAuthorizer implements Authorizer {
  constructor(private readonly keys: { secretId: string; secretKey: string }) {}

  async authorize(request: AuthorizationRequest): Promise<SignedAuthorization> {
    const now = Math.floor(Date.now() / 1000);
    const authorization = await createAuthorization({
      ...this.keys,
      method: request.method,
      pathname: request.pathname,
      query: request.query,
      headers: request.headers,
      keyTime: { start: now - 1, end: now + 900 },
    });
    return { authorization };
  }

  invalidate(): void {}
}

describe('emulator: COS multipart uploads', () => {
  let emulator: Emulator;
  const { cos, initiate, uploadPart, complete, uploadAll } = multipartCalls(() => emulator);

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.close());
  afterEach(() => emulator.faults.update({}));


  describe('full flow', () => {
    const bodies = [randomBytes(MiB + 1), randomBytes(MiB + 7), randomBytes(1000)];
    let response: WireResponse;

    before(async () => {
      const headers = { 'content-type': 'video/mp4', 'x-cos-meta-origin': 'flow' };
      const uploadId = await initiate('flow/视频 (1).mp4', headers);
      const parts = [];
      for (const [index, body] of bodies.entries()) {
        const part = await uploadPart('flow/视频 (1).mp4', uploadId, index + 1, body);
        parts.push({ PartNumber: index + 1, ETag: part.headers['etag'] as string });
      }
      response = await complete('flow/视频 (1).mp4', uploadId, parts);
    });

    it('should answer Complete with 200 and CompleteMultipartUploadResult', () => {
      expect(response.status).to.equal(200);
      const result = parseCompleteMultipartUploadResult(response.text);
      expect(result.Bucket).to.equal(BUCKET);
      expect(result.Key).to.equal('flow/视频 (1).mp4');
      expect(result.Location).to.equal(
        `${BUCKET}.cos.${REGION}.localhost:${emulator.endpoints.port}/flow/%E8%A7%86%E9%A2%91%20%281%29.mp4`,
      );
    });

    it('should give the multipart ETag: MD5 of the binary part MD5s, dash, part count', () => {
      const etag = parseCompleteMultipartUploadResult(response.text).ETag;
      expect(etag).to.match(/^"[0-9a-f]{32}-3"$/);
      expect(etag).to.equal(multipartEtag(bodies));
    });

    it('should send the CRC-64 of the whole object with Complete', () => {
      expect(response.headers['x-cos-hash-crc64ecma']).to.equal(crcOf(...bodies));
    });

    it('should store the concatenated parts byte for byte', async () => {
      const object = await cos('GET', 'flow/视频 (1).mp4');
      expect(object.body.equals(Buffer.concat(bodies))).to.equal(true);
      expect(object.headers['etag']).to.equal(multipartEtag(bodies));
      expect(object.headers['x-cos-hash-crc64ecma']).to.equal(crcOf(...bodies));
    });

    it('should keep the Content-Type and x-cos-meta-* given at initiation', async () => {
      const object = await cos('HEAD', 'flow/视频 (1).mp4');
      expect(object.headers['content-type']).to.equal('video/mp4');
      expect(object.headers['x-cos-meta-origin']).to.equal('flow');
    });
  });

  describe('Initiate and UploadPart', () => {
    it('should answer Initiate with the bucket, the key and an opaque URL-safe upload id', async () => {
      const response = await cos('POST', 'init/a b.mp4', { uploads: '' });
      const result = parseInitiateMultipartUploadResult(response.text);
      expect(result.Bucket).to.equal(BUCKET);
      expect(result.Key).to.equal('init/a b.mp4');
      expect(result.UploadId).to.match(/^\d{10}[0-9a-f]{62}$/);
    });

    it('should answer UploadPart with the part MD5 as ETag and its CRC-64', async () => {
      const uploadId = await initiate('part/headers.bin');
      const body = randomBytes(5000);
      const response = await uploadPart('part/headers.bin', uploadId, 1, body);
      expect(response.status).to.equal(200);
      expect(response.headers['etag']).to.equal(`"${md5Hex(body)}"`);
      expect(response.headers['x-cos-hash-crc64ecma']).to.equal(crcOf(body));
    });

    for (const partNumber of ['0', '10001', 'x']) {
      it(`should answer part number ${partNumber} with 400 InvalidArgument`, async () => {
        const uploadId = await initiate('part/number.bin');
        const response = await cos('PUT', 'part/number.bin', { partNumber, uploadId }, 'x');
        expect(response.status).to.equal(400);
        expect(errorCode(response)).to.equal('InvalidArgument');
      });
    }

    it('should answer UploadPart with an unknown upload id with 404 NoSuchUpload', async () => {
      const response = await uploadPart('part/unknown.bin', 'nosuchupload', 1, Buffer.from('x'));
      expect(response.status).to.equal(404);
      expect(errorCode(response)).to.equal('NoSuchUpload');
    });

    it('should answer UploadPart for another key with 404 NoSuchUpload', async () => {
      const uploadId = await initiate('part/own-key.bin');
      const response = await uploadPart('part/other-key.bin', uploadId, 1, Buffer.from('x'));
      expect(errorCode(response)).to.equal('NoSuchUpload');
    });

    it('should let a re-uploaded part replace the previous one', async () => {
      const key = 'part/replaced.bin';
      const uploadId = await initiate(key);
      await uploadPart(key, uploadId, 1, Buffer.from('first'));
      const second = await uploadPart(key, uploadId, 1, Buffer.from('second!'));
      const listed = parseListPartsResult((await cos('GET', key, { uploadId })).text);
      expect(listed.Part.map((part) => [part.PartNumber, part.ETag, part.Size])).to.deep.equal([
        [1, second.headers['etag'], 7],
      ]);
      await complete(key, uploadId, [{ PartNumber: 1, ETag: second.headers['etag'] as string }]);
      expect((await cos('GET', key)).text).to.equal('second!');
    });

    it('should take parts uploaded in parallel', async () => {
      const key = 'part/parallel.bin';
      const uploadId = await initiate(key);
      const bodies = [0, 1, 2, 3, 4].map(() => randomBytes(MiB));
      const replies = await Promise.all(bodies.map((body, index) => uploadPart(key, uploadId, index + 1, body)));
      const parts = replies.map((reply, index) => ({ PartNumber: index + 1, ETag: reply.headers['etag'] as string }));
      expect((await complete(key, uploadId, parts)).status).to.equal(200);
      expect((await cos('GET', key)).body.equals(Buffer.concat(bodies))).to.equal(true);
    });

    it('should send a wrong CRC-64 for a part when the corruptCrc fault fires', async () => {
      const uploadId = await initiate('part/corrupt.bin');
      emulator.faults.update({ rules: [{ operations: ['UploadPart'], corruptCrcRate: 1 }] });
      const response = await uploadPart('part/corrupt.bin', uploadId, 1, Buffer.from('123456789'));
      expect(response.headers['x-cos-hash-crc64ecma']).to.match(/^\d+$/).and.not.equal('11051210869376104954');
    });
  });

  describe('Complete errors', () => {
    it('should answer parts out of order with 400 InvalidPartOrder', async () => {
      const { uploadId, parts } = await uploadAll('complete/order.bin', [randomBytes(MiB), randomBytes(10)]);
      const response = await cos('POST', 'complete/order.bin', { uploadId }, completeXml([parts[1]!, parts[0]!]));
      expect(response.status).to.equal(400);
      expect(errorCode(response)).to.equal('InvalidPartOrder');
    });

    it('should answer a wrong ETag with 400 InvalidPart', async () => {
      const { uploadId } = await uploadAll('complete/etag.bin', [randomBytes(10)]);
      const response = await complete('complete/etag.bin', uploadId, [{ PartNumber: 1, ETag: `"${'0'.repeat(32)}"` }]);
      expect(response.status).to.equal(400);
      expect(errorCode(response)).to.equal('InvalidPart');
    });

    it('should answer a part never uploaded with 400 InvalidPart', async () => {
      const { uploadId, parts } = await uploadAll('complete/missing.bin', [randomBytes(MiB)]);
      const listed = [...parts, { PartNumber: 2, ETag: parts[0]!.ETag }];
      const response = await complete('complete/missing.bin', uploadId, listed);
      expect(errorCode(response)).to.equal('InvalidPart');
    });

    it('should answer a part under 1 MiB that is not the last with 400 EntityTooSmall', async () => {
      const { uploadId, parts } = await uploadAll('complete/small.bin', [randomBytes(MiB - 1), randomBytes(10)]);
      const response = await complete('complete/small.bin', uploadId, parts);
      expect(response.status).to.equal(400);
      expect(errorCode(response)).to.equal('EntityTooSmall');
    });

    it('should accept ETags without their quotes', async () => {
      const { uploadId, parts } = await uploadAll('complete/unquoted.bin', [randomBytes(10)]);
      const body = completeXml([{ PartNumber: 1, ETag: parts[0]!.ETag.replace(/"/g, '') }]);
      const response = await cos('POST', 'complete/unquoted.bin', { uploadId }, body);
      expect(response.status).to.equal(200);
    });

    for (const [name, body] of [
      ['not XML', 'parts please'],
      ['no part', '<CompleteMultipartUpload></CompleteMultipartUpload>'],
    ] as const) {
      it(`should answer a body with ${name} with 400 MalformedXML`, async () => {
        const uploadId = await initiate('complete/malformed.bin');
        const response = await cos('POST', 'complete/malformed.bin', { uploadId }, body);
        expect(response.status).to.equal(400);
        expect(errorCode(response)).to.equal('MalformedXML');
      });
    }

    it('should answer an unknown upload id with 404 NoSuchUpload', async () => {
      const response = await complete('complete/unknown.bin', 'nosuchupload', [{ PartNumber: 1, ETag: '"abc"' }]);
      expect(response.status).to.equal(404);
      expect(errorCode(response)).to.equal('NoSuchUpload');
    });

    it('should keep the upload after a refused Complete, so that a corrected one succeeds', async () => {
      const { uploadId, parts } = await uploadAll('complete/retry.bin', [randomBytes(10)]);
      await complete('complete/retry.bin', uploadId, [{ PartNumber: 1, ETag: '"bad"' }]);
      expect((await complete('complete/retry.bin', uploadId, parts)).status).to.equal(200);
    });

    it('should let one of two racing Completes win and answer the other 404 NoSuchUpload', async () => {
      const { uploadId, parts } = await uploadAll('complete/race.bin', [randomBytes(MiB), randomBytes(MiB)]);
      const replies = await Promise.all([1, 2].map(() => complete('complete/race.bin', uploadId, parts)));
      expect(replies.map((reply) => reply.status).sort()).to.deep.equal([200, 404]);
      expect(replies.map(errorCode)).to.include('NoSuchUpload');
    });

    it('should answer UploadPart after Complete with 404 NoSuchUpload', async () => {
      const { uploadId, parts } = await uploadAll('complete/then-part.bin', [randomBytes(10)]);
      await complete('complete/then-part.bin', uploadId, parts);
      const late = await uploadPart('complete/then-part.bin', uploadId, 2, Buffer.from('late'));
      expect(errorCode(late)).to.equal('NoSuchUpload');
    });

    it('should send a wrong whole-object CRC-64 when the corruptCrc fault fires', async () => {
      const { uploadId, parts } = await uploadAll('complete/corrupt.bin', [Buffer.from('123456789')]);
      emulator.faults.update({ rules: [{ operations: ['CompleteMultipartUpload'], corruptCrcRate: 1 }] });
      const response = await complete('complete/corrupt.bin', uploadId, parts);
      expect(response.status).to.equal(200);
      expect(response.headers['x-cos-hash-crc64ecma']).to.match(/^\d+$/).and.not.equal('11051210869376104954');
    });
  });

  it('should leave no temporary file behind', async () => {
    const { uploadId } = await uploadAll('leftovers/a.bin', [randomBytes(10)]);
    await complete('leftovers/a.bin', uploadId, [{ PartNumber: 1, ETag: '"bad"' }]);
    await cos('PUT', 'leftovers/a.bin', { partNumber: '2', uploadId }, 'x', { 'content-md5': md5Base64('y') });
    await cos('DELETE', 'leftovers/a.bin', { uploadId });
    expect(await readdir(join(emulator.dataDir, 'tmp'))).to.deep.equal([]);
    expect(await readdir(join(emulator.dataDir, 'uploads'))).to.not.include(uploadId);
  });

  it('should agree with the core ServiceClient on a whole multipart upload', async () => {
    const client = new ServiceClient({
      transport: new LoopbackTransport(),
      authorizer: new PermanentKeyAuthorizer(permanentKeys(emulator)),
      bucket: BUCKET,
      region: REGION,
      protocol: 'http',
      domains: emulator.endpoints.domains,
    });
    const key = 'client/上传 (1).txt';
    const bodies = [randomBytes(MiB / 2), randomBytes(1000)].map((bytes) => Buffer.from(bytes.toString('hex')));
    const upload = { service: 'cos', key, phase: 'upload' } as const;
    const initiated = await client.request({
      ...upload,
      method: 'POST',
      query: { uploads: '' },
      headers: { 'content-type': 'text/plain' },
      action: 'name/cos:InitiateMultipartUpload',
    });
    const { UploadId } = parseInitiateMultipartUploadResult(initiated.body);
    const parts = [];
    for (const [index, body] of bodies.entries()) {
      const response = await client.request({
        ...upload,
        method: 'PUT',
        query: { partNumber: String(index + 1), uploadId: UploadId },
        body,
        action: 'name/cos:UploadPart',
      });
      expect(response.headers['x-cos-hash-crc64ecma']).to.equal(crcOf(body));
      parts.push({ PartNumber: index + 1, ETag: response.headers['etag'] ?? '' });
    }
    const xml = buildCompleteMultipartUpload(parts);
    const completed = await client.request({
      ...upload,
      method: 'POST',
      query: { uploadId: UploadId },
      body: xml,
      headers: { 'content-type': 'application/xml', 'content-md5': md5Base64(xml) },
      action: 'name/cos:CompleteMultipartUpload',
      phase: 'complete',
    });
    expect(parseCompleteMultipartUploadResult(completed.body).ETag).to.equal(multipartEtag(bodies));
    expect(completed.headers['x-cos-hash-crc64ecma']).to.equal(crcOf(...bodies));
    const object = await client.request({ ...upload, method: 'GET', action: 'name/cos:GetObject' });
    expect(object.body).to.equal(Buffer.concat(bodies).toString());
  });
});
