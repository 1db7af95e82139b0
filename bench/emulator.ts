// The emulator's ingest rate: signed PUT Object and UploadPart bodies streamed to its data folder with MD5 (ETag)
// and CRC-64 (x-cos-hash-crc64ecma) computed, from a Node client in another process over loopback. MB = 10^6 bytes.
// The data folder is a temporary one under the OS temp folder, or BENCH_DATA_DIR (for example a tmpfs, /dev/shm).
import { fork } from 'node:child_process';
import { parseInitiateMultipartUploadResult } from '../src/core/protocol/cos-document.js';
import { createAuthorization } from '../src/core/signing/authorization.js';
import { LoopbackTransport, startEmulator, type Emulator } from '../src/emulator/index.js';
import type { ClientJob } from './emulator-client.js';

const MiB = 1 << 20;

function runClient(job: ClientJob): Promise<number> {
  const child = fork(new URL('./emulator-client.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('bench client took over 120 s'));
    }, 120_000);
    child.once('message', (reply: { elapsed?: number; error?: string }) => {
      clearTimeout(timer);
      if (reply.elapsed === undefined) reject(new Error(reply.error ?? 'bench client failed'));
      else resolve(reply.elapsed);
    });
    child.once('error', reject);
    child.send(job);
  });
}

async function initiate(emulator: Emulator, job: Omit<ClientJob, 'uploadId'>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const url = `${emulator.endpoints.buckets[0]!.cos}/${job.key}?uploads`;
  const authorization = await createAuthorization({
    secretId: job.secretId,
    secretKey: job.secretKey,
    method: 'POST',
    pathname: `/${job.key}`,
    query: { uploads: '' },
    headers: { host: job.host },
    keyTime: { start: now - 1, end: now + 900 },
  });
  const response = await new LoopbackTransport().send({ method: 'POST', url, headers: { authorization } });
  if (response.status !== 200) throw new Error(`Initiate failed: HTTP ${response.status}`);
  return parseInitiateMultipartUploadResult(response.body).UploadId;
}

/** Runs the ingest cases and prints one line each. */
export async function benchEmulatorIngest(): Promise<void> {
  const dataDir = process.env['BENCH_DATA_DIR'];
  const emulator = await startEmulator(dataDir ? { dataDir } : {});
  try {
    console.log(`data folder: ${emulator.dataDir}`);
    const bucket = emulator.endpoints.buckets[0]!;
    const base = {
      port: emulator.endpoints.port,
      host: new URL(bucket.cos).host,
      secretId: emulator.endpoints.secretId,
      secretKey: emulator.endpoints.secretKey,
    };
    const cases: { name: string; job: Omit<ClientJob, 'uploadId'>; multipart: boolean }[] = [
      { name: 'PUT Object, 64 MiB x 16, one at a time', job: { ...base, key: 'bench/put', size: 64 * MiB, count: 16, concurrency: 1 }, multipart: false },
      { name: 'PUT Object, 8 MiB x 128, 4 at a time', job: { ...base, key: 'bench/put8', size: 8 * MiB, count: 128, concurrency: 4 }, multipart: false },
      { name: 'UploadPart, 8 MiB x 128, 4 at a time', job: { ...base, key: 'bench/parts', size: 8 * MiB, count: 128, concurrency: 4 }, multipart: true },
    ];
    for (const { name, job, multipart } of cases) {
      const uploadId = multipart ? await initiate(emulator, job) : undefined;
      const elapsed = await runClient({ ...job, ...(uploadId ? { uploadId } : {}) });
      const bytes = job.size * job.count;
      const mbps = bytes / 1e6 / (elapsed / 1000);
      console.log(`${name.padEnd(48)} ${mbps.toFixed(0).padStart(9)} MB/s  ${(bytes / MiB).toFixed(0)} MiB in ${(elapsed / 1000).toFixed(2)} s`);
    }
  } finally {
    await emulator.close();
  }
}
