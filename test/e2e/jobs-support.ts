// Shared setup of the job tests in Chromium (test/e2e/jobs*.test.ts): the media fixture uploaded under a unique
// prefix, a counting transport that names CI requests (POST /jobs, GET /jobs/<id>, GET /jobs, PUT cancel), job
// request builders, a recorder of a tracker's snapshots, the page's visibility faked, and the emulator's faults
// set under a lock shared by the pages of the browser.
import { expect } from 'chai';
import { JobTracker, type JobTrackerOptions } from '../../src/core/jobs/job-tracker.js';
import type { JobPollOptions, JobSnapshot, TrackerEnvironment } from '../../src/core/jobs/job-types.js';
import { defaultTrackerEnvironment } from '../../src/core/jobs/tracker-environment.js';
import type { JobRequest } from '../../src/core/protocol/job-request-schemas.js';
import { isTerminalJobState } from '../../src/core/protocol/job-state.js';
import type { ServiceClient } from '../../src/core/transport/service-client.js';
import type { HttpRequest, HttpResponse } from '../../src/core/transport/types.js';
import type { FaultRule } from '../../src/emulator/faults/fault-config.js';
import {
  CountingTransport,
  FAULTS_LOCK,
  clearFaults,
  config,
  createClient,
  setFaults,
  type SentRequest,
} from './upload-support.js';

export { config } from './upload-support.js';

/** The emulator's transcode template (the seed's). */
export const TEMPLATE = 't1460606b9752148c4ab182f55163ba7cd';

/** Polls every 100 ms, unjittered: every state of a 1.6 s emulator job is seen. */
export const FAST_POLL: JobPollOptions = { delays: [100], jitter: 0, safetyNetDelay: 100 };

/** Polls that never come within a test: only the submission and callbacks can move the job. */
export const NO_POLL: JobPollOptions = { delays: [60_000], jitter: 0, safetyNetDelay: 60_000 };

/** A request a {@link JobCountingTransport} sent: CI requests carry their operation name and the job id. */
export interface JobSentRequest extends SentRequest {
  /** `performance.now()` when it was handed to the transport. */
  at: number;
  service: 'cos' | 'ci';
  /** The job of a `DescribeMediaJob` or `CancelMediaJob`. */
  jobId?: string;
}

/** The CI operation of a request to the CI domain (`undefined` for COS requests). */
export function ciOperationOf(method: string, url: string): { operation: string; jobId?: string } | undefined {
  const { hostname, pathname, searchParams } = new URL(url);
  if (!hostname.includes('.ci.') || !pathname.startsWith('/jobs')) return undefined;
  const jobId = pathname.startsWith('/jobs/') ? decodeURIComponent(pathname.slice('/jobs/'.length)) : undefined;
  const upper = method.toUpperCase();
  if (upper === 'POST') return { operation: 'CreateMediaJobs' };
  if (upper === 'PUT' && searchParams.has('cancel') && jobId) return { operation: 'CancelMediaJob', jobId };
  if (upper === 'GET' && jobId) return { operation: 'DescribeMediaJob', jobId };
  if (upper === 'GET') return { operation: 'DescribeMediaJobs' };
  return { operation: `${upper} /jobs` };
}

/**
 * A {@link CountingTransport} that also tells CI requests apart (`CreateMediaJobs`, `DescribeMediaJob` with its
 * job id, `DescribeMediaJobs`, `CancelMediaJob`) and stamps every request with the time it was sent.
 */
export class JobCountingTransport extends CountingTransport {
  override send(request: HttpRequest): Promise<HttpResponse> {
    const at = performance.now();
    const sending = super.send(request);
    // CountingTransport records its entry before its first await: it is the last one now.
    const entry = this.sent[this.sent.length - 1] as JobSentRequest;
    entry.at = at;
    const ci = ciOperationOf(request.method, request.url);
    entry.service = ci ? 'ci' : 'cos';
    if (ci) Object.assign(entry, ci);
    return sending;
  }

  /** Every request, with its time. */
  get requests(): readonly JobSentRequest[] {
    return this.sent as JobSentRequest[];
  }

  /** The operations of the CI requests, in the order they were sent. */
  ciOperations(): string[] {
    return this.requests.filter((request) => request.service === 'ci').map((request) => request.operation);
  }

  /** `POST /jobs` requests. */
  posts(): JobSentRequest[] {
    return this.requests.filter((request) => request.operation === 'CreateMediaJobs');
  }

  /** `GET /jobs/<id>` requests (of `jobId` when given), sent at or after `since` (a `performance.now()` time). */
  polls(jobId?: string, since = 0): JobSentRequest[] {
    return this.requests.filter(
      (request) =>
        request.operation === 'DescribeMediaJob' &&
        (jobId === undefined || request.jobId === jobId) &&
        request.at >= since,
    );
  }

  /** `GET /jobs?…` list requests. */
  lists(): JobSentRequest[] {
    return this.requests.filter((request) => request.operation === 'DescribeMediaJobs');
  }

  /** `PUT /jobs/<id>?cancel` requests. */
  cancels(): JobSentRequest[] {
    return this.requests.filter((request) => request.operation === 'CancelMediaJob');
  }
}

/** A client of the emulator's bucket over a fresh {@link JobCountingTransport}. */
export function jobClient(): { client: ServiceClient; transport: JobCountingTransport } {
  const transport = new JobCountingTransport();
  return { client: createClient({ transport, retry: { delays: [50, 100] } }), transport };
}

let fixture: Promise<Blob> | undefined;

/** The 640x360 MP4 fixture, fetched once per page. */
export function fixtureVideo(): Promise<Blob> {
  fixture ??= fetch('/test/fixtures/media/sample-640x360.mp4').then(async (response) => {
    expect(response.status).to.equal(200);
    return new Blob([await response.arrayBuffer()], { type: 'video/mp4' });
  });
  return fixture;
}

/** Stores `body` at `key` (PutObject). */
export async function putObject(client: ServiceClient, key: string, body: Blob | string): Promise<void> {
  await client.request({ service: 'cos', method: 'PUT', key, body, action: 'name/cos:PutObject', phase: 'upload' });
}

/** Uploads the MP4 fixture to `key`; resolves with the key. */
export async function uploadFixture(client: ServiceClient, key: string): Promise<string> {
  await putObject(client, key, await fixtureVideo());
  return key;
}

/** The size of the object at `key` (HeadObject); rejects when it does not exist. */
export async function objectSize(client: ServiceClient, key: string): Promise<number> {
  const head = await client.request({
    service: 'cos',
    method: 'HEAD',
    key,
    action: 'name/cos:HeadObject',
    phase: 'track',
  });
  return Number(head.headers['content-length']);
}

/** What a test sets in a transcode request beyond its input. */
export interface TranscodeSetup {
  /** The output key, `${ext}` allowed. @default `${input}.out.${ext}` */
  output?: string;
  /** A digital watermark message to embed. */
  watermark?: string;
  userData?: string;
  callback?: 'XML' | 'JSON';
}

/** A `Tag=Transcode` request of `input` with the seed's template, into the emulator's bucket. */
export function transcodeRequest(input: string, setup: TranscodeSetup = {}): JobRequest {
  return {
    Tag: 'Transcode',
    Input: { Object: input },
    Operation: {
      TemplateId: TEMPLATE,
      Output: { Region: config.region, Bucket: config.bucket, Object: setup.output ?? `${input}.out.\${ext}` },
      ...(setup.watermark === undefined
        ? {}
        : { DigitalWatermark: { Type: 'Text', Message: setup.watermark, Version: 'V1' } }),
      ...(setup.userData === undefined ? {} : { UserData: setup.userData }),
    },
    ...(setup.callback === undefined ? {} : { CallBack: config.callbackUrl!, CallBackFormat: setup.callback }),
  };
}

/** A `Tag=ExtractDigitalWatermark` request of `input` (Text, V1, as `transcodeRequest` embeds). */
export function extractRequest(input: string): JobRequest {
  return {
    Tag: 'ExtractDigitalWatermark',
    Input: { Object: input },
    Operation: { ExtractDigitalWatermark: { Type: 'Text', Version: 'V1' } },
  };
}

/** A tracker and every snapshot it published, in order. */
export interface RecordedTracker {
  tracker: JobTracker;
  snapshots: JobSnapshot[];
}

/**
 * The page as a tracker sees it by default, except that it is never hidden: the test runner runs test files in
 * tabs of one headless Chromium, and every tab but the front one is hidden, where a tracker rightly stops polling.
 */
export function shownPage(): TrackerEnvironment {
  return { ...defaultTrackerEnvironment(), isHidden: () => false, onVisibilityChange: () => () => {} };
}

/**
 * A {@link JobTracker} with a recorder subscribed before it starts (it is not started). Its page is
 * {@link shownPage} unless `options.environment` says otherwise.
 */
export function recordedTracker(options: JobTrackerOptions): RecordedTracker {
  const tracker = new JobTracker({ environment: shownPage(), ...options });
  const snapshots: JobSnapshot[] = [];
  tracker.subscribe((snapshot) => snapshots.push(snapshot));
  return { tracker, snapshots };
}

/** `state/source` of each snapshot, a sequence easy to compare and to read in a failure. */
export const events = (snapshots: readonly JobSnapshot[]): string[] =>
  snapshots.map(({ status, source }) => `${status}/${source}`);

/**
 * Asserts that `snapshots` is one clean stream: no two with the same state and progress, progress never falling,
 * states only moving forward, and exactly one terminal snapshot, the last.
 */
export function expectCleanStream(snapshots: readonly JobSnapshot[]): void {
  const seen = new Set<string>();
  let progress = 0;
  for (const snapshot of snapshots) {
    const key = `${snapshot.status}@${snapshot.progress.percent}`;
    expect(seen.has(key), `duplicate snapshot ${key} in ${events(snapshots).join(', ')}`).to.equal(false);
    seen.add(key);
    expect(snapshot.progress.percent, `progress fell in ${key}`).to.be.at.least(progress);
    progress = snapshot.progress.percent;
  }
  const terminal = snapshots.filter((snapshot) => isTerminalJobState(snapshot.status));
  expect(terminal, 'terminal snapshots').to.have.length(1);
  expect(snapshots[snapshots.length - 1]).to.equal(terminal[0]);
}

/**
 * Fakes the page's visibility: `document.hidden` and `document.visibilityState` follow `hide()` / `show()`, each of
 * which fires `visibilitychange`; `restore()` puts the browser's own properties back.
 */
export function fakeVisibility(): { hide(): void; show(): void; restore(): void } {
  let hidden = false;
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  const state = () => (hidden ? 'hidden' : 'visible');
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: state });
  const set = (value: boolean) => {
    hidden = value;
    document.dispatchEvent(new Event('visibilitychange'));
  };
  return {
    hide: () => set(true),
    show: () => set(false),
    restore: () => {
      // The own properties shadow Document.prototype's getters; deleting them brings those back.
      delete (document as { hidden?: boolean }).hidden;
      delete (document as { visibilityState?: string }).visibilityState;
    },
  };
}

/**
 * Runs `body` with the emulator's faults set to `rules`, then clears them. The emulator has one fault
 * configuration for every page, so the whole run holds a Web Lock that every page of the browser shares: two
 * test files never set faults at the same time.
 */
export async function withFaults<T>(rules: FaultRule[], body: () => Promise<T>): Promise<T> {
  return navigator.locks.request(FAULTS_LOCK, async () => {
    await setFaults(rules);
    try {
      return await body();
    } finally {
      await clearFaults();
    }
  });
}

/** A simulated reload: the core and this file loaded again in a realm of their own, over the same localStorage. */
export interface ReloadedPage {
  core: typeof import('../../src/core/index.js');
  /** The job record stores of that realm (not part of the public core: the default store is internal). */
  records: typeof import('../../src/core/jobs/job-records.js');
  support: typeof import('./jobs-support.js');
  /** Removes the page. */
  close(): void;
}

/**
 * Opens a same-origin `<iframe>` and imports the core and this file in it: a new JavaScript realm, so every module
 * state (the jobs `submitJob` already handed out, for one) starts afresh, as after a reload, while `localStorage`
 * is the same.
 */
export async function reloadedPage(): Promise<ReloadedPage> {
  const frame = document.createElement('iframe');
  document.body.append(frame);
  try {
    const realm = frame.contentWindow as (Window & typeof globalThis) | null;
    if (!realm) throw new Error('The iframe has no window');
    // A function of the iframe's realm: what it imports is loaded in that realm's module map.
    const load = new realm.Function('url', 'return import(url)') as (url: string) => Promise<unknown>;
    const [core, records, support] = await Promise.all([
      load(new URL('../../src/core/index.ts', import.meta.url).href),
      load(new URL('../../src/core/jobs/job-records.ts', import.meta.url).href),
      load(import.meta.url),
    ]);
    return {
      core: core as ReloadedPage['core'],
      records: records as ReloadedPage['records'],
      support: support as ReloadedPage['support'],
      close: () => frame.remove(),
    };
  } catch (error) {
    frame.remove();
    throw error;
  }
}
