import { abortError } from './delay.js';
import { isForbiddenRequestHeader } from './headers.js';
import {
  inactivityTimer,
  networkError,
  refusedRequestError,
  sanitizedCause,
  timeoutError,
} from './transport-errors.js';
import type { HttpRequest, HttpResponse, Transport } from './types.js';

/** Options of {@link FetchTransport}. */
export interface FetchTransportOptions {
  /**
   * The `fetch` to use, for example one that adds a proxy agent in Node.
   *
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
}

/**
 * A {@link Transport} over `fetch`, for Node 20+ and for small requests in browsers. `fetch` reports no upload
 * progress, so `onUploadProgress` is never called and `request.timeout` cannot tell a slow upload from a stalled
 * one:
 *
 * - `request.timeout` limits the wait from sending until the response headers arrive, which for a request with a
 *   body includes the whole upload: a body that takes longer than `timeout` to upload fails with `timeout` even
 *   while it is moving. Then it limits each wait between chunks of the response body. For large bodies use
 *   {@link XhrTransport} (browsers), or a `timeout` that covers the slowest upload expected.
 * - Aborting `request.signal` rejects with `aborted`; no answer rejects with `network` (retryable); a method, URL or
 *   header `fetch` refuses rejects with `invalid-request` (not retryable), nothing sent.
 * - Headers a browser forbids scripts to set are skipped.
 * - An error's `cause` names the `fetch` exception's type only: its message may quote a header value.
 *
 * @example
 * ```ts
 * const client = new ServiceClient({ transport: new FetchTransport(), authorizer, bucket, region });
 * ```
 */
export class FetchTransport implements Transport {
  readonly #fetch: typeof fetch | undefined;

  constructor(options: FetchTransportOptions = {}) {
    this.#fetch = options.fetch;
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const { method, url, signal } = request;
    if (signal?.aborted) throw abortError(signal);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!isForbiddenRequestHeader(name)) headers[name] = value;
    }
    const refused = (caught: unknown) => refusedRequestError(method, url, sanitizedCause(caught, 'fetch'));
    try {
      // `fetch` rejects a malformed method, URL or header asynchronously, with the same `TypeError` as a network
      // failure; building a `Request` first tells them apart.
      new Request(url, { method, headers });
    } catch (caught) {
      throw refused(caught);
    }

    const controller = new AbortController();
    let timedOut = false;
    let gotHeaders = false;
    const timer = inactivityTimer(request.timeout, () => {
      timedOut = true;
      controller.abort();
    });
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const failure = (caught: unknown) => {
      if (timedOut) {
        return timeoutError(method, url, request.timeout ?? 0, !gotHeaders && request.body !== undefined);
      }
      if (signal?.aborted) return abortError(signal);
      return networkError(method, url, sanitizedCause(caught, 'fetch'));
    };
    try {
      const doFetch = this.#fetch ?? globalThis.fetch;
      let pending: Promise<Response>;
      try {
        pending = doFetch(url, {
          method,
          headers,
          body: (request.body ?? null) as BodyInit | null,
          signal: controller.signal,
          redirect: 'follow',
        });
      } catch (caught) {
        throw refused(caught);
      }
      let response: Response;
      try {
        response = await pending;
      } catch (caught) {
        throw failure(caught);
      }
      gotHeaders = true;
      timer.touch();
      let body: string;
      try {
        body = await readText(response, () => timer.touch());
      } catch (caught) {
        throw failure(caught);
      }
      // Without a prototype, a header named `constructor` or `__proto__` is a header like any other.
      const responseHeaders: Record<string, string> = Object.create(null);
      response.headers.forEach((value, name) => {
        responseHeaders[name.toLowerCase()] = value;
      });
      return { status: response.status, headers: responseHeaders, body };
    } finally {
      timer.stop();
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

async function readText(response: Response, onChunk: () => void): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onChunk();
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
