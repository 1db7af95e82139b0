// `node --import tsx bench/emulator-ingest.ts`: upload ingest rate of the emulator's storage path (stream to a file,
// MD5 + CRC-64) from a Node HTTP client over loopback, plus single-thread hash rates for context.
// MB = 10^6 bytes. The client runs in the same process as the server unless `--client-process` is given, in which case
// it runs in a child process (the server's main thread then does only the server's work). "cores busy" is the CPU time
// of this process (all its threads) over the wall time: 2.00 is all of a 2-core machine. Data goes to /dev/shm (tmpfs)
// when present, then to os.tmpdir(); each data folder is removed afterwards.
import { createHash, randomFillSync } from 'node:crypto';
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCRC64 } from 'hash-wasm';
import { Crc64 } from '../src/core/upload/crc64.js';
import { IngestError, Ingestor } from '../src/emulator/storage/ingest.js';

const MiB = 1 << 20;
const GiB = 1 << 30;

function rate(bytes: number, ms: number): string {
  const mb = bytes / 1e6 / (ms / 1000);
  const mib = bytes / MiB / (ms / 1000);
  return `${mb.toFixed(0).padStart(6)} MB/s (${mib.toFixed(0).padStart(5)} MiB/s)`;
}

/** CPU time of this process (all threads) since `since`, as cores kept busy over `ms`. */
function cores(since: NodeJS.CpuUsage, ms: number): string {
  const used = process.cpuUsage(since);
  return `${((used.user + used.system) / 1000 / ms).toFixed(2)} cores busy`;
}

/** Sends `count` PUTs of `size` bytes, `concurrency` at a time, from `body`; resolves with the elapsed ms. */
async function upload(port: number, body: Buffer, size: number, count: number, concurrency: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const expected = createHash('md5').update(body.subarray(0, size)).digest('hex');
  let next = 0;
  const one = (slot: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(
        { port, host: '127.0.0.1', method: 'PUT', path: `/obj-${slot}`, agent, headers: { 'content-length': size } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
            const etag = res.headers.etag; // absent in drain-only mode
            if (etag !== undefined && etag !== `"${expected}"`) return reject(new Error(`bad ETag ${res.headers.etag}`));
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body.subarray(0, size));
    });
  const lane = async (slot: number): Promise<void> => {
    while (next < count) {
      next += 1;
      await one(slot);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, slot) => lane(slot)));
  const ms = performance.now() - start;
  agent.destroy();
  return ms;
}

const cases = [
  { name: 'sequential 64 MiB PUTs, 1 GiB', size: 64 * MiB, concurrency: 1 },
  { name: '4 concurrent 8 MiB parts, 1 GiB', size: 8 * MiB, concurrency: 4 },
];

// Child-process client: `--client-child PORT`, driven by messages from the parent.
if (process.argv[2] === '--client-child') {
  const port = Number(process.argv[3]);
  const body = randomFillSync(Buffer.allocUnsafe(64 * MiB));
  process.on('message', (m: { size: number; count: number; concurrency: number }) => {
    upload(port, body, m.size, m.count, m.concurrency).then(
      (ms) => process.send?.({ ms }),
      (error: unknown) => process.send?.({ error: String(error) }),
    );
  });
  process.send?.({ ready: true });
} else {
  await main();
}

async function hashRates(): Promise<void> {
  const data = randomFillSync(Buffer.allocUnsafe(256 * MiB));
  const time = (name: string, run: (chunk: Buffer) => void, finish: () => void): void => {
    const start = performance.now();
    for (let offset = 0; offset < data.length; offset += MiB) run(data.subarray(offset, offset + MiB));
    finish();
    console.log(`  ${name.padEnd(36)} ${rate(data.length, performance.now() - start)}`);
  };
  const md5 = createHash('md5');
  time('MD5 (node:crypto)', (c) => md5.update(c), () => md5.digest());
  const wasm = await createCRC64();
  wasm.init();
  time('CRC-64 (hash-wasm)', (c) => wasm.update(c), () => wasm.digest());
  // In a process where an ArrayBuffer was ever detached (hash-wasm growing its memory, a transfer), V8 checks every
  // typed-array access, which costs this loop about a quarter: ~0.9 GB/s in a fresh process, ~0.68 GB/s here.
  const js = new Crc64();
  time('CRC-64 (pure JS, slicing-by-8)', (c) => js.update(c), () => js.digest());
}

async function main(): Promise<void> {
  const childClient = process.argv.includes('--client-process');
  const started = performance.now();
  console.log('single-thread hash rates (256 MiB in 1 MiB updates):');
  await hashRates();

  const dirs = [existsSync('/dev/shm') ? '/dev/shm' : undefined, tmpdir()].filter((d): d is string => !!d);
  const ingestor = new Ingestor();
  const body = childClient ? Buffer.alloc(0) : randomFillSync(Buffer.allocUnsafe(64 * MiB));
  let dataDir = '';
  let drainOnly = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (drainOnly) {
      req.resume();
      req.on('end', () => res.writeHead(200).end());
      return;
    }
    const file = join(dataDir, req.url!.slice(1));
    ingestor.ingest(req, file, { expectedLength: Number(req.headers['content-length']) }).then(
      (r) => res.writeHead(200, { etag: `"${r.md5Hex}"`, 'x-cos-hash-crc64ecma': r.crc64 }).end(),
      (error: unknown) => {
        const code = error instanceof IngestError ? error.code : 'InternalError';
        res.writeHead(400, { connection: 'close' }).end(code);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const child = childClient ? fork(import.meta.filename, ['--client-child', String(port)], { execArgv: ['--import', 'tsx'] }) : undefined;
  const childReplies: Array<(m: { ms?: number; error?: string }) => void> = [];
  child?.on('message', (m: { ready?: boolean; ms?: number; error?: string }) => {
    if (!m.ready) childReplies.shift()?.(m);
  });
  if (child) await new Promise((resolve) => child.once('message', resolve));
  const send = async (size: number, count: number, concurrency: number): Promise<number> => {
    if (!child) return upload(port, body, size, count, concurrency);
    const reply = await new Promise<{ ms?: number; error?: string }>((resolve) => {
      childReplies.push(resolve);
      child.send({ size, count, concurrency });
    });
    if (reply.error !== undefined) throw new Error(reply.error);
    return reply.ms!;
  };

  console.log(`\nHTTP over loopback, client in ${childClient ? 'a child process' : 'the same process'}:`);
  const deadline = started + 50_000; // keeps the whole run under a minute on a busy machine
  try {
    dataDir = await mkdtemp(join(dirs[0]!, 'cos-ingest-bench-'));
    await send(8 * MiB, 8, 2); // warm-up: JIT, worker start, sockets
    await rm(dataDir, { recursive: true, force: true });
    drainOnly = true;
    for (const c of cases) {
      const cpu = process.cpuUsage();
      const ms = await send(c.size, GiB / c.size, c.concurrency);
      console.log(`  drain only (no file, no hash): ${c.name.padEnd(32)} ${rate(GiB, ms)}  ${cores(cpu, ms)}`);
    }
    drainOnly = false;
    for (const dir of dirs) {
      dataDir = await mkdtemp(join(dir, 'cos-ingest-bench-'));
      for (const c of cases) {
        if (performance.now() > deadline) {
          console.log(`  ingest to ${dir.padEnd(12)} ${c.name.padEnd(32)} skipped: over the time budget`);
          continue;
        }
        const cpu = process.cpuUsage();
        const ms = await send(c.size, GiB / c.size, c.concurrency);
        console.log(`  ingest to ${dir.padEnd(12)} ${c.name.padEnd(32)} ${rate(GiB, ms)}  ${cores(cpu, ms)}`);
      }
      const stored = await stat(join(dataDir, 'obj-0')).catch(() => undefined);
      if (stored && stored.size !== 8 * MiB) throw new Error(`unexpected stored size ${stored.size}`);
      await rm(dataDir, { recursive: true, force: true });
    }
  } finally {
    child?.kill();
    server.close();
    await ingestor.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
