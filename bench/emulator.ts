// The emulator's ingest rate against the path's limit on this machine, in one run: signed UploadPart bodies streamed
// to the emulator's data folder with MD5 (ETag) and CRC-64 (x-cos-hash-crc64ecma) computed, and the same requests
// to a bare node:http server that only hashes MD5 and writes each body to a file in the same folder. Both servers
// run in this process (the emulator as `startEmulator` runs it, the bare one beside it); the client runs in another
// process (as a browser would), the same for both. Runs alternate (emulator, bare, emulator, bare...), medians are
// compared. MB = 10^6 bytes. The data folder is a temporary one under the OS temp folder, or BENCH_DATA_DIR (for
// example a tmpfs, /dev/shm). BENCH_QUICK=1 runs a few seconds.
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseInitiateMultipartUploadResult } from '../src/core/protocol/cos-document.js';
import { createAuthorization } from '../src/core/signing/authorization.js';
import { LoopbackTransport, startEmulator, type Emulator } from '../src/emulator/index.js';
import type { ClientJob, ClientReply } from './emulator-client.js';

const MiB = 1 << 20;
/** The emulator must ingest at least this fraction of the bare server's rate. */
const GOAL = 0.7;

/** What {@link benchEmulatorIngest} measured: medians in MB/s (10^6 bytes), their ratio, and the rows it printed. */
export interface IngestSummary {
  emulatorMBps: number;
  bareMBps: number;
  /** `emulatorMBps / bareMBps`. */
  ratio: number;
  lines: string[];
}

/** The client process, taking one job at a time. */
class Client {
  readonly #child: ChildProcess;
  constructor() {
    this.#child = fork(new URL('./emulator-client.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
  }

  run(job: ClientJob): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench client took over 120 s')), 120_000);
      this.#child.once('message', (reply: ClientReply) => {
        clearTimeout(timer);
        if (reply.elapsed === undefined) reject(new Error(reply.error ?? 'bench client failed'));
        else resolve(reply.elapsed);
      });
      this.#child.send(job);
    });
  }

  close(): void {
    this.#child.disconnect();
  }
}

/** Sends a signed request to the emulator's first bucket (its permanent key); the response body. */
async function signed(emulator: Emulator, method: string, key: string, query: Record<string, string>): Promise<string> {
  const bucket = emulator.endpoints.buckets[0]!;
  const now = Math.floor(Date.now() / 1000);
  const authorization = await createAuthorization({
    secretId: emulator.endpoints.secretId,
    secretKey: emulator.endpoints.secretKey,
    method,
    pathname: `/${key}`,
    query,
    headers: { host: new URL(bucket.cos).host },
    keyTime: { start: now - 1, end: now + 900 },
  });
  const search = new URLSearchParams(query).toString().replace(/=(?=&|$)/g, '');
  const url = `${bucket.cos}/${key}?${search}`;
  const response = await new LoopbackTransport().send({ method, url, headers: { authorization } });
  if (response.status >= 300) throw new Error(`${method} ${key}: HTTP ${response.status}`);
  return response.body;
}

/**
 * A server with nothing but the work the emulator cannot skip: each body streamed to its own file in `dir` while
 * its MD5 is computed, answered with the MD5 as ETag.
 */
async function startBareServer(dir: string): Promise<{ server: Server; port: number }> {
  let files = 0;
  const server = createServer((req, res) => {
    const md5 = createHash('md5');
    req.on('data', (chunk: Buffer) => md5.update(chunk));
    files += 1;
    pipeline(req, createWriteStream(join(dir, `body-${files}`))).then(
      () => res.writeHead(200, { etag: `"${md5.digest('hex')}"` }).end(),
      () => res.writeHead(500, { connection: 'close' }).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Runs the emulator's UploadPart ingest (8 MiB parts, 4 at a time) and the bare server alternately (ABBA order, so
 * that neither always runs after the other), 15 times each (3 with BENCH_QUICK=1), prints one row per contender
 * (median, min, max, and the server's CPU time per MB) and the ratio of the medians against the goal (0.7x), and
 * returns them. Short runs, alternating, keep the load of other work on the machine alike for both.
 */
export async function benchEmulatorIngest(): Promise<IngestSummary> {
  const quick = process.env['BENCH_QUICK'] === '1';
  const rounds = quick ? 3 : 15;
  const parts = quick ? 8 : 16;
  const size = 8 * MiB;
  const dataDir = process.env['BENCH_DATA_DIR'];
  const emulator = await startEmulator(dataDir ? { dataDir } : {});
  const bareDir = join(emulator.dataDir, 'bare');
  const { server, port } = await startBareServer(bareDir);
  const client = new Client();
  const lines: string[] = [];
  const print = (line: string) => {
    lines.push(line);
    console.log(line);
  };
  try {
    const bucket = emulator.endpoints.buckets[0]!;
    const base = {
      host: new URL(bucket.cos).host,
      secretId: emulator.endpoints.secretId,
      secretKey: emulator.endpoints.secretKey,
      key: 'bench/parts',
      size,
      concurrency: 4,
    };
    const emulatorRun = async (count: number): Promise<number> => {
      const uploadId = parseInitiateMultipartUploadResult(await signed(emulator, 'POST', base.key, { uploads: '' }))
        .UploadId;
      const elapsed = await client.run({ ...base, port: emulator.endpoints.port, uploadId, count });
      await signed(emulator, 'DELETE', base.key, { uploadId });
      return elapsed;
    };
    const bareRun = async (count: number): Promise<number> => {
      await mkdir(bareDir, { recursive: true });
      const elapsed = await client.run({ ...base, port, uploadId: 'bare', count });
      await rm(bareDir, { recursive: true, force: true });
      return elapsed;
    };
    await emulatorRun(4); // warm-up: JIT, worker threads, sockets, the client's body
    await bareRun(4);
    type Contender = 'emulator' | 'bare';
    const runs: Record<Contender, { mbps: number; cpuMsPerMB: number }[]> = { emulator: [], bare: [] };
    const measure = async (who: Contender) => {
      const cpu = process.cpuUsage();
      const elapsed = await (who === 'emulator' ? emulatorRun : bareRun)(parts);
      const used = process.cpuUsage(cpu);
      const mb = (size * parts) / 1e6;
      // CPU time of this process (the server's threads; the client is another process) per MB stored.
      runs[who].push({ mbps: mb / (elapsed / 1000), cpuMsPerMB: (used.user + used.system) / 1000 / mb });
    };
    for (let round = 0; round < rounds; round += 1) {
      const order: Contender[] = round % 2 === 0 ? ['emulator', 'bare'] : ['bare', 'emulator'];
      for (const who of order) await measure(who);
    }
    const rate = (who: Contender) => median(runs[who].map((run) => run.mbps));
    const row = (name: string, who: Contender) => {
      const rates = runs[who].map((run) => run.mbps);
      const cpu = median(runs[who].map((run) => run.cpuMsPerMB));
      return (
        `${name.padEnd(60)} ${rate(who).toFixed(0).padStart(5)} MB/s median (min ${Math.min(...rates).toFixed(0)}, ` +
        `max ${Math.max(...rates).toFixed(0)}; ${rates.length} runs), server CPU ${cpu.toFixed(2)} ms/MB`
      );
    };
    const folder = dataDir ? `BENCH_DATA_DIR (${dataDir})` : `a temporary folder in ${tmpdir()}`;
    print(`${parts} x 8 MiB per run, 4 at a time, client in another process, runs alternating; data in ${folder}`);
    print(row('emulator, signed UploadPart (MD5 + CRC-64, part files)', 'emulator'));
    print(row('bare node:http in the same process (MD5, one file per body)', 'bare'));
    const emulatorMBps = rate('emulator');
    const bareMBps = rate('bare');
    const ratio = emulatorMBps / bareMBps;
    print(`emulator / bare: ${ratio.toFixed(2)}x (goal >= ${GOAL}x): ${ratio >= GOAL ? 'PASS' : 'FAIL'}`);
    return { emulatorMBps, bareMBps, ratio, lines };
  } finally {
    client.close();
    server.close();
    await emulator.close();
  }
}
