// Shared pieces of the Node upload tests against the emulator (test/node/upload/*): one emulator per suite, an
// upload of a generated file under a prefix of its own, a page's ServiceClient over real HTTP (the job tests'
// pageClient: STS credentials from the demo host's call), a transport that records each request by operation and
// can hold an answer back as a slow network would, the pending multipart uploads under a prefix, and a browser-like
// `navigator.onLine` with the window's `online` event.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceClient } from '../../../src/core/transport/service-client.js';
import type { HttpRequest, Transport } from '../../../src/core/transport/types.js';
import { MultipartUpload } from '../../../src/core/upload/multipart-upload.js';
import type { MultipartUploadOptions } from '../../../src/core/upload/upload-options.js';
import type { UploadSnapshot } from '../../../src/core/upload/upload-types.js';
import type { Emulator } from '../../../src/emulator/index.js';
import { startTestEmulator } from '../../helpers/emulator.js';
import { randomBytes } from '../../helpers/random-bytes.js';
import { RecordingTransport as RequestRecorder, pageClient } from '../jobs/emulator-jobs-setup.js';

export { pendingUploads } from '../../helpers/pending-uploads.js';

export const MiB = 1024 * 1024;

/** A key prefix of its own for each test: fault rules and listings are scoped to it. */
export const uniquePrefix = (): string => `node-upload/${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}/`;

/**
 * Starts one emulator for the suite (handed to `started` before its tests), clears its faults after each test and
 * closes it after the last.
 */
export function useEmulator(started: (emulator: Emulator) => void): void {
  let emulator: Emulator | undefined;
  before(async () => {
    emulator = await startTestEmulator();
    started(emulator);
  });
  afterEach(() => emulator?.faults.update({}));
  after(() => emulator?.close());
}

/** The COS operation of a request (its method and query, `?uploads`...), as the emulator's faults name it. */
export function operationOf(method: string, search: string): string {
  const query = new URLSearchParams(search);
  if (method === 'PUT') return query.has('partNumber') ? 'UploadPart' : 'PutObject';
  if (method === 'POST') return query.has('uploads') ? 'InitiateMultipartUpload' : 'CompleteMultipartUpload';
  if (method === 'DELETE') return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  if (method === 'HEAD') return 'HeadObject';
  if (query.has('uploadId')) return 'ListParts';
  return query.has('uploads') ? 'ListMultipartUploads' : 'GetObject';
}

/** One request sent through a {@link RecordingTransport}. */
export interface Sent {
  operation: string;
  status?: number;
  error?: string;
}

/**
 * The job tests' recording transport (real HTTP through `LoopbackTransport`), read by COS operation: `sent` and
 * `of(operation)`; `hold(operation)` milliseconds are waited (abortably, by the request's signal) before an answer
 * is handed back, as a slow network would.
 */
export class RecordingTransport extends RequestRecorder {
  hold: (operation: string) => number = () => 0;

  /** Every request so far, in the order sent, with its status or transport error once it ended. */
  get sent(): Sent[] {
    return this.requests.map(({ method, search, status, error }) => ({
      operation: operationOf(method, search),
      ...(status === undefined ? {} : { status }),
      ...(error === undefined ? {} : { error }),
    }));
  }

  of(operation: string): Sent[] {
    return this.sent.filter((entry) => entry.operation === operation);
  }

  protected override holdFor(request: HttpRequest): number {
    return this.hold(operationOf(request.method, new URL(request.url).search));
  }
}

/** A page's client of the emulator: STS credentials for the demo widget's policy (ListMultipartUploads added). */
export function emulatorClient(emulator: Emulator, transport: Transport = new RecordingTransport()): ServiceClient {
  return pageClient(emulator, { transport, retry: { delays: [20, 50] } });
}

/**
 * An upload to `<prefix>clip.mp4` (a fresh prefix unless given) of a generated 3 MiB file in 1 MiB parts, over a
 * client of its own on a {@link RecordingTransport}, with every snapshot it publishes; `options` override.
 */
export function emulatorUpload(
  emulator: Emulator,
  options: Partial<MultipartUploadOptions> & { prefix?: string } = {},
): {
  prefix: string;
  transport: RecordingTransport;
  client: ServiceClient;
  upload: MultipartUpload;
  snapshots: UploadSnapshot[];
} {
  const { prefix = uniquePrefix(), ...overrides } = options;
  const transport = new RecordingTransport();
  const client = emulatorClient(emulator, transport);
  const upload = new MultipartUpload({
    client,
    file: fileOf(3 * MiB),
    key: `${prefix}clip.mp4`,
    partSize: MiB,
    multipartThreshold: MiB,
    ...overrides,
  });
  const snapshots: UploadSnapshot[] = [];
  upload.subscribe((snapshot) => snapshots.push(snapshot));
  return { prefix, transport, client, upload, snapshots };
}

/** A file of `size` bytes of a xorshift stream (no two parts alike). */
export const fileOf = (size: number, seed = 7): File =>
  new File([randomBytes(size, seed * 2654435761)], 'clip.mp4', { type: 'video/mp4', lastModified: 1_700_000_000_000 });

/** Waits until `condition()` holds (every 5 ms), failing after `ms`. */
export async function until(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** `promise`, or a failure naming `what` after `ms` (a hang fails the test instead of timing it out). */
export function within<T>(promise: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Makes Node look like a browser that says it is offline: `navigator.onLine` is `false` and `globalThis` has the
 * window's `addEventListener`. Returns the function that restores Node, after dispatching `online` if asked.
 */
export function browserOffline(): { restore: () => void; online: () => void } {
  const target = new EventTarget();
  const global = globalThis as unknown as Record<string, unknown>;
  const saved = ['navigator', 'addEventListener', 'removeEventListener', 'dispatchEvent'].map(
    (name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const,
  );
  Object.defineProperty(globalThis, 'navigator', { configurable: true, value: { onLine: false } });
  global['addEventListener'] = target.addEventListener.bind(target);
  global['removeEventListener'] = target.removeEventListener.bind(target);
  global['dispatchEvent'] = target.dispatchEvent.bind(target);
  return {
    online: () => void target.dispatchEvent(new Event('online')),
    restore: () => {
      for (const [name, descriptor] of saved) {
        if (descriptor) Object.defineProperty(globalThis, name, descriptor);
        else delete global[name];
      }
    },
  };
}
