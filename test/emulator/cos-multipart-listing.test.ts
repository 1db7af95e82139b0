import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { parseListMultipartUploadsResult, parseListPartsResult } from '../../src/core/protocol/cos-document.js';
import type { Emulator } from '../../src/emulator/index.js';
import { multipartCalls, md5Hex } from '../helpers/cos-multipart.js';
import { errorCode, signedHeaders, startTestEmulator } from '../helpers/emulator.js';

const OWNER_ID = 'qcs::cam::uin/1250000000:uin/1250000000';
const LISTING_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/;

describe('emulator: COS multipart listings and abort', () => {
  let emulator: Emulator;
  const { cos, initiate, uploadAll, listUploads } = multipartCalls(() => emulator);
  const uploadsOf = async (query: Record<string, string>) =>
    parseListMultipartUploadsResult((await listUploads(query)).text);

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.close());

  describe('ListParts', () => {
    it('should page through the parts with max-parts and part-number-marker', async () => {
      const { uploadId } = await uploadAll('list/parts.bin', [1, 2, 3, 4, 5].map(() => randomBytes(10)));
      const pages = [];
      let marker = '0';
      for (let page = 0; page < 5; page += 1) {
        const query = { uploadId, 'max-parts': '2', 'part-number-marker': marker };
        const result = parseListPartsResult((await cos('GET', 'list/parts.bin', query)).text);
        pages.push(result.Part.map((part) => part.PartNumber));
        if (!result.IsTruncated) break;
        marker = String(result.NextPartNumberMarker);
      }
      expect(pages).to.deep.equal([[1, 2], [3, 4], [5]]);
    });

    it('should list each part with its size, quoted ETag, time, owner and storage class', async () => {
      const body = randomBytes(123);
      const { uploadId } = await uploadAll('list/fields.bin', [body]);
      const result = parseListPartsResult((await cos('GET', 'list/fields.bin', { uploadId })).text);
      expect(result.Part[0]).to.include({ PartNumber: 1, ETag: `"${md5Hex(body)}"`, Size: 123 });
      expect(result.Part[0]!.LastModified).to.match(LISTING_TIME);
      expect(result.Owner?.ID).to.equal(OWNER_ID);
      expect(result.Initiator?.ID).to.equal(OWNER_ID);
      expect(result).to.include({ StorageClass: 'STANDARD', MaxParts: 1000, IsTruncated: false, UploadId: uploadId });
    });

    it('should URL-encode the key with encoding-type=url', async () => {
      const uploadId = await initiate('list/a b+c.bin');
      const response = await cos('GET', 'list/a b+c.bin', { uploadId, 'encoding-type': 'url' });
      expect(parseListPartsResult(response.text).Key).to.equal('list/a%20b%2Bc.bin');
    });

    it('should answer an unknown upload id with 404 NoSuchUpload', async () => {
      const response = await cos('GET', 'list/parts.bin', { uploadId: 'nosuchupload' });
      expect(response.status).to.equal(404);
      expect(errorCode(response)).to.equal('NoSuchUpload');
    });

    it('should answer max-parts=0 with 400 InvalidArgument', async () => {
      const uploadId = await initiate('list/zero.bin');
      const response = await cos('GET', 'list/zero.bin', { uploadId, 'max-parts': '0' });
      expect(response.status).to.equal(400);
      expect(errorCode(response)).to.equal('InvalidArgument');
    });
  });

  describe('ListMultipartUploads', () => {
    it('should list only the uploads under the prefix', async () => {
      const first = await initiate('uploads/prefix/a.bin');
      const second = await initiate('uploads/prefix/b.bin');
      await initiate('uploads/other/c.bin');
      const result = await uploadsOf({ prefix: 'uploads/prefix/' });
      expect(result.Upload.map((upload) => [upload.Key, upload.UploadId])).to.deep.equal([
        ['uploads/prefix/a.bin', first],
        ['uploads/prefix/b.bin', second],
      ]);
      expect(result.IsTruncated).to.equal(false);
    });

    it('should page with max-uploads, key-marker and upload-id-marker, listing every upload once', async () => {
      const ids = [];
      for (const key of ['page/a', 'page/b', 'page/b', 'page/c', 'page/d']) ids.push([key, await initiate(key)]);
      const seen: string[][] = [];
      let markers: Record<string, string> = {};
      for (let page = 0; page < 10; page += 1) {
        const result = await uploadsOf({ prefix: 'page/', 'max-uploads': '2', ...markers });
        seen.push(...result.Upload.map((upload) => [upload.Key, upload.UploadId]));
        if (!result.IsTruncated) break;
        markers = { 'key-marker': result.NextKeyMarker ?? '', 'upload-id-marker': result.NextUploadIdMarker ?? '' };
      }
      expect(seen).to.deep.equal(ids);
    });

    it('should roll keys up into CommonPrefixes with a delimiter', async () => {
      await initiate('tree/x/1.bin');
      await initiate('tree/x/2.bin');
      await initiate('tree/top.bin');
      const result = await uploadsOf({ prefix: 'tree/', delimiter: '/' });
      expect(result.Upload.map((upload) => upload.Key)).to.deep.equal(['tree/top.bin']);
      expect(result.CommonPrefixes.map((prefix) => prefix.Prefix)).to.deep.equal(['tree/x/']);
    });

    it('should describe each upload with its storage class, owner and initiation time', async () => {
      await initiate('described/upload.bin');
      const [upload] = (await uploadsOf({ prefix: 'described/' })).Upload;
      expect(upload).to.include({ Key: 'described/upload.bin', StorageClass: 'STANDARD' });
      expect(upload!.Initiated).to.match(LISTING_TIME);
      expect(upload!.Owner?.ID).to.equal(OWNER_ID);
    });

    it('should URL-encode keys and the prefix with encoding-type=url', async () => {
      await initiate('encoded/a b.bin');
      const result = await uploadsOf({ prefix: 'encoded/a ', 'encoding-type': 'url' });
      expect(result.Upload.map((upload) => upload.Key)).to.deep.equal(['encoded/a%20b.bin']);
      expect(result.Prefix).to.equal('encoded/a%20');
    });
  });

  describe('Abort', () => {
    it('should answer Abort with 204 and drop the upload from the listing', async () => {
      const { uploadId } = await uploadAll('abort/gone.bin', [randomBytes(100)]);
      const response = await cos('DELETE', 'abort/gone.bin', { uploadId });
      expect(response.status).to.equal(204);
      expect((await uploadsOf({ prefix: 'abort/gone' })).Upload).to.deep.equal([]);
      expect(errorCode(await cos('GET', 'abort/gone.bin', { uploadId }))).to.equal('NoSuchUpload');
    });

    it('should delete the parts of an aborted upload', async () => {
      const { uploadId } = await uploadAll('abort/files.bin', [randomBytes(100)]);
      await cos('DELETE', 'abort/files.bin', { uploadId });
      expect(await readdir(join(emulator.dataDir, 'uploads'))).to.not.include(uploadId);
    });

    it('should answer an unknown upload id with 404 NoSuchUpload', async () => {
      const response = await cos('DELETE', 'abort/unknown.bin', { uploadId: 'nosuchupload' });
      expect(response.status).to.equal(404);
      expect(errorCode(response)).to.equal('NoSuchUpload');
    });

    it('should refuse a part that was still streaming when the upload was aborted', async () => {
      const key = 'abort/in-flight.bin';
      const uploadId = await initiate(key);
      const query = { partNumber: '1', uploadId };
      const headers = await signedHeaders(emulator, {
        method: 'PUT',
        path: `/${key}`,
        query,
        headers: { 'content-length': '2000' },
      });
      const path = `/${key}?partNumber=1&uploadId=${uploadId}`;
      const response = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const client = request(
          { host: '127.0.0.1', port: emulator.endpoints.port, method: 'PUT', path, headers, agent: false },
          (reply) => {
            const chunks: Buffer[] = [];
            reply.on('data', (chunk: Buffer) => chunks.push(chunk));
            reply.on('end', () => resolve({ status: reply.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          },
        );
        client.on('error', reject);
        client.write(randomBytes(1000));
        void setTimeout(100)
          .then(() => cos('DELETE', key, { uploadId }))
          .then(() => client.end(randomBytes(1000)));
      });
      expect(response.status).to.equal(404);
      expect(response.text).to.contain('<Code>NoSuchUpload</Code>');
      expect(await readdir(join(emulator.dataDir, 'uploads'))).to.not.include(uploadId);
      expect((await uploadsOf({ prefix: key })).Upload).to.deep.equal([]);
    });
  });
});
