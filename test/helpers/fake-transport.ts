import { TranscoderError } from '../../src/core/errors.js';
import type { HttpRequest, HttpResponse, Transport } from '../../src/core/transport/types.js';

/** A reply scripted by a test. */
export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A request the code under test sent, waiting for the test to answer it. */
export interface RecordedRequest extends HttpRequest {
  /** The decoded path, `/dir/a b.mp4`. */
  readonly path: string;
  /** The decoded query parameters, in order. */
  readonly query: Record<string, string>;
  respondWith(reply: ScriptedReply): void;
  /** Fails the request as a transport would: `network` or `timeout` (retryable), or any error. */
  fail(error: 'network' | 'timeout' | unknown): void;
}

function decodeQuery(search: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const part of search.replace(/^\?/, '').split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    query[name] = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
  }
  return query;
}

/**
 * A scripted {@link Transport}, after tus's `TestHttpStack`: each `send` is recorded and waits until the test
 * answers it, so a test reads as a protocol transcript.
 *
 * ```ts
 * const req = await transport.nextRequest();
 * expect(req.method).to.equal('PUT');
 * req.respondWith({ status: 200, headers: { etag: '"abc"' } });
 * ```
 */
export class FakeTransport implements Transport {
  /** Every request sent so far, answered or not. */
  readonly requests: RecordedRequest[] = [];
  readonly #unclaimed: RecordedRequest[] = [];
  readonly #waiters: ((request: RecordedRequest) => void)[] = [];

  send(request: HttpRequest): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) throw new Error('FakeTransport: this request was already answered');
        settled = true;
        request.signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const onAbort = () =>
        settle(() =>
          reject(new TranscoderError('aborted', { code: 'aborted', phase: 'request', cause: request.signal?.reason })),
        );
      if (request.signal?.aborted) {
        onAbort();
        return;
      }
      request.signal?.addEventListener('abort', onAbort, { once: true });
      const url = new URL(request.url);
      const recorded: RecordedRequest = {
        ...request,
        headers: { ...request.headers },
        path: decodeURIComponent(url.pathname),
        query: decodeQuery(url.search),
        respondWith: (reply) =>
          settle(() => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(reply.headers ?? {})) headers[name.toLowerCase()] = value;
            resolve({ status: reply.status, headers, body: reply.body ?? '' });
          }),
        fail: (error) =>
          settle(() => {
            if (error === 'network' || error === 'timeout') {
              const init = { code: error, phase: 'request', retryable: true } as const;
              reject(new TranscoderError(`scripted ${error} failure`, init));
            } else {
              reject(error);
            }
          }),
      };
      this.requests.push(recorded);
      const waiter = this.#waiters.shift();
      if (waiter) waiter(recorded);
      else this.#unclaimed.push(recorded);
    });
  }

  /** The next request sent (in order), waiting up to `timeout` ms for it. */
  nextRequest(timeout = 1000): Promise<RecordedRequest> {
    const ready = this.#unclaimed.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`FakeTransport: no request within ${timeout} ms`));
      }, timeout);
      const waiter = (request: RecordedRequest) => {
        clearTimeout(timer);
        resolve(request);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Requests sent but not yet taken with {@link nextRequest}. */
  get unclaimed(): number {
    return this.#unclaimed.length;
  }
}
