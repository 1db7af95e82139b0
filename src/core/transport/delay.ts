import { TranscoderError, type Phase } from '../errors.js';

/** The longest wait `setTimeout` honours, 2^31 - 1 ms (about 24.8 days): a longer one fires at once. */
export const MAX_DELAY_MS = 2_147_483_647;

/** Whether `value` is a wait `setTimeout` can honour: milliseconds from 0 to {@link MAX_DELAY_MS}. */
export const isDelayMs = (value: unknown): value is number =>
  typeof value === 'number' && value >= 0 && value <= MAX_DELAY_MS;

/**
 * The `aborted` {@link TranscoderError} for a signal that fired, with the signal's reason as `cause`.
 */
export function abortError(signal: AbortSignal | undefined, phase: Phase = 'request'): TranscoderError {
  return new TranscoderError('The operation was aborted', { code: 'aborted', phase, cause: signal?.reason });
}

/**
 * Waits `ms` milliseconds, at most {@link MAX_DELAY_MS}. Rejects with a {@link TranscoderError} of code `aborted`
 * as soon as `signal` aborts (at once if it already has), and clears its timer either way.
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
      Math.min(Math.max(0, ms), MAX_DELAY_MS),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
