import { TranscoderError } from '../errors.js';
import { urlWithoutQuery } from './endpoint.js';

/** `METHOD url-without-query`, for messages. */
export function describeRequest(method: string, url: string): string {
  return `${method.toUpperCase()} ${urlWithoutQuery(url)}`;
}

/** The `network` error for a request that got no HTTP answer. Retryable. */
export function networkError(method: string, url: string, cause?: unknown): TranscoderError {
  return new TranscoderError(
    `Network error: ${describeRequest(method, url)} got no response (connection failed, or blocked by CORS)`,
    { code: 'network', phase: 'request', retryable: true, cause },
  );
}

/** The `timeout` error for a request that made no progress for `timeout` ms. Retryable. */
export function timeoutError(method: string, url: string, timeout: number): TranscoderError {
  return new TranscoderError(`Timeout: ${describeRequest(method, url)} made no progress for ${timeout} ms`, {
    code: 'timeout',
    phase: 'request',
    retryable: true,
  });
}

/**
 * Calls `onTimeout` once `timeout` ms pass without a call to `touch()`. A `timeout` of 0 or less, or none, never
 * fires.
 */
export function inactivityTimer(
  timeout: number | undefined,
  onTimeout: () => void,
): { touch(): void; stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const enabled = timeout !== undefined && Number.isFinite(timeout) && timeout > 0;
  const touch = () => {
    if (!enabled) return;
    clearTimeout(timer);
    timer = setTimeout(onTimeout, timeout);
  };
  touch();
  return { touch, stop: () => clearTimeout(timer) };
}
