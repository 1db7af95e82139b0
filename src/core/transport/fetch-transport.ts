import { abortError } from './delay.js';
import { isForbiddenRequestHeader } from './headers.js';
import { inactivityTimer, networkError, timeoutError } from './transport-errors.js';
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
 * A {@link Transport} over `fetch`, for Node 20+ and for small requests in browsers. It cannot report upload
 * progress (`onUploadProgress` is never called); otherwise it behaves as {@link XhrTransport}: `aborted` on the
 * signal, `timeout` after `request.timeout` ms without progress (waiting for the headers, then between body
 * chunks), `network` when no answer arrives, and forbidden headers skipped.
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
    const controller = new AbortController();
    let timedOut = false;
    const timer = inactivityTimer(request.timeout, () => {
      timedOut = true;
      controller.abort();
    });
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!isForbiddenRequestHeader(name)) headers[name] = value;
    }
    const failure = (cause: unknown) => {
      if (timedOut) return timeoutError(method, url, request.timeout ?? 0);
      if (signal?.aborted) return abortError(signal);
      return networkError(method, url, cause);
    };
    try {
      const doFetch = this.#fetch ?? globalThis.fetch;
      let response: Response;
      try {
        response = await doFetch(url, {
          method,
          headers,
          body: (request.body ?? null) as BodyInit | null,
          signal: controller.signal,
          redirect: 'follow',
        });
      } catch (cause) {
        throw failure(cause);
      }
      timer.touch();
      let body: string;
      try {
        body = await readText(response, () => timer.touch());
      } catch (cause) {
        throw failure(cause);
      }
      const responseHeaders: Record<string, string> = {};
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
