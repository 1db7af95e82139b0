import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';
import { MiB, crcOf, md5Hex, multipartCalls, multipartEtag } from '../helpers/cos-multipart.js';
import { BUCKET, permanentKeys, send, signedHeaders, startTestEmulator } from '../helpers/emulator.js';

/** Every file under `dir` (recursively) with its inode and size. */
async function filesUnder(dir: string): Promise<{ path: string; ino: number; size: number }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const info = await stat(path);
    files.push({ path, ino: info.ino, size: info.size });
  }
  return files;
}

/** The folders of completed multipart objects under `objects/`. */
async function partsFolders(emulator: Emulator): Promise<string[]> {
  const entries = await readdir(join(emulator.dataDir, 'objects'), { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory() && entry.name.endsWith('.parts')).map((entry) => entry.name);
}

describe('emulator: a completed multipart object is read from its parts', function () {
  this.timeout(30_000);
  let dataDir: string;
  let emulator: Emulator;
  const { cos, uploadAll, complete } = multipartCalls(() => emulator);
  const bodies = [randomBytes(MiB + 1), randomBytes(MiB + 7), randomBytes(1000)];
  const whole = Buffer.concat(bodies);
  const key = 'segments/three parts.bin';

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cos-emulator-segments-'));
    emulator = await startTestEmulator({ dataDir });
    const { uploadId, parts } = await uploadAll(key, bodies);
    const response = await complete(key, uploadId, parts);
    expect(response.status, response.text).to.equal(200);
  });
  after(async () => {
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const ranges: [string, number, number][] = [
    ['across the first boundary', MiB - 5, MiB + 5],
    ['across both boundaries', 10, whole.length - 10],
    ['the last byte of a part and the first of the next', MiB, MiB + 1],
    ['the first byte of the second part', MiB + 1, MiB + 1],
    ['inside the last part', whole.length - 900, whole.length - 100],
    ['from the middle to past the end', MiB + 3, whole.length + 50],
  ];
  for (const [name, start, end] of ranges) {
    it(`should serve a Range ${name} exactly`, async () => {
      const response = await cos('GET', key, {}, undefined, { range: `bytes=${start}-${end}` });
      expect(response.status).to.equal(206);
      const last = Math.min(end, whole.length - 1);
      expect(response.headers['content-range']).to.equal(`bytes ${start}-${last}/${whole.length}`);
      expect(response.body.equals(whole.subarray(start, last + 1))).to.equal(true);
    });
  }

  it('should serve a suffix Range across a boundary exactly', async () => {
    const response = await cos('GET', key, {}, undefined, { range: 'bytes=-1500' });
    expect(response.status).to.equal(206);
    expect(response.body.equals(whole.subarray(whole.length - 1500))).to.equal(true);
  });

  it('should serve the whole object with the multipart ETag and the combined CRC-64', async () => {
    const response = await cos('GET', key);
    expect(response.status).to.equal(200);
    expect(md5Hex(response.body)).to.equal(md5Hex(whole));
    expect(response.headers.etag).to.equal(multipartEtag(bodies));
    expect(response.headers['x-cos-hash-crc64ecma']).to.equal(crcOf(whole));
  });

  it('should keep the object, bytes and headers, across a restart', async () => {
    await emulator.close();
    emulator = await startTestEmulator({ dataDir });
    const response = await cos('GET', key, {}, undefined, { range: `bytes=${MiB - 1}-${2 * MiB + 9}` });
    expect(response.status).to.equal(206);
    expect(response.body.equals(whole.subarray(MiB - 1, 2 * MiB + 10))).to.equal(true);
    const head = await cos('HEAD', key);
    expect(head.headers.etag).to.equal(multipartEtag(bodies));
    expect(head.headers['x-cos-hash-crc64ecma']).to.equal(crcOf(whole));
  });
});

describe('emulator: CompleteMultipartUpload writes none of the object\'s bytes', function () {
  this.timeout(30_000);
  let emulator: Emulator;
  const { cos, uploadAll, complete } = multipartCalls(() => emulator);

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.close());

  for (const [name, sizes] of [
    ['3 small parts', [MiB, MiB, 10]],
    ['3 parts four times larger', [4 * MiB, 4 * MiB, 40]],
  ] as const) {
    it(`should make the parts the object's files, the same inodes (${name})`, async () => {
      const key = `linked/${sizes.join('-')}`;
      const { uploadId, parts } = await uploadAll(key, sizes.map((size) => randomBytes(size)));
      const uploadDir = join(emulator.dataDir, 'uploads', uploadId);
      const partFiles = (await filesUnder(uploadDir)).filter((file) => !file.path.endsWith('upload.json'));
      const before = await filesUnder(join(emulator.dataDir, 'objects'));
      expect((await complete(key, uploadId, parts)).status).to.equal(200);
      const added = (await filesUnder(join(emulator.dataDir, 'objects'))).filter(
        (file) => !before.some((old) => old.path === file.path),
      );
      const data = added.filter((file) => !file.path.endsWith('.json'));
      expect(data.map((file) => file.ino).sort()).to.deep.equal(partFiles.map((file) => file.ino).sort());
      const total = sizes.reduce((sum, size) => sum + size, 0);
      expect(added.every((file) => file.size < total), 'no file holds the whole object').to.equal(true);
      expect((await cos('HEAD', key)).headers['content-length']).to.equal(String(total));
    });
  }

  it('should delete the part files with the object', async () => {
    const key = 'linked/deleted';
    const { uploadId, parts } = await uploadAll(key, [randomBytes(MiB), randomBytes(5)]);
    const before = await partsFolders(emulator);
    expect((await complete(key, uploadId, parts)).status).to.equal(200);
    const created = (await partsFolders(emulator)).filter((name) => !before.includes(name));
    expect(created).to.have.length(1);
    expect((await cos('DELETE', key)).status).to.equal(204);
    expect(await partsFolders(emulator)).to.deep.equal(before);
    expect(await readdir(join(emulator.dataDir, 'uploads'))).to.deep.equal([]);
    expect((await cos('GET', key)).status).to.equal(404);
  });

  it('should replace a multipart object with a PUT, deleting its part files', async () => {
    const key = 'linked/replaced';
    const { uploadId, parts } = await uploadAll(key, [randomBytes(MiB), randomBytes(5)]);
    const before = await partsFolders(emulator);
    expect((await complete(key, uploadId, parts)).status).to.equal(200);
    expect((await cos('PUT', key, {}, 'small now')).status).to.equal(200);
    expect((await cos('GET', key)).text).to.equal('small now');
    expect((await partsFolders(emulator)).filter((name) => !before.includes(name))).to.deep.equal([]);
  });

  it('should delete an aborted upload\'s part files', async () => {
    const key = 'linked/aborted';
    const { uploadId } = await uploadAll(key, [randomBytes(MiB), randomBytes(5)]);
    expect((await cos('DELETE', key, { uploadId })).status).to.equal(204);
    expect(await readdir(join(emulator.dataDir, 'uploads'))).to.deep.equal([]);
  });

  it('should send a reader the whole version it started on, though the object is deleted meanwhile', async () => {
    const key = 'linked/read-while-deleted';
    const bodies = [randomBytes(4 * MiB), randomBytes(4 * MiB), randomBytes(4 * MiB + 3)];
    const { uploadId, parts } = await uploadAll(key, bodies);
    const before = await partsFolders(emulator);
    expect((await complete(key, uploadId, parts)).status).to.equal(200);
    const headers = await signedHeaders(emulator, { method: 'GET', path: `/${key}` });
    const chunks: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const client = request(
        { host: '127.0.0.1', port: emulator.endpoints.port, path: `/${key}`, headers, agent: false },
        (response) => {
          response.once('data', (chunk: Buffer) => {
            chunks.push(chunk);
            response.pause();
            // The object goes while the reader is paused after its first chunk.
            cos('DELETE', key).then(() => {
              response.on('data', (next: Buffer) => chunks.push(next));
              response.resume();
            }, reject);
          });
          response.on('end', resolve);
          response.on('error', reject);
        },
      );
      client.on('error', reject);
      client.end();
    });
    await done;
    expect(md5Hex(Buffer.concat(chunks))).to.equal(md5Hex(Buffer.concat(bodies)));
    expect((await cos('GET', key)).status).to.equal(404);
    for (let attempt = 0; attempt < 50 && (await partsFolders(emulator)).length > before.length; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await partsFolders(emulator)).to.deep.equal(before);
  });
});

describe('emulator: data folders of earlier layouts', () => {
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cos-emulator-layout-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('should serve an object stored whole in <sha1>.data, and delete files no sidecar names', async () => {
    const first = await startTestEmulator({ dataDir });
    const objects = join(first.dataDir, 'objects', BUCKET);
    await first.close();
    const key = 'old/whole.txt';
    const body = Buffer.from('stored by an older emulator');
    const digest = createHash('sha1').update(key).digest('hex');
    const folder = join(objects, digest.slice(0, 2));
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `${digest}.data`), body);
    const sidecar = {
      version: 1,
      bucket: BUCKET,
      key,
      size: body.length,
      etag: `"${md5Hex(body)}"`,
      crc64: crcOf(body),
      contentType: 'text/plain',
      headers: {},
      lastModified: Date.now(),
    };
    await writeFile(join(folder, `${digest}.json`), JSON.stringify(sidecar));
    const stray = `${'a'.repeat(40)}.0123456789ab`;
    await writeFile(join(folder, `${stray}.data`), 'left by a crash');
    await mkdir(join(folder, `${stray}.parts`));
    await writeFile(join(folder, `${stray}.parts`, '1'), 'left by a crash');

    const second = await startTestEmulator({ dataDir });
    try {
      const response = await send(second, { service: 'cos', method: 'GET', path: `/${key}`, keys: permanentKeys(second) });
      expect(response.status).to.equal(200);
      expect(response.text).to.equal(body.toString());
      expect(response.headers.etag).to.equal(sidecar.etag);
      expect((await readdir(folder)).sort()).to.deep.equal([`${digest}.data`, `${digest}.json`]);
    } finally {
      await second.close();
    }
  });
});
