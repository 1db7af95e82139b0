// Shared pieces of the Node job tracker tests against the emulator (tracker*-emulator.test.ts) and of the request
// count bench (bench/jobs-requests.ts): a page's ServiceClient over a transport that records every request, job
// requests, a recorder of a tracker's snapshots, and a `relay.subscribe` fed by the callback relay's SSE stream.
import { setTimeout as sleep } from 'node:timers/promises';
import { getFederationToken } from '../../../demo/host/sts-client.js';
import { widgetPolicy } from '../../../demo/host/widget-policy.js';
import { MemoryJobRecordStore, jobRequestFingerprint } from '../../../src/core/jobs/job-records.js';
import type { JobTracker } from '../../../src/core/jobs/job-tracker.js';
import type { JobCallbackRelay, JobSnapshot } from '../../../src/core/jobs/job-types.js';
import { parseJobsResponse } from '../../../src/core/protocol/ci-schemas.js';
import { buildJobRequest } from '../../../src/core/protocol/job-request.js';
import type { JobRequest } from '../../../src/core/protocol/job-request-schemas.js';
import { CredentialProvider } from '../../../src/core/signing/credential-provider.js';
import { SkewCorrectedClock } from '../../../src/core/transport/clock.js';
import { abortError } from '../../../src/core/transport/delay.js';
import type { RetryOptions } from '../../../src/core/transport/retry.js';
import { ServiceClient } from '../../../src/core/transport/service-client.js';
import type { HttpRequest, HttpResponse, Transport } from '../../../src/core/transport/types.js';
import { LoopbackTransport, type Emulator } from '../../../src/emulator/index.js';
import { BUCKET, REGION, permanentKeys, send } from '../../helpers/emulator.js';
import type { RelayServer } from '../../helpers/relay-server.js';
import type { SseClient } from '../../helpers/sse-client.js';

/** The seed's transcode template. */
export const TEMPLATE = 't1460606b9752148c4ab182f55163ba7cd';

/** One request a {@link RecordingTransport} sent, and how it ended. */
export interface SentRequest {
  method: string;
  /** The URL's path, decoded (`/jobs/j123…`). */
  path: string;
  /** The URL's query, as sent (`?cancel`), or ''. */
  search: string;
  /** `performance.now()` when it was handed to the network. */
  sentAt: number;
  /** `performance.now()` when its answer (or failure) was handed back. */
  endedAt?: number;
  status?: number;
  /** The transport error's code, for a request that got no answer. */
  error?: string;
}

/** Milliseconds to hold an answer before handing it back (a slow network for some requests). */
export type HoldAnswer = (request: HttpRequest, response: HttpResponse) => number;

/**
 * A {@link Transport} that sends through `LoopbackTransport` and records every request with its times and status;
 * `hold` can delay chosen answers (abortably), as a slow network would.
 */
export class RecordingTransport implements Transport {
  readonly requests: SentRequest[] = [];
  readonly #inner: Transport;
  readonly #hold: HoldAnswer | undefined;

  constructor(options: { inner?: Transport; hold?: HoldAnswer } = {}) {
    this.#inner = options.inner ?? new LoopbackTransport();
    this.#hold = options.hold;
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    const sent: SentRequest = {
      method: request.method,
      path: decodeURIComponent(url.pathname),
      search: url.search,
      sentAt: performance.now(),
    };
    this.requests.push(sent);
    try {
      const response = await this.#inner.send(request);
      const holdMs = this.holdFor(request, response);
      if (holdMs > 0) {
        await sleep(holdMs, undefined, request.signal ? { signal: request.signal } : {}).catch(() => {
          throw abortError(request.signal);
        });
      }
      sent.status = response.status;
      return response;
    } catch (error) {
      sent.error = (error as { code?: string }).code ?? 'unknown';
      throw error;
    } finally {
      sent.endedAt = performance.now();
    }
  }

  /** Milliseconds to hold the answer to `request` back before handing it over: the `hold` option's, else 0. */
  protected holdFor(request: HttpRequest, response: HttpResponse): number {
    return this.#hold?.(request, response) ?? 0;
  }

  /** The requests as `METHOD /path?query` lines, in the order they were sent. */
  lines(): string[] {
    return this.requests.map((request) => `${request.method} ${request.path}${request.search}`);
  }

  /** The `GET /jobs/<jobId>` polls of one job. */
  polls(jobId: string): SentRequest[] {
    return this.requests.filter((request) => request.method === 'GET' && request.path === `/jobs/${jobId}`);
  }

  /** The `POST /jobs` submissions. */
  submissions(): SentRequest[] {
    return this.requests.filter((request) => request.method === 'POST' && request.path === '/jobs');
  }
}

/** The ids of every transcode job of `input` on the emulator, read with the permanent key. */
export async function jobIdsOf(emulator: Emulator, input: string): Promise<string[]> {
  const response = await send(emulator, {
    service: 'ci',
    method: 'GET',
    path: '/jobs',
    query: { tag: 'Transcode', inputObject: input, size: '100' },
    keys: permanentKeys(emulator),
  });
  if (response.status !== 200) throw new Error(`DescribeMediaJobs answered ${response.status}: ${response.text}`);
  return parseJobsResponse(response.text, 'track').JobsDetail.map((job) => job.JobId);
}

/** How a test page's client is set up: every field has a default. */
export interface PageClientSetup {
  /** @default new LoopbackTransport() */
  transport?: Transport;
  /** @default { delays: [20, 50, 100] } */
  retry?: RetryOptions;
  /** Milliseconds the page's clock runs off the emulator's. @default 0 */
  clockOffset?: number;
}

/**
 * A page's client of the emulator: STS credentials from the demo host's `getFederationToken` (sent outside the
 * transport, so only COS / CI requests are recorded), `transport` for everything else.
 */
export function pageClient(emulator: Emulator, setup: PageClientSetup = {}): ServiceClient {
  const { endpoints } = emulator;
  const offset = setup.clockOffset ?? 0;
  return new ServiceClient({
    transport: setup.transport ?? new LoopbackTransport(),
    authorizer: new CredentialProvider({
      ...(offset === 0 ? {} : { clock: new SkewCorrectedClock(() => Date.now() + offset) }),
      getAuthorization: () =>
        getFederationToken({
          endpoint: endpoints.sts,
          secretId: endpoints.secretId,
          secretKey: endpoints.secretKey,
          region: REGION,
          policy: widgetPolicy({ appId: endpoints.appId, bucket: BUCKET, region: REGION, prefix: '' }, ['name/cos:ListMultipartUploads']),
        }),
    }),
    bucket: BUCKET,
    region: REGION,
    protocol: endpoints.protocol,
    domains: endpoints.domains,
    retry: setup.retry ?? { delays: [20, 50, 100] },
  });
}

/**
 * What a page that has since been reloaded did: it recorded the submission (`lost`: only the pending record, as
 * when it died before reading the answer) and sent `POST /jobs`, outside this page's `submitJob` (whose job ids a
 * page never re-attaches to).
 */
export async function submitAsEarlierPage(
  client: ServiceClient,
  request: JobRequest,
  records: MemoryJobRecordStore,
  answer: 'answered' | 'lost',
): Promise<{ jobId: string; fingerprint: string }> {
  const body = buildJobRequest(request);
  const fingerprint = jobRequestFingerprint(BUCKET, REGION, body);
  const record = {
    version: 1,
    fingerprint,
    bucket: BUCKET,
    region: REGION,
    tag: request.Tag,
    inputObject: request.Input.Object,
    submittedAt: client.clock.now(),
  } as const;
  records.set(fingerprint, record);
  const sent = await client.request({
    service: 'ci',
    method: 'POST',
    pathname: '/jobs',
    headers: { 'content-type': 'application/xml' },
    body,
    action: 'name/ci:CreateMediaJobs',
    phase: 'submit',
  });
  const [job] = parseJobsResponse(sent.body, 'submit').JobsDetail;
  if (!job) throw new Error('POST /jobs answered without a job');
  if (answer === 'answered') records.set(fingerprint, { ...record, jobId: job.JobId });
  return { jobId: job.JobId, fingerprint };
}

/** Extra fields of a transcode request (DigitalWatermark, CallBack...). */
export interface TranscodeExtras {
  operation?: Partial<Extract<JobRequest, { Tag: 'Transcode' }>['Operation']>;
  notification?: Pick<JobRequest, 'CallBack' | 'CallBackFormat'>;
}

/** A transcode job of `input` into `output/<job id>.mp4` of the bucket. */
export const transcodeRequest = (input: string, extras: TranscodeExtras = {}): JobRequest => ({
  Tag: 'Transcode',
  Input: { Object: input },
  Operation: {
    TemplateId: TEMPLATE,
    Output: { Region: REGION, Bucket: BUCKET, Object: 'output/${jobid}.${ext}' },
    ...extras.operation,
  },
  ...extras.notification,
});

/** An extraction of the text digital watermark of `input`. */
export const extractRequest = (input: string): JobRequest => ({
  Tag: 'ExtractDigitalWatermark',
  Input: { Object: input },
  Operation: { ExtractDigitalWatermark: { Type: 'Text', Version: 'V1' } },
});

/** A snapshot as `[state, source, progress]`, what the tests assert on. */
export type EventLine = [state: string, source: string, progress: number];

/** Records every snapshot a tracker publishes (subscribe before `start()` to see the first one). */
export function recordSnapshots(tracker: JobTracker): { snapshots: JobSnapshot[]; lines(): EventLine[] } {
  const snapshots: JobSnapshot[] = [];
  tracker.subscribe((snapshot) => snapshots.push(snapshot));
  return {
    snapshots,
    lines: () => snapshots.map((snapshot) => [snapshot.status, snapshot.source, snapshot.progress.percent]),
  };
}

/** Resolves with the first snapshot `predicate` accepts (bounded); the tracker must be started. */
export function waitForSnapshot(
  tracker: JobTracker,
  predicate: (snapshot: JobSnapshot) => boolean,
  timeoutMs = 5000,
): Promise<JobSnapshot> {
  const current = tracker.snapshot;
  if (current && predicate(current)) return Promise.resolve(current);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`No matching snapshot of job ${tracker.jobId} within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = tracker.subscribe((snapshot) => {
      if (!predicate(snapshot)) return;
      clearTimeout(timer);
      stop();
      resolve(snapshot);
    });
  });
}

/** One callback body the subscriber handed to a tracker. */
export interface RelayedBody {
  jobId: string;
  data: string;
  at: number;
}

/**
 * A host's `relay.subscribe` over the callback relay's event stream (`/api/job-events?jobId=`), read with the
 * Node SSE client: each `message` event's data is delivered as it arrives (checked every 5 ms). `close()` ends
 * every stream still open, those still connecting included.
 */
export class SseRelaySubscriber {
  /** Bodies delivered, in order. */
  readonly delivered: RelayedBody[] = [];
  /** Streams that could not be opened. */
  readonly errors: unknown[] = [];
  readonly #server: RelayServer;
  readonly #open = new Set<() => void>();
  readonly #connecting = new Set<Promise<void>>();

  constructor(server: RelayServer) {
    this.#server = server;
  }

  /** The relay for a `JobTracker`. */
  get relay(): JobCallbackRelay {
    return { subscribe: (jobId, deliver) => this.subscribe(jobId, deliver) };
  }

  /** Streams open now (or connecting). */
  get openStreams(): number {
    return this.#open.size;
  }

  subscribe(jobId: string, deliver: (body: unknown) => void): () => void {
    let client: SseClient | undefined;
    let stopped = false;
    let cursor = 0;
    const connecting = this.#server.events(jobId).then(
      (opened) => {
        if (stopped) opened.close();
        else if (opened.status !== 200) this.errors.push(new Error(`job-events answered ${opened.status}`));
        else client = opened;
      },
      (error: unknown) => {
        this.errors.push(error);
      },
    );
    this.#connecting.add(connecting);
    void connecting.finally(() => this.#connecting.delete(connecting));
    const pump = setInterval(() => {
      while (client && !stopped && cursor < client.events.length) {
        const data = client.events[cursor]!.data;
        cursor += 1;
        this.delivered.push({ jobId, data, at: performance.now() });
        deliver(data);
      }
    }, 5);
    const stop = (): void => {
      stopped = true;
      clearInterval(pump);
      client?.close();
      this.#open.delete(stop);
    };
    this.#open.add(stop);
    return stop;
  }

  /** Ends every stream; waits (bounded by the SSE client's own timeout) for those still connecting. */
  async close(): Promise<void> {
    for (const stop of [...this.#open]) stop();
    await Promise.all(this.#connecting);
  }
}
