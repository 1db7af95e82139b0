import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { encodeKeyPath } from '../../src/core/signing/encode.js';
import { Crc64, formatCrc64 } from '../../src/core/upload/crc64.js';
import type { Emulator } from '../../src/emulator/index.js';
import {
  errorCode,
  hostFor,
  permanentKeys,
  rawRequest,
  send,
  signedHeaders,
  startTestEmulator,
  type WireResponse,
} from '../helpers/emulator.js';

const crcOf = (bytes: Uint8Array): string => formatCrc64(new Crc64().update(bytes).digest());
const md5Hex = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

describe('emulator: COS objects', () => {
  let emulator: Emulator;

  before(async () => {
    emulator = await startTestEmulator({ maxObjectSize: 64 * 1024 });
  });
  after(() => emulator.close());
  afterEach(() => emulator.faults.update({}));

  const put = (key: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<WireResponse> =>
    send(emulator, { service: 'cos', method: 'PUT', path: `/${key}`, body, headers, keys: permanentKeys(emulator) });
  const get = (
    key: string,
    headers: Record<string, string> = {},
    method = 'GET',
    query: Record<string, string> = {},
  ): Promise<WireResponse> =>
    send(emulator, { service: 'cos', method, path: `/${key}`, headers, query, keys: permanentKeys(emulator) });

  describe('PUT and GET Object', () => {
    const keys = ['plain.bin', 'dir/a b.mp4', '目录/视频 文件.mp4', 'a+b=c&d.bin', 'wow!.bin', 'copy (1).mp4'];
    for (const key of keys) {
      it(`should return the bytes put under ${JSON.stringify(key)}`, async () => {
        const body = randomBytes(20_000);
        expect((await put(key, body)).status).to.equal(200);
        const response = await get(key);
        expect(response.status).to.equal(200);
        expect(response.body.equals(body)).to.equal(true);
      });
    }

    it('should answer PUT with 200, an empty body, the quoted MD5 as ETag and the CRC-64 in decimal', async () => {
      const response = await put('check/123456789.txt', '123456789');
      expect(response.status).to.equal(200);
      expect(response.body.length).to.equal(0);
      expect(response.headers['etag']).to.equal(`"${md5Hex(Buffer.from('123456789'))}"`);
      expect(response.headers['x-cos-hash-crc64ecma']).to.equal('11051210869376104954');
    });

    it('should report the CRC-64 of a random body as computed independently', async () => {
      const body = randomBytes(50_001);
      const response = await put('check/random.bin', body);
      expect(response.headers['x-cos-hash-crc64ecma']).to.equal(crcOf(body));
    });

    it('should answer GET with the object headers', async () => {
      const body = randomBytes(1000);
      await put('headers/object.bin', body, { 'content-type': 'video/mp4' });
      const response = await get('headers/object.bin');
      expect(response.headers['etag']).to.equal(`"${md5Hex(body)}"`);
      expect(response.headers['content-type']).to.equal('video/mp4');
      expect(response.headers['content-length']).to.equal('1000');
      expect(response.headers['x-cos-hash-crc64ecma']).to.equal(crcOf(body));
      expect(response.headers['last-modified']).to.match(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      expect(response.headers['x-cos-request-id']).to.be.a('string');
    });

    it('should store Cache-Control, Content-Disposition, Expires and x-cos-meta-* and return them', async () => {
      await put('headers/meta.txt', 'meta', {
        'content-type': 'text/plain',
        'cache-control': 'max-age=60',
        'content-disposition': 'attachment; filename="a.txt"',
        expires: 'Wed, 21 Oct 2037 07:28:00 GMT',
        'x-cos-meta-origin': 'test-suite',
      });
      const response = await get('headers/meta.txt');
      expect(response.headers['cache-control']).to.equal('max-age=60');
      expect(response.headers['content-disposition']).to.equal('attachment; filename="a.txt"');
      expect(response.headers['expires']).to.equal('Wed, 21 Oct 2037 07:28:00 GMT');
      expect(response.headers['x-cos-meta-origin']).to.equal('test-suite');
    });

    it('should default the Content-Type to application/octet-stream', async () => {
      await put('headers/untyped', 'x', { 'content-type': '', 'cache-control': '' });
      const response = await get('headers/untyped');
      expect(response.headers['content-type']).to.equal('application/octet-stream');
      expect(response.headers['cache-control']).to.equal(undefined);
    });

    it('should replace an object put twice', async () => {
      await put('replace.txt', 'first version');
      await put('replace.txt', 'second');
      expect((await get('replace.txt')).text).to.equal('second');
    });

    it('should override reply headers with response-* query parameters', async () => {
      await put('headers/download.bin', 'data');
      const response = await get('headers/download.bin', {}, 'GET', {
        'response-content-type': 'text/csv',
        'response-content-disposition': 'attachment',
      });
      expect(response.headers['content-type']).to.equal('text/csv');
      expect(response.headers['content-disposition']).to.equal('attachment');
    });

    it('should send a UTF-8 response-content-disposition as its UTF-8 bytes', async () => {
      await put('headers/utf8.bin', 'data');
      const disposition = 'attachment; filename="视频 1.mp4"';
      const response = await get('headers/utf8.bin', {}, 'GET', { 'response-content-disposition': disposition });
      expect(response.status).to.equal(200);
      const sent = Buffer.from(String(response.headers['content-disposition']), 'latin1').toString('utf8');
      expect(sent).to.equal(disposition);
    });

    it('should answer a response-* parameter with a line break with 400 InvalidArgument', async () => {
      await put('headers/crlf.bin', 'data');
      const response = await get('headers/crlf.bin', {}, 'GET', { 'response-content-type': 'text/plain\r\nx-evil: 1' });
      expect(response.status).to.equal(400);
      expect(errorCode(response)).to.equal('InvalidArgument');
      expect(response.headers['x-evil']).to.equal(undefined);
    });

    it('should serve a key whose path the client encoded differently', async () => {
      await put('mixed/a b(1).txt', 'encoded');
      const target = `/${encodeKeyPath('mixed/a b(1).txt').replace('%28', '(').replace('%29', ')')}`;
      const headers = await signedHeaders(emulator, { method: 'GET', path: '/mixed/a b(1).txt' });
      const response = await rawRequest(emulator, { method: 'GET', target, headers });
      expect(response.text).to.equal('encoded');
    });
  });

  describe('Range', () => {
    const body = Buffer.from('0123456789abcdefghij');
    before(async () => {
      await put('range.txt', body);
    });

    it('should answer bytes=a-b with 206, the slice and Content-Range, without the whole-object CRC', async () => {
      const response = await get('range.txt', { range: 'bytes=2-5' });
      expect(response.status).to.equal(206);
      expect(response.text).to.equal('2345');
      expect(response.headers['content-range']).to.equal('bytes 2-5/20');
      expect(response.headers['content-length']).to.equal('4');
      expect(response.headers['x-cos-hash-crc64ecma']).to.equal(undefined);
    });

    it('should answer bytes=a- with the rest of the object', async () => {
      const response = await get('range.txt', { range: 'bytes=15-' });
      expect(response.status).to.equal(206);
      expect(response.text).to.equal('fghij');
      expect(response.headers['content-range']).to.equal('bytes 15-19/20');
    });

    it('should answer bytes=-n with the last n bytes', async () => {
      const response = await get('range.txt', { range: 'bytes=-3' });
      expect(response.status).to.equal(206);
      expect(response.text).to.equal('hij');
    });

    it('should clip a range that ends past the object', async () => {
      const response = await get('range.txt', { range: 'bytes=18-100' });
      expect(response.text).to.equal('ij');
      expect(response.headers['content-range']).to.equal('bytes 18-19/20');
    });

    it('should answer a range starting past the end with 416 InvalidRange', async () => {
      const response = await get('range.txt', { range: 'bytes=20-30' });
      expect(response.status).to.equal(416);
      expect(errorCode(response)).to.equal('InvalidRange');
      expect(response.headers['content-range']).to.equal('bytes */20');
    });

    it('should ignore a malformed range and send the whole object', async () => {
      const response = await get('range.txt', { range: 'bytes=5-2' });
      expect(response.status).to.equal(200);
      expect(response.body.equals(body)).to.equal(true);
    });
  });

  describe('conditional GET', () => {
    it('should answer If-None-Match with the current ETag with 304', async () => {
      const etag = (await put('conditional.txt', 'same')).headers['etag'] as string;
      const response = await get('conditional.txt', { 'if-none-match': etag });
      expect(response.status).to.equal(304);
      expect(response.body.length).to.equal(0);
    });

    it('should answer If-Match with another ETag with 412 PreconditionFailed', async () => {
      await put('conditional.txt', 'same');
      const response = await get('conditional.txt', { 'if-match': '"0123456789abcdef0123456789abcdef"' });
      expect(response.status).to.equal(412);
      expect(errorCode(response)).to.equal('PreconditionFailed');
    });
  });

  describe('HEAD and DELETE Object', () => {
    it('should answer HEAD with the GET headers and no body', async () => {
      const body = randomBytes(3000);
      await put('head.bin', body, { 'x-cos-meta-kind': 'random' });
      const response = await get('head.bin', {}, 'HEAD');
      expect(response.status).to.equal(200);
      expect(response.body.length).to.equal(0);
      expect(response.headers['content-length']).to.equal('3000');
      expect(response.headers['etag']).to.equal(`"${md5Hex(body)}"`);
      expect(response.headers['x-cos-hash-crc64ecma']).to.equal(crcOf(body));
      expect(response.headers['x-cos-meta-kind']).to.equal('random');
    });

    it('should answer HEAD of a missing object with 404 and no body', async () => {
      const response = await get('missing/head.bin', {}, 'HEAD');
      expect(response.status).to.equal(404);
      expect(response.body.length).to.equal(0);
    });

    it('should answer GET of a missing object with 404 NoSuchKey', async () => {
      const response = await get('missing/object.bin');
      expect(response.status).to.equal(404);
      expect(errorCode(response)).to.equal('NoSuchKey');
    });

    it('should delete an object with 204', async () => {
      await put('delete-me.txt', 'bye');
      const deleted = await get('delete-me.txt', {}, 'DELETE');
      expect(deleted.status).to.equal(204);
      expect((await get('delete-me.txt')).status).to.equal(404);
    });

    it('should answer DELETE of a missing object with 204', async () => {
      expect((await get('missing/never.txt', {}, 'DELETE')).status).to.equal(204);
    });
  });

  describe('upload errors', () => {
    it('should accept a Content-MD5 that matches the body', async () => {
      const body = Buffer.from('checked');
      const md5 = createHash('md5').update(body).digest('base64');
      expect((await put('md5/ok.txt', body, { 'content-md5': md5 })).status).to.equal(200);
    });

    it('should answer a Content-MD5 mismatch with 400 BadDigest and keep the previous object', async () => {
      await put('md5/kept.txt', 'original');
      const md5 = createHash('md5').update('something else').digest('base64');
      const response = await put('md5/kept.txt', 'replacement', { 'content-md5': md5 });
      expect(response.status).to.equal(400);
      expect(errorCode(response)).to.equal('BadDigest');
      expect((await get('md5/kept.txt')).text).to.equal('original');
    });

    it('should answer a Content-MD5 that is not a base64 MD5 with 400 InvalidDigest', async () => {
      const response = await put('md5/invalid.txt', 'x', { 'content-md5': 'not-an-md5' });
      expect(response.status).to.equal(400);
      expect(errorCode(response)).to.equal('InvalidDigest');
    });

    it('should accept a key of 850 UTF-8 bytes and answer 851 with 400 KeyTooLong', async () => {
      expect((await put('k'.repeat(850), 'x')).status).to.equal(200);
      const response = await put(`${'中'.repeat(283)}ab`, 'x');
      expect(response.status).to.equal(400);
      expect(errorCode(response)).to.equal('KeyTooLong');
    });

    it('should answer a key containing NUL with 400 InvalidObjectName', async () => {
      const response = await put('bad\0name.txt', 'x');
      expect(response.status).to.equal(400);
      expect(errorCode(response)).to.equal('InvalidObjectName');
    });

    it('should answer a path that is not UTF-8 with 400 InvalidURI', async () => {
      const response = await rawRequest(emulator, {
        method: 'PUT',
        target: '/bad%C0%AF.txt',
        headers: { host: hostFor(emulator, 'cos'), 'content-length': '1' },
        body: Buffer.from('x'),
      });
      expect(response.status).to.equal(400);
      expect(errorCode(response)).to.equal('InvalidURI');
    });

    it('should answer a chunked PUT without Content-Length with 411 MissingContentLength', async () => {
      const path = '/chunked.txt';
      const headers = await signedHeaders(emulator, {
        method: 'PUT',
        path,
        headers: { 'transfer-encoding': 'chunked' },
      });
      const response = await rawRequest(emulator, { method: 'PUT', target: path, headers, body: Buffer.from('chunk') });
      expect(response.status).to.equal(411);
      expect(errorCode(response)).to.equal('MissingContentLength');
    });

    it('should answer a body larger than maxObjectSize with 400 EntityTooLarge', async () => {
      const response = await put('too/large.bin', randomBytes(64 * 1024 + 1));
      expect(response.status).to.equal(400);
      expect(errorCode(response)).to.equal('EntityTooLarge');
      expect((await get('too/large.bin')).status).to.equal(404);
    });

    it('should leave no temporary file behind after failed uploads', async () => {
      await put('too/large.bin', randomBytes(64 * 1024 + 1));
      await put('md5/leak.txt', 'x', { 'content-md5': createHash('md5').update('y').digest('base64') });
      expect(await readdir(join(emulator.dataDir, 'tmp'))).to.deep.equal([]);
    });

    it('should store nothing and leave no file behind when the client goes away mid-body', async () => {
      const path = '/gone/half.bin';
      const headers = await signedHeaders(emulator, { method: 'PUT', path, headers: { 'content-length': '100000' } });
      const { port } = emulator.endpoints;
      const client = request({ host: '127.0.0.1', port, method: 'PUT', path, headers, agent: false });
      client.on('error', () => undefined);
      client.write(randomBytes(1000));
      await setTimeout(100);
      client.destroy();
      const deadline = Date.now() + 2000;
      while ((await readdir(join(emulator.dataDir, 'tmp'))).length > 0 && Date.now() < deadline) await setTimeout(20);
      expect(await readdir(join(emulator.dataDir, 'tmp'))).to.deep.equal([]);
      expect((await get('gone/half.bin')).status).to.equal(404);
    });
  });

  describe('faults', () => {
    it('should send a wrong but well-formed CRC-64 when the corruptCrc fault fires', async () => {
      emulator.faults.update({ rules: [{ operations: ['PutObject'], corruptCrcRate: 1 }] });
      const response = await put('faults/corrupt.txt', '123456789');
      expect(response.status).to.equal(200);
      const crc = response.headers['x-cos-hash-crc64ecma'] as string;
      expect(crc).to.match(/^\d+$/);
      expect(crc).to.not.equal('11051210869376104954');
    });

    it('should keep the stored object intact when the reply CRC is corrupted', async () => {
      emulator.faults.update({ rules: [{ operations: ['PutObject'], corruptCrcRate: 1 }] });
      await put('faults/intact.txt', '123456789');
      emulator.faults.update({});
      const response = await get('faults/intact.txt');
      expect(response.headers['x-cos-hash-crc64ecma']).to.equal('11051210869376104954');
    });
  });

});
