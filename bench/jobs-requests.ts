// How many requests a JobTracker sends for a 60-second job (issue 5's targets: at most 15 polling only, at most 3
// with callbacks relayed). Two real jobs run at once on an in-process emulator: one followed by polling alone, one
// whose TaskFinish callback reaches the tracker through the demo host's relay over Server-Sent Events. Requests are
// counted at the transport (`POST /jobs`, `GET /jobs/<id>`), with the trackers' default schedules.
// BENCH_QUICK=1 scales the job down to 15 s.
import { fileURLToPath } from 'node:url';
import { JobTracker } from '../src/core/jobs/job-tracker.js';
import type { JobSnapshot } from '../src/core/jobs/job-types.js';
import { parseServiceTime } from '../src/core/jobs/service-time.js';
import { submitJob } from '../src/core/jobs/submit-job.js';
import type { Emulator } from '../src/emulator/index.js';
import { seedObject, startTestEmulator } from '../test/helpers/emulator.js';
import { RelayServer } from '../test/helpers/relay-server.js';
import {
  RecordingTransport,
  SseRelaySubscriber,
  pageClient,
  transcodeRequest,
  type TranscodeExtras,
} from '../test/node/jobs/emulator-jobs-setup.js';

const SAMPLE = fileURLToPath(new URL('../test/fixtures/media/sample-640x360.mp4', import.meta.url));
const QUEUE_MS = 1000;

/** What one followed job cost. */
interface Run {
  transport: RecordingTransport;
  tracker: JobTracker;
  final: JobSnapshot;
  /** Milliseconds from sending `POST /jobs` to the tracker seeing the end. */
  wallMs: number;
}

/** Submits a transcode job of `input` and follows it with the tracker's defaults; bounded by `deadlineMs`. */
async function followJob(
  emulator: Emulator,
  input: string,
  extras: TranscodeExtras,
  relay: SseRelaySubscriber | undefined,
  deadlineMs: number,
): Promise<Run> {
  const transport = new RecordingTransport();
  const client = pageClient(emulator, { transport });
  const started = performance.now();
  const submitted = await submitJob(client, transcodeRequest(input, extras), { records: false });
  const tracker = new JobTracker({ client, job: submitted, ...(relay ? { relay: relay.relay } : {}) });
  const timer = setTimeout(() => tracker.stop(), deadlineMs);
  try {
    const final = await tracker.start();
    return { transport, tracker, final, wallMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** `N (1 submit + P polls[ + C callbacks])` for one run. */
function describeRun({ transport, tracker, final }: Run): string {
  const submits = transport.submissions().length;
  const polls = transport.polls(final.jobId).length;
  const other = transport.requests.length - submits - polls;
  const { callbacks } = tracker.stats;
  const parts = [`${submits} submit`, `${polls} poll${polls === 1 ? '' : 's'}`];
  if (other > 0) parts.push(`${other} other`);
  const relayed = callbacks > 0 ? `, ${callbacks} callback relayed` : '';
  return `${transport.requests.length} (${parts.join(' + ')}${relayed})`;
}

/** Seconds the service says the job took, from `CreationTime` to `EndTime`. */
function serviceSeconds(final: JobSnapshot): string {
  const created = parseServiceTime(final.detail?.CreationTime);
  const ended = parseServiceTime(final.detail?.EndTime);
  return created === undefined || ended === undefined ? '?' : ((ended - created) / 1000).toFixed(0);
}

/** Runs the two jobs side by side and prints the request counts. */
export async function benchJobRequests(): Promise<void> {
  const quick = process.env['BENCH_QUICK'] === '1';
  const jobMs = quick ? 15_000 : 60_000;
  const label = `${jobMs / 1000} s job`;
  console.log(
    `\njob tracking requests (a ${label}: ${QUEUE_MS / 1000} s queued + ${(jobMs - QUEUE_MS) / 1000} s running on ` +
      `the emulator; default poll schedule${quick ? '; BENCH_QUICK=1: scaled down from 60 s' : ''})`,
  );
  const emulator = await startTestEmulator({
    jobs: { queueDelayMs: QUEUE_MS, runMs: jobMs - QUEUE_MS, progressSteps: 10 },
  });
  const server = await new RelayServer().start();
  const subscriber = new SseRelaySubscriber(server);
  try {
    await seedObject(emulator, 'bench/jobs/polling.mp4', SAMPLE);
    await seedObject(emulator, 'bench/jobs/callbacks.mp4', SAMPLE);
    const deadlineMs = jobMs + 60_000;
    const callback = { CallBack: server.url('/api/ci-callback'), CallBackFormat: 'JSON' as const };
    const [polling, relayed] = await Promise.all([
      followJob(emulator, 'bench/jobs/polling.mp4', {}, undefined, deadlineMs),
      followJob(emulator, 'bench/jobs/callbacks.mp4', { notification: callback }, subscriber, deadlineMs),
    ]);
    const seconds = (run: Run) => (run.wallMs / 1000).toFixed(1);
    console.log(
      `job requests (${label})  polling only: ${describeRun(polling)}   with callbacks: ${describeRun(relayed)}`,
    );
    console.log(
      `  end seen after: polling only ${seconds(polling)} s, with callbacks ${seconds(relayed)} s ` +
        `(from POST /jobs; the service's CreationTime -> EndTime: ${serviceSeconds(polling.final)} s and ` +
        `${serviceSeconds(relayed.final)} s)`,
    );
    console.log(
      `  tracker stats: polling only ${JSON.stringify(polling.tracker.stats)}, ` +
        `with callbacks ${JSON.stringify(relayed.tracker.stats)}; end source: ${polling.final.source} / ` +
        `${relayed.final.source}`,
    );
    const met = polling.transport.requests.length <= 15 && relayed.transport.requests.length <= 3;
    console.log(`  targets (at most 15 and at most 3 requests): ${met ? 'met' : 'NOT met'}`);
  } finally {
    await subscriber.close();
    await server.close();
    await emulator.close();
  }
}
