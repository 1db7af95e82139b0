// Shared setup of the upload engine's browser tests (test/e2e/upload*.test.ts): a ServiceClient over a counting
// XhrTransport with STS credentials from the example host backend, generated files, a byte-for-byte check of what
// the emulator stored (GET /__verify/object, computed in Node), and the emulator's fault admin endpoint.
import { expect } from 'chai';
import { CredentialProvider } from '../../src/core/signing/credential-provider.js';
import type { AuthorizationResult } from '../../src/core/signing/credentials.js';
import type { Clock } from '../../src/core/transport/clock.js';
import type { RetryOptions } from '../../src/core/transport/retry.js';
import { ServiceClient } from '../../src/core/transport/service-client.js';
import type { HttpRequest, HttpResponse, Transport } from '../../src/core/transport/types.js';
import { XhrTransport } from '../../src/core/transport/xhr-transport.js';
import type { MultipartUpload } from '../../src/core/upload/multipart-upload.js';
import type { UploadSnapshot } from '../../src/core/upload/upload-types.js';
import type { FaultRule } from '../../src/emulator/faults/fault-config.js';
import { config } from './host-config.js';

/** One mebibyte. */
export const MiB = 1024 * 1024;

export { config, type HostConfig } from './host-config.js';
export { pendingUploads } from '../helpers/pending-uploads.js';

/** A key prefix no other test uses: fault rules are scoped to it, so concurrent tests are left alone. */
export const uniquePrefix = (): string =>
  `e2e-upload/${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}/`;

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Waits until `condition()` holds, checking every 10 ms; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) expect.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits `ms` (a bounded observation window). */
export const during = sleep;

/** One request a {@link CountingTransport} sent, and how it ended. */
export interface SentRequest {
  /** The COS operation, told from the method and the query: `UploadPart`, `ListParts`... */
  operation: string;
  partNumber?: number;
  /** The response status; absent while in flight and for requests that got no response. */
  status?: number;
  /** The response body of an error status. */
  errorBody?: string;
  /** The transport's error code for requests that got no response (`network`, `aborted`...). */
  failure?: string;
  settled: boolean;
}

/** The COS operation of a request, as the emulator's policy and faults name it. */
export function operationOf(method: string, url: string): string {
  const query = new URL(url).searchParams;
  const upper = method.toUpperCase();
  if (upper === 'PUT') return query.has('partNumber') ? 'UploadPart' : 'PutObject';
  if (upper === 'POST') return query.has('uploads') ? 'InitiateMultipartUpload' : 'CompleteMultipartUpload';
  if (upper === 'DELETE') return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  if (upper === 'HEAD') return 'HeadObject';
  if (query.has('uploadId')) return 'ListParts';
  return query.has('uploads') ? 'ListMultipartUploads' : 'GetObject';
}

/**
 * A {@link Transport} decorator that records every request sent through it, how many are in flight, and calls
 * `onResponse` when a response arrives, before the engine sees it (so a test can pause or cancel at an exact
 * point of the upload).
 */
export class CountingTransport implements Transport {
  readonly sent: SentRequest[] = [];
  inFlight = 0;
  onResponse: ((request: SentRequest) => void) | undefined;
  readonly #inner: Transport;

  constructor(inner: Transport = new XhrTransport()) {
    this.#inner = inner;
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const partNumber = new URL(request.url).searchParams.get('partNumber');
    const entry: SentRequest = {
      operation: operationOf(request.method, request.url),
      ...(partNumber === null ? {} : { partNumber: Number(partNumber) }),
      settled: false,
    };
    this.sent.push(entry);
    this.inFlight += 1;
    try {
      const response = await this.#inner.send(request);
      entry.status = response.status;
      if (response.status >= 300) entry.errorBody = response.body;
      entry.settled = true;
      this.inFlight -= 1;
      this.onResponse?.(entry);
      return response;
    } catch (error) {
      entry.failure = (error as { code?: string }).code ?? 'unknown';
      entry.settled = true;
      this.inFlight -= 1;
      throw error;
    }
  }

  /** The requests of one operation. */
  of(operation: string): SentRequest[] {
    return this.sent.filter((request) => request.operation === operation);
  }

  /** Part numbers of the UploadPart requests answered with 200. */
  acknowledgedParts(): number[] {
    return this.of('UploadPart')
      .filter((request) => request.status === 200)
      .map((request) => request.partNumber!);
  }

  /** How many UploadPart requests were sent for each part number. */
  partSends(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const { partNumber } of this.of('UploadPart')) counts.set(partNumber!, (counts.get(partNumber!) ?? 0) + 1);
    return counts;
  }
}

/**
 * A `getAuthorization` fetching STS credentials from the host backend at `url`, counting its calls.
 * `overstateExpiry` adds seconds to the `ExpiredTime` handed on, as a host computing it on a clock that runs ahead
 * would: signatures then outlive the session token.
 */
export function hostCredentials(url = '/api/credentials', overstateExpiry = 0) {
  const counter = {
    calls: 0,
    getAuthorization: async (): Promise<AuthorizationResult> => {
      counter.calls += 1;
      const answer = (await (await fetch(url)).json()) as { ExpiredTime: number };
      return { ...answer, ExpiredTime: answer.ExpiredTime + overstateExpiry } as AuthorizationResult;
    },
  };
  return counter;
}

/** What {@link createClient} builds a client from; everything has a default. */
export interface ClientSetup {
  transport?: Transport;
  credentials?: ReturnType<typeof hostCredentials>;
  clock?: Clock;
  retry?: RetryOptions;
}

/** A ServiceClient for the emulator's bucket, signed by a CredentialProvider, with short retry delays. */
export function createClient(setup: ClientSetup = {}): ServiceClient {
  const { getAuthorization } = setup.credentials ?? hostCredentials();
  return new ServiceClient({
    transport: setup.transport ?? new CountingTransport(),
    authorizer: new CredentialProvider({ getAuthorization, ...(setup.clock ? { clock: setup.clock } : {}) }),
    bucket: config.bucket,
    region: config.region,
    protocol: config.protocol,
    domains: config.domains,
    retry: setup.retry ?? { delays: [20, 50, 100, 200, 400, 800] },
  });
}

/**
 * `size` bytes of random-looking data: one random MiB, varied in every MiB (its index written at a few places),
 * so that no two parts are alike. Built from Blobs, so no array of the whole size is ever made here.
 */
export function generatedFile(size: number, type = 'application/octet-stream'): Blob {
  const chunk = new Uint8Array(MiB);
  for (let offset = 0; offset < MiB; offset += 65_536) crypto.getRandomValues(chunk.subarray(offset, offset + 65_536));
  const view = new DataView(chunk.buffer);
  const pieces: Blob[] = [];
  for (let start = 0, index = 0; start < size; start += MiB, index += 1) {
    for (const at of [0, 4096, MiB / 2, MiB - 4]) view.setUint32(at, index ^ 0x5a5a5a5a);
    pieces.push(new Blob([chunk.subarray(0, Math.min(MiB, size - start))]));
  }
  return new Blob(pieces, { type });
}

const hex = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** Asserts that the emulator stores at `key` exactly the bytes of `file` (size and SHA-256). */
export async function expectStored(key: string, file: Blob): Promise<void> {
  const response = await fetch(`/__verify/object?key=${encodeURIComponent(key)}`);
  const stored = (await response.json()) as { size?: number; sha256?: string; status?: number };
  expect(response.status, `stored object ${key}: ${JSON.stringify(stored)}`).to.equal(200);
  const expected = hex(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
  expect(stored).to.deep.equal({ size: file.size, sha256: expected });
}

/** Waits until `upload` is paused and none of the requests it sent through `transport` is in flight any more. */
export function waitForPause(upload: MultipartUpload, transport: CountingTransport): Promise<void> {
  return waitFor(() => upload.snapshot.status === 'paused' && transport.inFlight === 0, 'the pause to settle');
}

/** The `localStorage` keys under `prefix`: the resume records a `LocalStorageResumeStore` with it holds. */
export const storedRecords = (prefix: string): string[] =>
  Object.keys(localStorage).filter((name) => name.startsWith(prefix));

/** Records every snapshot `upload` publishes. */
export function recordSnapshots(upload: MultipartUpload): UploadSnapshot[] {
  const snapshots: UploadSnapshot[] = [];
  upload.subscribe((snapshot) => snapshots.push(snapshot));
  return snapshots;
}

/** Asserts that progress never went back and ended at 100 % of `total`. */
export function expectSteadyProgress(snapshots: readonly UploadSnapshot[], total: number): void {
  expect(snapshots.length).to.be.greaterThan(2);
  let last = 0;
  for (const { progress } of snapshots) {
    expect(progress.totalBytes).to.equal(total);
    expect(progress.transferredBytes, 'progress went back').to.be.at.least(last);
    expect(progress.percent).to.equal(total === 0 ? progress.percent : progress.transferredBytes / total);
    last = progress.transferredBytes;
  }
  const final = snapshots[snapshots.length - 1]!;
  expect(final.status).to.equal('done');
  expect(final.progress).to.include({ percent: 1, transferredBytes: total });
}

async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  // Through the test server's proxy (test/helpers/emulator-admin-proxy.ts): the admin answers no page itself.
  const response = await fetch(`/__emulator/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const answer: unknown = await response.json();
  expect(response.status, JSON.stringify(answer)).to.equal(200);
  return answer;
}

/** The Web Lock every test page holds while it sets the emulator's faults (one configuration for all pages). */
export const FAULTS_LOCK = 'cos-transcoder-emulator-faults';

/**
 * Waits until this page holds {@link FAULTS_LOCK}, so that no other test file sets or clears faults meanwhile;
 * resolves with the function that releases it.
 */
export function acquireFaultsLock(): Promise<() => void> {
  return new Promise((granted) => {
    void navigator.locks.request(FAULTS_LOCK, () => new Promise<void>((release) => granted(release)));
  });
}

/** Replaces the emulator's faults with `rules` (each must carry a `keyPrefix`: other tests run meanwhile). */
export async function setFaults(rules: FaultRule[], seed = 1): Promise<void> {
  expect(rules.every((rule) => rule.keyPrefix), 'every fault rule must be scoped with keyPrefix').to.equal(true);
  await admin('PUT', 'faults', { rules, seed });
}

/** Clears every fault. */
export async function clearFaults(): Promise<void> {
  await admin('DELETE', 'faults');
}

/** The faults injected since they were last set, `{ 'error:UploadPart': 2, ... }`. */
export async function faultStats(): Promise<Record<string, number>> {
  const state = (await admin('GET', '')) as { faults: { stats: Record<string, number> } };
  return state.faults.stats;
}
