import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { abortError } from '../core/transport/delay.js';
import {
  inactivityTimer,
  networkError,
  refusedRequestError,
  sanitizedCause,
  timeoutError,
} from '../core/transport/transport-errors.js';
import type { HttpRequest, HttpResponse, Transport } from '../core/transport/types.js';

/**
 * Resolves `localhost` and every `*.localhost` name to 127.0.0.1, as browsers do (RFC 6761), and anything else
 * through the system resolver, which on most systems does not know `*.localhost`.
 */
export const loopbackLookup: LookupFunction = (hostname, options, callback) => {
  const name = hostname.toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) {
    if (options.all) {
      (callback as (error: null, addresses: LookupAddress[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
    } else {
      callback(null, '127.0.0.1', 4);
    }
    return;
  }
  dnsLookup(hostname, options, callback as never);
};

/**
 * A {@link Transport} over `node:http` that reaches the emulator's `*.localhost` hosts from Node, where the
 * system resolver does not know them and `fetch` cannot set `Host`. It reports upload progress as the body is
 * written, and its `timeout` is an inactivity timeout like `XhrTransport`'s.
 *
 * @example
 * ```ts
 * const client = new ServiceClient({ transport: new LoopbackTransport(), authorizer, bucket, region,
 *   protocol: 'http', domains: emulator.endpoints.domains });
 * ```
 */
export class LoopbackTransport implements Transport {
  send(request: HttpRequest): Promise<HttpResponse> {
    const { method, url, signal } = request;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      const finish = (error: unknown, response?: HttpResponse) => {
        if (settled) return;
        settled = true;
        timer.stop();
        signal?.removeEventListener('abort', onAbort);
        if (response) resolve(response);
        else reject(error);
      };
      const timer = inactivityTimer(request.timeout, () => {
        timedOut = true;
        client.destroy();
      });
      const onAbort = () => client.destroy();
      let client: ReturnType<typeof httpRequest>;
      try {
        client = httpRequest(url, { method, headers: { ...request.headers }, lookup: loopbackLookup });
      } catch (caught) {
        finish(refusedRequestError(method, url, sanitizedCause(caught, 'http')));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      client.on('error', (caught) => {
        if (timedOut) finish(timeoutError(method, url, request.timeout ?? 0));
        else if (signal?.aborted) finish(abortError(signal));
        else finish(networkError(method, url, sanitizedCause(caught, 'http')));
      });
      client.on('response', (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => {
          timer.touch();
          chunks.push(chunk);
        });
        response.on('error', (caught) => client.emit('error', caught));
        response.on('end', () => {
          const headers: Record<string, string> = Object.create(null);
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
          }
          finish(undefined, { status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      void writeBody(client, request, () => timer.touch()).catch((caught) => client.destroy(caught as Error));
    });
  }
}

async function writeBody(
  client: ReturnType<typeof httpRequest>,
  request: HttpRequest,
  onProgress: () => void,
): Promise<void> {
  const { body } = request;
  if (body === undefined) {
    client.end();
    return;
  }
  const source =
    typeof body === 'string'
      ? Readable.from([Buffer.from(body)])
      : body instanceof Blob
        ? Readable.fromWeb(body.stream() as never)
        : Readable.from([Buffer.from(body instanceof ArrayBuffer ? new Uint8Array(body) : body)]);
  const total = typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Blob ? body.size : body.byteLength;
  let sent = 0;
  for await (const chunk of source) {
    const bytes = chunk as Buffer;
    if (!client.write(bytes)) await new Promise((done) => client.once('drain', done));
    sent += bytes.length;
    onProgress();
    request.onUploadProgress?.(sent, total);
  }
  client.end();
}
