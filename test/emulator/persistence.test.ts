// What the cloud does not forget, the emulator keeps across a restart on the same data folder: multipart uploads in
// progress (with their parts) and media jobs (with their states). Everything goes through startEmulator and HTTP.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseCompleteMultipartUploadResult,
  parseListMultipartUploadsResult,
  parseListPartsResult,
} from '../../src/core/protocol/cos-document.js';
import type { Emulator } from '../../src/emulator/index.js';
import { MiB, crcOf, md5Hex, multipartCalls, multipartEtag } from '../helpers/cos-multipart.js';
import { permanentKeys, send, startTestEmulator } from '../helpers/emulator.js';

describe('emulator: multipart uploads survive a restart', function () {
  this.timeout(20_000);
  let dir: string;
  let emulator: Emulator;
  const calls = multipartCalls(() => emulator);
  const KEY = 'kept/视频 1.mp4';
  const parts = [randomBytes(MiB), randomBytes(MiB + 3), randomBytes(777)];
  let uploadId: string;
  let dropped: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cos-emulator-persist-'));
    emulator = await startTestEmulator({ dataDir: dir });
    uploadId = await calls.initiate(KEY, { 'content-type': 'video/mp4', 'x-cos-meta-origin': 'before-restart' });
    expect((await calls.uploadPart(KEY, uploadId, 1, parts[0]!)).status).to.equal(200);
    expect((await calls.uploadPart(KEY, uploadId, 2, randomBytes(MiB))).status).to.equal(200);
    expect((await calls.uploadPart(KEY, uploadId, 2, parts[1]!)).status).to.equal(200);
    dropped = await calls.initiate('kept/dropped.bin');
    expect((await calls.uploadPart('kept/dropped.bin', dropped, 1, randomBytes(10))).status).to.equal(200);
    await emulator.close();
    // Left by a crash or by something else: an upload folder without metadata, one with corrupt metadata, a stray file.
    const uploads = join(emulator.dataDir, 'uploads');
    await mkdir(join(uploads, `1${'a'.repeat(62)}`));
    await mkdir(join(uploads, `2${'b'.repeat(62)}`));
    await writeFile(join(uploads, `2${'b'.repeat(62)}`, 'upload.json'), '{"uploadId": "2bbb", "bucket": ');
    await writeFile(join(uploads, 'stray.txt'), 'x');
    emulator = await startTestEmulator({ dataDir: dir });
  });
  after(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should list the uploads in progress, and only them', async () => {
    const listed = parseListMultipartUploadsResult((await calls.listUploads({})).text);
    expect(listed.Upload.map((upload) => [upload.Key, upload.UploadId])).to.deep.equal([
      ['kept/dropped.bin', dropped],
      [KEY, uploadId],
    ]);
    expect((await readdir(join(emulator.dataDir, 'uploads'))).sort()).to.deep.equal([dropped, uploadId].sort());
  });

  it('should list the parts uploaded before the restart, the re-uploaded one as last sent', async () => {
    const response = await calls.cos('GET', KEY, { uploadId });
    expect(response.status, response.text).to.equal(200);
    const listed = parseListPartsResult(response.text);
    expect(listed.Part.map((part) => [part.PartNumber, part.ETag, part.Size])).to.deep.equal([
      [1, `"${md5Hex(parts[0]!)}"`, parts[0]!.length],
      [2, `"${md5Hex(parts[1]!)}"`, parts[1]!.length],
    ]);
  });

  it('should continue the upload and complete it into the right object (ETag, CRC-64, bytes, headers)', async () => {
    const third = await calls.uploadPart(KEY, uploadId, 3, parts[2]!);
    expect(third.status).to.equal(200);
    const completed = await calls.complete(KEY, uploadId, [
      { PartNumber: 1, ETag: `"${md5Hex(parts[0]!)}"` },
      { PartNumber: 2, ETag: `"${md5Hex(parts[1]!)}"` },
      { PartNumber: 3, ETag: third.headers['etag'] as string },
    ]);
    expect(completed.status, completed.text).to.equal(200);
    expect(parseCompleteMultipartUploadResult(completed.text).ETag).to.equal(multipartEtag(parts));
    expect(completed.headers['x-cos-hash-crc64ecma']).to.equal(crcOf(...parts));
    const object = await send(emulator, { service: 'cos', method: 'GET', path: `/${KEY}`, keys: permanentKeys(emulator) });
    expect(object.body.equals(Buffer.concat(parts))).to.equal(true);
    expect(object.headers['etag']).to.equal(multipartEtag(parts));
    expect(object.headers['content-type']).to.equal('video/mp4');
    expect(object.headers['x-cos-meta-origin']).to.equal('before-restart');
  });

  it('should abort an upload of the earlier run, for good', async () => {
    expect((await calls.cos('DELETE', 'kept/dropped.bin', { uploadId: dropped })).status).to.equal(204);
    await emulator.close();
    emulator = await startTestEmulator({ dataDir: dir });
    const listed = parseListMultipartUploadsResult((await calls.listUploads({})).text);
    expect(listed.Upload).to.deep.equal([]);
    expect(await readdir(join(emulator.dataDir, 'uploads'))).to.deep.equal([]);
  });
});
