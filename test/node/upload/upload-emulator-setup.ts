// Shared pieces of the Node upload tests against the emulator (test/node/upload/*): a page's ServiceClient over
// real HTTP (STS credentials from the demo host's call), a transport that records each request and can hold an
// answer back as a slow network would, generated files, the pending multipart uploads under a prefix, and a
// browser-like `navigator.onLine` with the window's `online` event.
import { setTimeout as sleep } from 'node:timers/promises';
import { getFederationToken } from '../../../demo/host/sts-client.js';
import { widgetPolicy } from '../../../demo/host/widget-policy.js';
import { parseListMultipartUploadsResult } from '../../../src/core/protocol/cos-document.js';
import { CredentialProvider } from '../../../src/core/signing/credential-provider.js';
import { abortError } from '../../../src/core/transport/delay.js';
import { ServiceClient } from '../../../src/core/transport/service-client.js';
import type { HttpRequest, HttpResponse, Transport } from '../../../src/core/transport/types.js';
import { LoopbackTransport, type Emulator } from '../../../src/emulator/index.js';
import { BUCKET, REGION } from '../../helpers/emulator.js';
import { randomBytes } from '../../helpers/random-bytes.js';

export const MiB = 1024 * 1024;

/** A key prefix of its own for each test: fault rules and listings are scoped to it. */
export const uniquePrefix = (): string => `node-upload/${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}/`;

/** The COS operation of a request, as the emulator's faults name it. */
export function operationOf(method: string, url: string): string {
  const query = new URL(url).searchParams;
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
 * Sends through `LoopbackTransport` (real HTTP) and records each request; `hold(operation)` milliseconds are
 * waited (abortably, by the request's signal) before an answer is handed back, as a slow network would.
 */
export class RecordingTransport implements Transport {
  readonly sent: Sent[] = [];
  hold: (operation: string) => number = () => 0;
  readonly #inner = new LoopbackTransport();

  async send(request: HttpRequest): Promise<HttpResponse> {
    const entry: Sent = { operation: operationOf(request.method, request.url) };
    this.sent.push(entry);
    try {
      const response = await this.#inner.send(request);
      const ms = this.hold(entry.operation);
      if (ms > 0) {
        await sleep(ms, undefined, request.signal ? { signal: request.signal } : {}).catch(() => {
          throw abortError(request.signal);
        });
      }
      entry.status = response.status;
      return response;
    } catch (error) {
      entry.error = (error as { code?: string }).code ?? 'unknown';
      throw error;
    }
  }

  of(operation: string): Sent[] {
    return this.sent.filter((entry) => entry.operation === operation);
  }
}

/** A page's client of the emulator: STS credentials for the demo widget's policy (ListMultipartUploads added). */
export function emulatorClient(emulator: Emulator, transport: Transport = new RecordingTransport()): ServiceClient {
  const { endpoints } = emulator;
  return new ServiceClient({
    transport,
    authorizer: new CredentialProvider({
      getAuthorization: () =>
        getFederationToken({
          endpoint: endpoints.sts,
          secretId: endpoints.secretId,
          secretKey: endpoints.secretKey,
          region: REGION,
          policy: widgetPolicy({ appId: endpoints.appId, bucket: BUCKET, region: REGION, prefix: '' }, [
            'name/cos:ListMultipartUploads',
          ]),
        }),
    }),
    bucket: BUCKET,
    region: REGION,
    protocol: endpoints.protocol,
    domains: endpoints.domains,
    retry: { delays: [20, 50] },
  });
}

/** A file of `size` bytes of a xorshift stream (no two parts alike). */
export const fileOf = (size: number, seed = 7): File =>
  new File([randomBytes(size, seed * 2654435761)], 'clip.mp4', { type: 'video/mp4', lastModified: 1_700_000_000_000 });

/** The UploadIds of the multipart uploads the emulator holds under `prefix` (ListMultipartUploads). */
export async function pendingUploads(client: ServiceClient, prefix: string): Promise<string[]> {
  const response = await client.request({
    service: 'cos',
    method: 'GET',
    key: '',
    query: { uploads: '', prefix },
    action: 'name/cos:ListMultipartUploads',
    phase: 'upload',
  });
  return parseListMultipartUploadsResult(response.body).Upload.map((upload) => upload.UploadId);
}

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
