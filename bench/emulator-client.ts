// The client side of bench/emulator.ts, run in its own process (as a browser would be): signed PUT Object or
// UploadPart requests of one preallocated random body over keep-alive loopback connections. Takes jobs over IPC,
// one at a time, and answers each with the elapsed milliseconds; exits when its parent disconnects.
import { randomFillSync } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createAuthorization } from '../src/core/signing/authorization.js';

export interface ClientJob {
  port: number;
  host: string;
  secretId: string;
  secretKey: string;
  /** `PUT /<key>` for each request, or UploadPart of this upload when set. */
  uploadId?: string;
  key: string;
  size: number;
  count: number;
  concurrency: number;
}

/** The client's answer to a job: the elapsed milliseconds, or why it failed. */
export interface ClientReply {
  elapsed?: number;
  error?: string;
}

async function sendOne(job: ClientJob, agent: Agent, body: Buffer, index: number): Promise<void> {
  const query: Record<string, string> = job.uploadId ? { partNumber: String(index + 1), uploadId: job.uploadId } : {};
  const key = job.uploadId ? job.key : `${job.key}-${index % job.concurrency}`;
  const now = Math.floor(Date.now() / 1000);
  const headers = { host: job.host, 'content-length': String(job.size) };
  const authorization = await createAuthorization({
    secretId: job.secretId,
    secretKey: job.secretKey,
    method: 'PUT',
    pathname: `/${key}`,
    query,
    headers,
    keyTime: { start: now - 1, end: now + 900 },
  });
  const search = new URLSearchParams(query).toString();
  await new Promise<void>((resolve, reject) => {
    const client = request(
      {
        host: '127.0.0.1',
        port: job.port,
        method: 'PUT',
        path: `/${encodeURIComponent(key)}${search ? `?${search}` : ''}`,
        agent,
        headers: { ...headers, authorization },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${String(response.statusCode)}`)),
        );
      },
    );
    client.on('error', reject);
    client.end(body);
  });
}

let body = Buffer.alloc(0);

async function run(job: ClientJob): Promise<number> {
  if (body.length !== job.size) body = randomFillSync(Buffer.allocUnsafe(job.size));
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  let next = 0;
  const lane = async () => {
    while (next < job.count) await sendOne(job, agent, body, next++);
  };
  const start = performance.now();
  try {
    await Promise.all(Array.from({ length: job.concurrency }, lane));
    return performance.now() - start;
  } finally {
    agent.destroy();
  }
}

process.on('message', (job: ClientJob) => {
  run(job).then(
    (elapsed) => process.send?.({ elapsed } satisfies ClientReply),
    (error: unknown) => process.send?.({ error: String(error) } satisfies ClientReply),
  );
});
process.once('disconnect', () => process.exit(0));
