// What one upload plus a 60-second job costs a page in signing callback calls and requests (issue 14: 1 signing call
// for the whole upload + job with STS credentials; issue 5: at most 15 job requests polling only, at most 3 with
// callbacks relayed). Two pages run at once on an in-process emulator, each with its own ServiceClient whose
// `getAuthorization` fetches STS credentials and is counted: each uploads a 24 MiB MP4 (`MultipartUpload` with its
// defaults: 3 parts, CRC-64 on), submits a transcode job of it, and follows it with `JobTracker`'s defaults, one by
// polling alone, one with its TaskFinish callback reaching the tracker through the demo host's relay over
// Server-Sent Events. Requests are counted at the transport. BENCH_QUICK=1 scales the job down to 15 s.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { JobTracker } from '../src/core/jobs/job-tracker.js';
import type { JobSnapshot } from '../src/core/jobs/job-types.js';
import { submitJob } from '../src/core/jobs/submit-job.js';
import { CredentialProvider } from '../src/core/signing/credential-provider.js';
import { ServiceClient } from '../src/core/transport/service-client.js';
import { MultipartUpload } from '../src/core/upload/multipart-upload.js';
import { MemoryResumeStore } from '../src/core/upload/resume-store.js';
import type { Emulator } from '../src/emulator/index.js';
import { BUCKET, REGION, startTestEmulator } from '../test/helpers/emulator.js';
import { RelayServer } from '../test/helpers/relay-server.js';
import { RecordingTransport, SseRelaySubscriber, transcodeRequest } from '../test/node/jobs/emulator-jobs-setup.js';
import type { TranscodeExtras } from '../test/node/jobs/emulator-jobs-setup.js';
import { verdict, type Table } from './report.js';
import { widgetCredentials } from '../test/helpers/widget-credentials.js';

const SAMPLE = fileURLToPath(new URL('../test/fixtures/media/sample-640x360.mp4', import.meta.url));
const QUEUE_MS = 1000;
const UPLOAD_BYTES = 24 * 1024 * 1024;

/** What one page's upload and job cost. */
interface Run {
  signingCalls: number;
  uploadRequests: number;
  transport: RecordingTransport;
  tracker: JobTracker;
  final: JobSnapshot;
  /** Milliseconds from sending `POST /jobs` to the tracker seeing the end. */
  wallMs: number;
}

/**
 * The sample MP4 followed by a `free` box up to `size` bytes: a valid MP4 (readers skip `free`) large enough to be
 * uploaded in parts.
 */
async function paddedMp4(size: number): Promise<File> {
  const sample = await readFile(SAMPLE);
  const free = new Uint8Array(size - sample.byteLength);
  new DataView(free.buffer).setUint32(0, free.byteLength);
  free.set(new TextEncoder().encode('free'), 4);
  return new File([sample, free], 'upload.mp4', { type: 'video/mp4' });
}

/** A page's client: STS credentials from the emulator's STS (as the host backend's /api/credentials), counted. */
function countingClient(emulator: Emulator, transport: RecordingTransport, onSign: () => void): ServiceClient {
  const { endpoints } = emulator;
  return new ServiceClient({
    transport,
    authorizer: new CredentialProvider({
      getAuthorization: () => {
        onSign();
        return widgetCredentials(endpoints);
      },
    }),
    bucket: BUCKET,
    region: REGION,
    protocol: endpoints.protocol,
    domains: endpoints.domains,
  });
}

/** Uploads `file` to `key`, submits a transcode job of it and follows it with the tracker's defaults. */
async function uploadAndFollow(
  emulator: Emulator,
  file: File,
  key: string,
  extras: TranscodeExtras,
  relay: SseRelaySubscriber | undefined,
  deadlineMs: number,
): Promise<Run> {
  let signingCalls = 0;
  const transport = new RecordingTransport();
  const client = countingClient(emulator, transport, () => void (signingCalls += 1));
  await new MultipartUpload({ client, file, key, storage: new MemoryResumeStore() }).start();
  const uploadRequests = transport.requests.length;
  const started = performance.now();
  const submitted = await submitJob(client, transcodeRequest(key, extras), { records: false });
  const tracker = new JobTracker({ client, job: submitted, ...(relay ? { relay: relay.relay } : {}) });
  const timer = setTimeout(() => tracker.stop(), deadlineMs);
  try {
    const final = await tracker.start();
    return { signingCalls, uploadRequests, transport, tracker, final, wallMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** `N (1 submit + P polls)` for the job part of one run. */
function describeJob({ transport, final, uploadRequests }: Run): { count: number; text: string } {
  const count = transport.requests.length - uploadRequests;
  const [submits, polls] = [transport.submissions().length, transport.polls(final.jobId).length];
  const other = count - submits - polls;
  const text = `${submits} submit + ${polls} poll${polls === 1 ? '' : 's'}${other > 0 ? ` + ${other} other` : ''}`;
  return { count, text };
}

/** Runs the two pages side by side; returns their table (printed by the caller). */
export async function benchJobRequests(): Promise<Table> {
  const quick = process.env['BENCH_QUICK'] === '1';
  const jobMs = quick ? 15_000 : 60_000;
  const label = `${jobMs / 1000} s job`;
  console.log(`\nupload + ${label}: signing calls and requests (runs ~${jobMs / 1000 + 2} s)`);
  const emulator = await startTestEmulator({ jobs: { queueDelayMs: QUEUE_MS, runMs: jobMs - QUEUE_MS, progressSteps: 10 } });
  const server = await new RelayServer().start();
  const subscriber = new SseRelaySubscriber(server);
  try {
    const file = await paddedMp4(UPLOAD_BYTES);
    const deadlineMs = jobMs + 60_000;
    const callback = { CallBack: server.url('/api/ci-callback'), CallBackFormat: 'JSON' as const };
    const [polling, relayed] = await Promise.all([
      uploadAndFollow(emulator, file, 'bench/jobs/polling.mp4', {}, undefined, deadlineMs),
      uploadAndFollow(emulator, file, 'bench/jobs/callbacks.mp4', { notification: callback }, subscriber, deadlineMs),
    ]);
    const row = (name: string, run: Run, most: number) => {
      const job = describeJob(run);
      const callbacks = run.tracker.stats.callbacks > 0 ? `; ${run.tracker.stats.callbacks} callback relayed` : '';
      return [
        name,
        `${run.signingCalls}: ${verdict(run.signingCalls === 1)}`,
        String(run.uploadRequests),
        `${job.count} (${job.text}${callbacks}): ${verdict(job.count <= most)} (<= ${most})`,
        `${run.final.status}, seen ${(run.wallMs / 1000).toFixed(1)} s after POST /jobs (${run.final.source})`,
      ];
    };
    return {
      title: `Signing calls and requests for one upload (${UPLOAD_BYTES / 2 ** 20} MiB, ours) plus a ${label}`,
      head: ['tracking', 'signing calls (goal 1)', 'upload requests', 'job requests (goal)', 'end'],
      rows: [row('polling only', polling, 15), row('callbacks relayed (SSE)', relayed, 3)],
      notes: [
        `One ServiceClient per page for the upload and the job; its getAuthorization (STS credentials) is what is counted.`,
        `The job: ${QUEUE_MS / 1000} s queued + ${(jobMs - QUEUE_MS) / 1000} s running on the emulator (in process, Node); default poll schedule.${quick ? ' BENCH_QUICK=1: scaled down from 60 s.' : ''}`,
        'Requests counted at the transport (a browser adds one CORS preflight per distinct URL).',
      ],
    };
  } finally {
    await subscriber.close();
    await server.close();
    await emulator.close();
  }
}
