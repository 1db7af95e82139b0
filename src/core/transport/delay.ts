import { TranscoderError, type Phase } from '../errors.js';

/**
 * The `aborted` {@link TranscoderError} for a signal that fired, with the signal's reason as `cause`.
 */
export function abortError(signal: AbortSignal | undefined, phase: Phase = 'request'): TranscoderError {
  return new TranscoderError('The operation was aborted', { code: 'aborted', phase, cause: signal?.reason });
}

/**
 * Waits `ms` milliseconds. Rejects with a {@link TranscoderError} of code `aborted` as soon as `signal` aborts
 * (at once if it already has), and clears its timer either way.
 *
 * @example
 * ```ts
 * await delay(500, controller.signal);
 * ```
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
