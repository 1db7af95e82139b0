import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Crc64, formatCrc64 } from '../../src/core/upload/crc64.js';
import { IngestError, Ingestor, type IngestOptions, type IngestResult } from '../../src/emulator/storage/ingest.js';

const MiB = 1 << 20;
const root = resolve(import.meta.dirname, '..', '..');

function reference(body: Buffer): IngestResult {
  return {
    size: body.length,
    md5Hex: createHash('md5').update(body).digest('hex'),
    crc64: formatCrc64(new Crc64().update(body).digest()),
  };
}

/** A stream of `body` in chunks of random sizes (1 B to 200 KiB). */
function chunked(body: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < body.length; ) {
    const size = 1 + Math.floor(Math.random() * 200 * 1024);
    chunks.push(body.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(chunks, { objectMode: false });
}

async function rejection(promise: Promise<unknown>): Promise<IngestError> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(IngestError);
    return error as IngestError;
  }
  expect.fail('expected an IngestError, the ingest succeeded');
}

/** A source that yields `chunk` forever and counts how many were pulled. */
function endless(chunk: Buffer): Readable & { pulled: number } {
  const stream = new Readable({
    read() {
      stream.pulled += 1;
      this.push(chunk);
    },
  }) as Readable & { pulled: number };
  stream.pulled = 0;
  return stream;
}

describe('Ingestor', () => {
  let dir: string;
  let ingestor: Ingestor;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cos-ingest-test-'));
    ingestor = new Ingestor({ threads: 2 });
  });

  afterEach(async () => {
    await ingestor.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const size of [0, 1, 1000, 256 * 1024 + 1, 3 * MiB + 7]) {
    it(`should store a ${size}-byte body with its MD5 and CRC-64`, async () => {
      const body = randomBytes(size);
      const file = join(dir, 'bucket', 'key');
      const result = await ingestor.ingest(chunked(body), file, { expectedLength: size });
      expect(result).to.deep.equal(reference(body));
      expect((await readFile(file)).equals(body)).to.equal(true);
      expect(await readdir(join(dir, 'bucket'))).to.deep.equal(['key']);
    });
  }

  it('should store six bodies ingested at once', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => randomBytes(2 * MiB + i * 333_333));
    const results = await Promise.all(bodies.map((body, i) => ingestor.ingest(chunked(body), join(dir, `part-${i}`))));
    for (const [i, body] of bodies.entries()) {
      expect(results[i]).to.deep.equal(reference(body));
      expect((await readFile(join(dir, `part-${i}`))).equals(body)).to.equal(true);
    }
    expect((await readdir(dir)).sort()).to.deep.equal(bodies.map((_, i) => `part-${i}`));
  });

  it('should fail a short body with IncompleteBody and leave no file', async () => {
    const error = await rejection(ingestor.ingest(chunked(randomBytes(2 * MiB)), join(dir, 'key'), { expectedLength: 3 * MiB }));
    expect(error.code).to.equal('IncompleteBody');
    expect(error.received).to.equal(2 * MiB);
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('should fail a body longer than expectedLength with IncompleteBody', async () => {
    const error = await rejection(ingestor.ingest(chunked(randomBytes(100)), join(dir, 'key'), { expectedLength: 99 }));
    expect(error.code).to.equal('IncompleteBody');
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('should stop reading at once past maxBytes with EntityTooLarge', async () => {
    const source = endless(Buffer.alloc(64 * 1024, 1));
    const error = await rejection(ingestor.ingest(source, join(dir, 'key'), { maxBytes: 5 * MiB }));
    expect(error.code).to.equal('EntityTooLarge');
    expect(error.received).to.be.at.most(5 * MiB);
    const pulled = source.pulled;
    await new Promise((done) => setTimeout(done, 50));
    expect(source.pulled).to.equal(pulled); // paused, not drained
    expect(source.isPaused()).to.equal(true);
    expect(source.listenerCount('data')).to.equal(0);
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('should refuse a declared length above maxBytes before reading', async () => {
    const source = endless(Buffer.alloc(1024));
    const error = await rejection(ingestor.ingest(source, join(dir, 'key'), { expectedLength: 11, maxBytes: 10 }));
    expect(error.code).to.equal('EntityTooLarge');
    expect(source.pulled).to.equal(0);
  });

  it('should accept a body of exactly maxBytes', async () => {
    const body = randomBytes(MiB + 5);
    const result = await ingestor.ingest(chunked(body), join(dir, 'key'), { maxBytes: body.length });
    expect(result).to.deep.equal(reference(body));
  });

  it('should abort with RequestAborted when the signal fires, removing the temporary file', async () => {
    const source = new PassThrough();
    const controller = new AbortController();
    const ingest = ingestor.ingest(source, join(dir, 'key'), { signal: controller.signal });
    source.write(randomBytes(3 * MiB));
    await new Promise((done) => setTimeout(done, 50));
    expect((await readdir(dir)).some((name) => name.startsWith('key.partial-'))).to.equal(true);
    controller.abort();
    expect((await rejection(ingest)).code).to.equal('RequestAborted');
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('should refuse an already aborted signal', async () => {
    const signal = AbortSignal.abort();
    const error = await rejection(ingestor.ingest(chunked(randomBytes(10)), join(dir, 'key'), { signal }));
    expect(error.code).to.equal('RequestAborted');
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('should keep the previous file when a re-ingest fails', async () => {
    const file = join(dir, 'key');
    const good = randomBytes(2 * MiB);
    await ingestor.ingest(chunked(good), file);
    const bad = ingestor.ingest(chunked(randomBytes(3 * MiB)), file, { expectedLength: 4 * MiB });
    expect((await rejection(bad)).code).to.equal('IncompleteBody');
    expect((await readFile(file)).equals(good)).to.equal(true);
    expect(await readdir(dir)).to.deep.equal(['key']);
  });

  it('should replace the previous file when a re-ingest succeeds', async () => {
    const file = join(dir, 'key');
    await writeFile(file, 'old');
    const body = randomBytes(MiB);
    await ingestor.ingest(chunked(body), file);
    expect((await readFile(file)).equals(body)).to.equal(true);
  });

  it('should call throttle with every chunk before writing it', async () => {
    const body = randomBytes(2 * MiB + 3);
    let throttled = 0;
    const throttle = async (bytes: number): Promise<void> => {
      throttled += bytes;
      await new Promise((done) => setImmediate(done));
    };
    const result = await ingestor.ingest(chunked(body), join(dir, 'key'), { throttle });
    expect(result).to.deep.equal(reference(body));
    expect(throttled).to.equal(body.length);
  });

  it('should fail with the error of a throttle that rejects', async () => {
    const throttle = (): Promise<void> => Promise.reject(new Error('no bandwidth'));
    try {
      await ingestor.ingest(chunked(randomBytes(1000)), join(dir, 'key'), { throttle });
      expect.fail('resolved');
    } catch (error) {
      expect((error as Error).message).to.equal('no bandwidth');
    }
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('should fail ingests in progress and refuse new ones once closed', async () => {
    const source = new PassThrough();
    const ingest = ingestor.ingest(source, join(dir, 'key'));
    source.write(randomBytes(2 * MiB));
    await new Promise((done) => setTimeout(done, 50));
    await ingestor.close();
    expect((await rejection(ingest)).code).to.equal('RequestAborted');
    expect(await readdir(dir)).to.deep.equal([]);
    expect((await rejection(ingestor.ingest(chunked(randomBytes(1)), join(dir, 'key')))).code).to.equal('RequestAborted');
    await ingestor.close(); // idempotent
  });

  it('should leave no listener on the source and warn of no leak over many ingests', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): number => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 30; i += 1) {
        const source = chunked(randomBytes(i % 2 ? MiB + i : 100));
        await ingestor.ingest(source, join(dir, 'key'));
        for (const event of ['data', 'end', 'error', 'close', 'aborted']) expect(source.listenerCount(event)).to.equal(0);
      }
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map(String)).to.deep.equal([]);
  });

  it('should pass file system errors through and leave the source paused', async () => {
    await writeFile(join(dir, 'file'), 'not a folder');
    const source = chunked(randomBytes(10));
    try {
      await ingestor.ingest(source, join(dir, 'file', 'key'));
      expect.fail('resolved');
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).to.be.oneOf(['EEXIST', 'ENOTDIR']);
    }
    expect(source.isPaused()).to.equal(true);
    expect(await readdir(dir)).to.deep.equal(['file']);
  });

  it('should validate its options', async () => {
    for (const options of [{ expectedLength: -1 }, { maxBytes: 1.5 }, { expectedLength: Number.NaN }] as IngestOptions[]) {
      try {
        await ingestor.ingest(chunked(randomBytes(1)), join(dir, 'key'), options);
        expect.fail('resolved');
      } catch (error) {
        expect(error).to.be.instanceOf(RangeError);
      }
    }
    expect(() => new Ingestor({ threads: 0 })).to.throw(RangeError);
  });

  describe('over HTTP', () => {
    let server: Server;
    let port: number;
    let outcome: Promise<IngestResult>;

    beforeEach(async () => {
      server = createServer((req: IncomingMessage, res) => {
        const length = req.headers['content-length'];
        outcome = ingestor.ingest(req, join(dir, 'key'), {
          expectedLength: length === undefined ? undefined : Number(length),
          maxBytes: 8 * MiB,
        });
        outcome.then(
          (r) => res.writeHead(200, { etag: `"${r.md5Hex}"`, 'x-cos-hash-crc64ecma': r.crc64 }).end(),
          (error: IngestError) => res.writeHead(400, { connection: 'close' }).end(error.code),
        );
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      port = (server.address() as AddressInfo).port;
    });

    afterEach(async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    });

    const put = (length: number | undefined, send: (req: ReturnType<typeof request>) => void) =>
      new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((done, fail) => {
        const headers = length === undefined ? {} : { 'content-length': length };
        const req = request({ port, host: '127.0.0.1', method: 'PUT', path: '/key', headers });
        req.on('response', (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (text: string) => (body += text));
          res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body }));
        });
        req.on('error', fail);
        send(req);
      });

    it('should store a request body and answer its ETag and CRC-64', async () => {
      const body = randomBytes(3 * MiB + 7);
      const res = await put(body.length, (req) => req.end(body));
      expect(res.status).to.equal(200);
      expect(res.headers.etag).to.equal(`"${reference(body).md5Hex}"`);
      expect(res.headers['x-cos-hash-crc64ecma']).to.equal(reference(body).crc64);
      expect((await readFile(join(dir, 'key'))).equals(body)).to.equal(true);
    });

    it('should fail with IncompleteBody when the client disconnects mid-body', async () => {
      const req = request({ port, host: '127.0.0.1', method: 'PUT', path: '/key', headers: { 'content-length': 6 * MiB } });
      req.on('error', () => undefined);
      req.write(randomBytes(2 * MiB));
      while ((await readdir(dir)).length === 0) await new Promise((done) => setTimeout(done, 5));
      req.destroy();
      const error = await rejection(outcome);
      expect(error.code).to.equal('IncompleteBody');
      expect(await readdir(dir)).to.deep.equal([]);
    });

    it('should answer EntityTooLarge past maxBytes of a chunked body while the client still sends', async () => {
      const res = await put(undefined, (req) => {
        req.on('error', () => undefined); // the server may close before the whole body is sent
        for (let i = 0; i < 12; i += 1) req.write(randomBytes(MiB));
        req.end();
      }).catch((error: Error) => ({ status: 0, headers: {}, body: error.message }));
      const error = await rejection(outcome);
      expect(error.code).to.equal('EntityTooLarge');
      expect(error.received).to.be.at.most(8 * MiB);
      if (res.status !== 0) expect([res.status, res.body]).to.deep.equal([400, 'EntityTooLarge']);
      expect(await readdir(dir)).to.deep.equal([]);
    });

    it('should answer EntityTooLarge for a declared length past maxBytes', async () => {
      const res = await put(9 * MiB, (req) => {
        req.on('error', () => undefined);
        req.end(randomBytes(9 * MiB));
      }).catch((error: Error) => ({ status: 0, headers: {}, body: error.message }));
      expect((await rejection(outcome)).code).to.equal('EntityTooLarge');
      if (res.status !== 0) expect([res.status, res.body]).to.deep.equal([400, 'EntityTooLarge']);
    });
  });

  it('should not keep the process alive when idle and not closed', async function () {
    this.timeout(20_000);
    const script = `
      import { Readable } from 'node:stream';
      import { Ingestor } from ${JSON.stringify(join(root, 'src/emulator/storage/ingest.ts'))};
      const ingestor = new Ingestor();
      const body = Buffer.alloc(3 * 1024 * 1024 + 7, 7);
      const result = await ingestor.ingest(Readable.from([body]), ${JSON.stringify(join(dir, 'alive'))});
      console.log(result.size);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root });
    let out = '';
    child.stdout.on('data', (text: Buffer) => (out += text.toString()));
    child.stderr.on('data', (text: Buffer) => (out += text.toString()));
    const timer = setTimeout(() => child.kill(), 15_000);
    const code = await new Promise((done) => child.on('exit', (exitCode, signal) => done(exitCode ?? signal)));
    clearTimeout(timer);
    expect([code, out.trim()]).to.deep.equal([0, String(3 * MiB + 7)]);
  });
});
