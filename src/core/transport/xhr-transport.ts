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

/**
 * Response headers from `getAllResponseHeaders()`: names lower-cased, repeated headers joined with `, `.
 * In a browser only CORS-safelisted and exposed headers appear.
 */
export function parseResponseHeaders(raw: string): Record<string, string> {
  // Without a prototype, a header named `constructor` or `__proto__` is a header like any other.
  const headers: Record<string, string> = Object.create(null);
  for (const line of raw.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

/**
 * A {@link Transport} over `XMLHttpRequest`, the only browser API that reports upload progress.
 *
 * - Aborting `request.signal` aborts the request and rejects with code `aborted`.
 * - `request.timeout` is an inactivity limit: the request fails with code `timeout` (retryable) when neither the
 *   upload nor the response made progress for that many milliseconds, however long the whole transfer takes.
 * - A connection failure or a CORS refusal (status 0) rejects with code `network` (retryable).
 * - A method, URL or header the browser refuses (`open` or `setRequestHeader` throws) rejects with code
 *   `invalid-request` (not retryable), nothing sent.
 * - Headers a browser forbids scripts to set (`host`, `content-length`...) are skipped: the browser sends them.
 * - An error's `cause` names the browser exception's type only: its message may quote a header value.
 *
 * @example
 * ```ts
 * const response = await new XhrTransport().send({ method: 'PUT', url, headers, body: file,
 *   onUploadProgress: (sent, total) => (meter.value = sent / total) });
 * ```
 */
export class XhrTransport implements Transport {
  send(request: HttpRequest): Promise<HttpResponse> {
    const { method, url, signal } = request;
    return new Promise<HttpResponse>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const xhr = new XMLHttpRequest();
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        timer.stop();
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const timer = inactivityTimer(request.timeout, () => {
        finish(() => reject(timeoutError(method, url, request.timeout!)));
        xhr.abort();
      });
      const onAbort = () => {
        finish(() => reject(abortError(signal)));
        xhr.abort();
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      xhr.onreadystatechange = () => timer.touch();
      xhr.onprogress = () => timer.touch();
      xhr.onload = () =>
        finish(() => {
          if (xhr.status === 0) {
            reject(networkError(method, url));
            return;
          }
          resolve({
            status: xhr.status,
            headers: parseResponseHeaders(xhr.getAllResponseHeaders()),
            body: typeof xhr.responseText === 'string' ? xhr.responseText : '',
          });
        });
      xhr.onerror = () => finish(() => reject(networkError(method, url)));
      // Only our own `abort()` calls reach here, and they have settled the promise already.
      xhr.onabort = () => finish(() => reject(abortError(signal)));
      try {
        xhr.open(method, url, true);
        xhr.responseType = 'text';
        for (const [name, value] of Object.entries(request.headers)) {
          if (!isForbiddenRequestHeader(name)) xhr.setRequestHeader(name, value);
        }
        // Listening on `upload` makes every request preflighted; ours are anyway (they carry `Authorization`).
        if (request.body !== undefined) {
          xhr.upload.onprogress = (event) => {
            timer.touch();
            request.onUploadProgress?.(event.loaded, event.total);
          };
        }
        xhr.send((request.body ?? null) as XMLHttpRequestBodyInit | null);
      } catch (caught) {
        // `open` and `setRequestHeader` throw synchronously for a malformed URL, method or header.
        finish(() => reject(refusedRequestError(method, url, sanitizedCause(caught, 'XMLHttpRequest'))));
        xhr.abort();
      }
    });
  }
}
