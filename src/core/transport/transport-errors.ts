import { TranscoderError } from '../errors.js';
import { MAX_DELAY_MS } from './delay.js';
import { urlWithoutQuery } from './endpoint.js';

/** `METHOD url-without-query`, for messages. */
export function describeRequest(method: string, url: string): string {
  return `${method.toUpperCase()} ${urlWithoutQuery(url)}`;
}

/**
 * A stand-in for an exception thrown by `XMLHttpRequest` or `fetch`, naming only its type and where it came from
 * (`TypeError from fetch`). The original's message may quote a header value, an `Authorization` or a session token
 * (Chrome's `setRequestHeader` error does), and a `cause` ends up in logs and error reporters.
 */
export function sanitizedCause(caught: unknown, source: string): Error {
  const name = (caught as { name?: unknown } | null)?.name;
  const type = typeof name === 'string' && /^[A-Za-z]\w{0,39}$/.test(name) ? name : 'Error';
  return new Error(`${type} from ${source}`);
}

/**
 * The `network` error for a request that got no HTTP answer. Retryable. `cause` is used as is: pass a
 * {@link sanitizedCause}.
 */
export function networkError(method: string, url: string, cause?: Error): TranscoderError {
  return new TranscoderError(
    `Network error: ${describeRequest(method, url)} got no response (connection failed, or blocked by CORS)`,
    { code: 'network', phase: 'request', retryable: true, ...(cause ? { cause } : {}) },
  );
}

/**
 * The `invalid-request` error for a request the runtime refused to send (`open`, `setRequestHeader` or the `fetch`
 * arguments threw): a malformed method, URL or header. Not retryable: it would be refused again. `cause` is used as
 * is: pass a {@link sanitizedCause}.
 */
export function refusedRequestError(method: string, url: string, cause: Error): TranscoderError {
  return new TranscoderError(
    `Invalid request: ${describeRequest(method, url)} was refused before sending (a malformed method, URL or header)`,
    { code: 'invalid-request', phase: 'request', cause },
  );
}

/**
 * The `timeout` error for a request that made no progress for `timeout` ms, or, with `beforeHeaders`, whose
 * response headers did not arrive within `timeout` ms of sending (upload included). Retryable.
 */
export function timeoutError(method: string, url: string, timeout: number, beforeHeaders = false): TranscoderError {
  const what = beforeHeaders
    ? `got no response headers within ${timeout} ms of sending (the body upload included)`
    : `made no progress for ${timeout} ms`;
  return new TranscoderError(`Timeout: ${describeRequest(method, url)} ${what}`, {
    code: 'timeout',
    phase: 'request',
    retryable: true,
  });
}

/**
 * Calls `onTimeout` once `timeout` ms pass without a call to `touch()`. A `timeout` of 0 or less, or none, never
 * fires; one above {@link MAX_DELAY_MS} is capped to it. After `stop()`, `touch()` does nothing.
 */
export function inactivityTimer(
  timeout: number | undefined,
  onTimeout: () => void,
): { touch(): void; stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = timeout === undefined || !(timeout > 0);
  const ms = Math.min(timeout ?? 0, MAX_DELAY_MS);
  const touch = () => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(onTimeout, ms);
  };
  touch();
  return {
    touch,
    stop: () => {
      // Events that arrive after the request settled (XHR fires `readystatechange` from `abort()`) must not
      // start a new timer.
      stopped = true;
      clearTimeout(timer);
    },
  };
}
