// The data folder is the user's: the emulator keeps its files in `<dataDir>/cos-emulator/` (marked as its own),
// never touches anything beside it, refuses a folder of that name it did not create, and removes a temporary data
// folder on close. Everything goes through startEmulator and real HTTP.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';
import { DataDirError } from '../../src/emulator/storage/data-dir.js';
import { SAMPLE, submit, transcodeBody, waitForJob } from './ci-support.js';
import { MiB, multipartCalls } from '../helpers/cos-multipart.js';
import { permanentKeys, seedObject, send, signedHeaders, startTestEmulator } from '../helpers/emulator.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Every entry under `dir` but `skip`: type, mode, size, times and content hash, to compare byte for byte. */
async function snapshot(dir: string, skip = 'cos-emulator'): Promise<Record<string, string>> {
  // '\0' skips nothing.
  const result: Record<string, string> = {};
  for (const name of await readdir(dir, { recursive: true })) {
    if (name === skip || name.startsWith(`${skip}/`)) continue;
    const path = join(dir, name);
    const entry = await lstat(path);
    let content = '';
    if (entry.isFile()) content = createHash('sha256').update(await readFile(path)).digest('hex');
    if (entry.isSymbolicLink()) content = `-> ${await readlink(path)}`;
    result[name] = `${entry.mode.toString(8)} ${entry.size} ${entry.mtimeMs} ${entry.ctimeMs} ${content}`;
  }
  return result;
}

/** The user's own files, with folders named like the emulator's. */
async function userFiles(dir: string): Promise<void> {
  for (const folder of ['tmp', 'objects', 'uploads/abc', 'jobs', 'empty']) {
    await mkdir(join(dir, folder), { recursive: true });
  }
  await writeFile(join(dir, 'notes.txt'), 'my notes\n');
  await writeFile(join(dir, 'tmp', 'draft.txt'), 'keep me');
  await writeFile(join(dir, 'objects', 'photo.bin'), randomBytes(4096));
  await writeFile(join(dir, 'uploads', 'abc', '1'), 'part-like');
  await writeFile(join(dir, 'jobs', 'j0.json'), '{"mine":true}');
  await symlink('notes.txt', join(dir, 'link'));
}

/** Starts an upload whose body never ends, so that a temporary file exists in the data folder. */
async function stalledPut(emulator: Emulator): Promise<{ closed: Promise<void> }> {
  const headers = await signedHeaders(emulator, {
    method: 'PUT',
    path: '/stalled.bin',
    headers: { 'content-length': String(10 * MiB) },
  });
  const closed = new Promise<void>((done) => {
    const { port } = emulator.endpoints;
    const client = request({ host: '127.0.0.1', port, method: 'PUT', path: '/stalled.bin', headers, agent: false });
    client.on('error', () => done());
    client.on('close', () => done());
    client.write(randomBytes(64 * 1024));
  });
  return { closed };
}

describe('emulator: the data folder is the user\'s', function () {
  this.timeout(20_000);
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cos-emulator-user-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('should leave the user\'s files byte for byte untouched across uploads, jobs, close and restart', async () => {
    await userFiles(dir);
    const before = await snapshot(dir);
    let emulator = await startTestEmulator({ dataDir: dir });
    expect(emulator.dataDir).to.equal(join(dir, 'cos-emulator'));
    expect((await lstat(emulator.dataDir)).mode & 0o777).to.equal(0o700);
    const keys = permanentKeys(emulator);
    const calls = multipartCalls(() => emulator);
    const body = randomBytes(3000);
    const put = await send(emulator, { service: 'cos', method: 'PUT', path: '/kept/a.bin', body, keys });
    expect(put.status).to.equal(200);
    const parts = [randomBytes(MiB), randomBytes(10)];
    const done = await calls.uploadAll('kept/multi.bin', parts);
    expect((await calls.complete('kept/multi.bin', done.uploadId, done.parts)).status).to.equal(200);
    const open = await calls.initiate('kept/open.bin');
    expect((await calls.uploadPart('kept/open.bin', open, 1, randomBytes(100))).status).to.equal(200);
    await seedObject(emulator, 'input/sample.mp4', SAMPLE);
    const job = await submit(emulator, transcodeBody('input/sample.mp4'));
    expect((await waitForJob(emulator, job.JobId, { timeoutMs: 8000 })).State).to.equal('Success');
    const head = await send(emulator, { service: 'cos', method: 'HEAD', path: '/kept/multi.bin', keys });
    const stalled = await stalledPut(emulator);
    const deadline = Date.now() + 3000;
    while ((await readdir(join(emulator.dataDir, 'tmp'))).length === 0 && Date.now() < deadline) {
      await new Promise((wait) => setTimeout(wait, 20));
    }
    expect(await readdir(join(emulator.dataDir, 'tmp'))).to.have.length.above(0);
    await emulator.close();
    await stalled.closed;
    expect(await snapshot(dir)).to.deep.equal(before);

    emulator = await startTestEmulator({ dataDir: dir });
    try {
      const again = await send(emulator, { service: 'cos', method: 'GET', path: '/kept/a.bin', keys });
      expect(again.body.equals(body)).to.equal(true);
      expect(again.headers.etag).to.equal(put.headers.etag);
      const multi = await send(emulator, { service: 'cos', method: 'GET', path: '/kept/multi.bin', keys });
      expect(multi.body.equals(Buffer.concat(parts))).to.equal(true);
      expect(multi.headers.etag).to.equal(head.headers.etag);
      expect(multi.headers['x-cos-hash-crc64ecma']).to.equal(head.headers['x-cos-hash-crc64ecma']);
      const path = `/output/${job.JobId}.mp4`;
      const output = await send(emulator, { service: 'cos', method: 'HEAD', path, keys });
      expect(output.status).to.equal(200);
    } finally {
      await emulator.close();
    }
    expect(await snapshot(dir)).to.deep.equal(before);
    expect(await readdir(join(dir, 'cos-emulator'))).to.not.include('tmp');
  });

  it('should refuse a cos-emulator folder it did not create, with a clear message, leaving it untouched', async () => {
    await mkdir(join(dir, 'cos-emulator', 'objects'), { recursive: true });
    await writeFile(join(dir, 'cos-emulator', 'objects', 'mine.txt'), 'mine');
    await mkdir(join(dir, 'cos-emulator', 'tmp'));
    await writeFile(join(dir, 'cos-emulator', 'tmp', 'work.txt'), 'work');
    const before = await snapshot(dir, '\0');
    const error = await startTestEmulator({ dataDir: dir }).then(
      (emulator) => emulator.close().then(() => undefined),
      (reason: unknown) => reason,
    );
    expect(error).to.be.instanceOf(DataDirError);
    expect((error as Error).message).to.contain(join(dir, 'cos-emulator')).and.to.match(/not created by the emulator/);
    expect(await snapshot(dir, '\0')).to.deep.equal(before);
  });

  it('should refuse a symbolic link named cos-emulator, even to a folder of its own', async () => {
    const elsewhere = join(dir, 'elsewhere');
    const first = await startTestEmulator({ dataDir: elsewhere });
    await first.close();
    await symlink(join(elsewhere, 'cos-emulator'), join(dir, 'cos-emulator'));
    const before = await snapshot(dir, '\0');
    const error = await startTestEmulator({ dataDir: dir }).then(
      (emulator) => emulator.close().then(() => undefined),
      (reason: unknown) => reason,
    );
    expect(error).to.be.instanceOf(DataDirError);
    expect((error as Error).message).to.match(/symbolic link/);
    expect(await snapshot(dir, '\0')).to.deep.equal(before);
  });

  it('should refuse a marker that is a folder, a cos-emulator that is a file, a data-dir that is a file', async () => {
    await mkdir(join(dir, 'a', 'cos-emulator', '.cos-emulator.json'), { recursive: true });
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'b', 'cos-emulator'), 'a file');
    await writeFile(join(dir, 'c'), 'a file');
    const before = await snapshot(dir, '\0');
    for (const dataDir of [join(dir, 'a'), join(dir, 'b'), join(dir, 'c')]) {
      const error = await startTestEmulator({ dataDir }).then(
        (emulator) => emulator.close().then(() => undefined),
        (reason: unknown) => reason,
      );
      expect(error, dataDir).to.be.instanceOf(DataDirError);
    }
    expect(await snapshot(dir, '\0')).to.deep.equal(before);
  });

  it('should refuse a second emulator on a data folder in use, and take over a lock its dead owner left', async () => {
    const first = await startTestEmulator({ dataDir: dir });
    try {
      const error = await startTestEmulator({ dataDir: dir }).then(
        (emulator) => emulator.close().then(() => undefined),
        (reason: unknown) => reason,
      );
      expect(error).to.be.instanceOf(DataDirError);
      expect((error as Error).message).to.match(/in use/);
      const keys = permanentKeys(first);
      const put = await send(first, { service: 'cos', method: 'PUT', path: '/still.txt', body: 'ok', keys });
      expect(put.status).to.equal(200);
    } finally {
      await first.close();
    }
    await writeFile(join(dir, 'cos-emulator', '.lock'), JSON.stringify({ pid: 2 ** 22 + 12345 }));
    const third = await startTestEmulator({ dataDir: dir });
    await third.close();
  });

  it('should start only one of two emulators opening one data folder at once in one process', async () => {
    const start = () => startTestEmulator({ dataDir: dir });
    const started = await Promise.allSettled([start(), start()]);
    await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)));
    expect(started.map((result) => result.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
    const refused = started.find((result) => result.status === 'rejected');
    expect(refused?.reason).to.be.instanceOf(DataDirError);
    expect(await readdir(join(dir, 'cos-emulator'))).to.not.include('.lock');
  });

  it('should remove a temporary data folder on close', async () => {
    const emulator = await startTestEmulator();
    const keys = permanentKeys(emulator);
    await send(emulator, { service: 'cos', method: 'PUT', path: '/x.txt', body: 'x', keys });
    const root = dirname(emulator.dataDir);
    expect((await lstat(root)).isDirectory()).to.equal(true);
    await emulator.close();
    const gone = await lstat(root).then(() => false, () => true);
    expect(gone).to.equal(true);
  });

  it('should exit 1 with one line naming the folder when the CLI is given a foreign cos-emulator folder', async () => {
    await mkdir(join(dir, 'cos-emulator'));
    const args = ['--import', 'tsx', 'src/emulator/cli.ts', '--port', '0', '--data-dir', dir];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    clearTimeout(timer);
    expect(code).to.be.oneOf([1, 2]);
    expect(stdout).to.equal('');
    expect(stderr).to.match(/^cos-transcoder-emulator: [^\n]*cos-emulator[^\n]*not created by the emulator[^\n]*\n$/);
    expect(await readdir(join(dir, 'cos-emulator'))).to.deep.equal([]);
  });
});
