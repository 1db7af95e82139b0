import { TranscoderError } from '../errors.js';

/** An `aborted` error for a caller that stopped waiting for a signature. */
export function signingAborted(signal: AbortSignal): TranscoderError {
  return new TranscoderError('Signing was aborted', { code: 'aborted', phase: 'sign', cause: signal.reason });
}

/**
 * One call of the host's `getAuthorization`, bounded by a timeout and awaited by one or more callers, each of which
 * may stop waiting on its own signal. When the last caller stops waiting, or the time is up, the call's own signal
 * is aborted so the host can cancel its request, and a late answer is ignored.
 *
 * A timeout or an error the host throws is `sign-failed` with `retryable: true`, as asking again may succeed; an
 * answer `accept` rejects is the host's bug, which asking again would repeat, so its error stays as `accept` threw it.
 */
export class HostCall<T> {
  readonly #controller = new AbortController();
  readonly #settled: Promise<T>;
  readonly #onSettle: () => void;
  #done = false;
  #waiting = 0;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;

  /**
   * @param invoke Calls the host with the call's signal; may throw synchronously.
   * @param accept Turns the host's answer into the result (validation, caching); runs once, only if in time.
   * @param timeout Milliseconds the host may take.
   * @param onSettle Runs once, first thing, when the call resolves, fails, times out or is abandoned.
   */
  constructor(
    invoke: (signal: AbortSignal) => unknown,
    accept: (answer: unknown) => T,
    timeout: number,
    onSettle: () => void,
  ) {
    this.#onSettle = onSettle;
    this.#settled = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Callers subscribe through `wait`; this keeps an abandoned call's rejection from being reported as unhandled.
    this.#settled.catch(() => undefined);

    const timer = setTimeout(() => {
      this.#fail(
        new TranscoderError(`getAuthorization did not answer within ${timeout} ms`, {
          code: 'sign-failed',
          phase: 'sign',
          retryable: true,
        }),
        true,
      );
    }, timeout);
    this.#settled.then(
      () => clearTimeout(timer),
      () => clearTimeout(timer),
    );

    new Promise((resolve) => resolve(invoke(this.#controller.signal))).then(
      (answer) => {
        if (this.#done) return;
        let result: T;
        try {
          result = accept(answer);
        } catch (error) {
          this.#fail(error);
          return;
        }
        this.#done = true;
        this.#onSettle();
        this.#resolve(result);
      },
      (error: unknown) => {
        // The host's own error is kept as the cause: it is the host's, and the message says nothing of it.
        this.#fail(
          new TranscoderError('getAuthorization failed; the error it threw is the cause', {
            code: 'sign-failed',
            phase: 'sign',
            retryable: true,
            cause: error,
          }),
        );
      },
    );
  }

  /** The result, or the call's error; rejects with `aborted` as soon as `signal` aborts. */
  wait(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signingAborted(signal));
    this.#waiting += 1;
    if (!signal) return this.#settled;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        reject(signingAborted(signal));
        this.#waiting -= 1;
        if (this.#waiting === 0) this.#fail(signingAborted(signal), true);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#settled.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  #fail(error: unknown, abandon = false): void {
    if (this.#done) return;
    this.#done = true;
    this.#onSettle();
    if (abandon) this.#controller.abort(error);
    this.#reject(error);
  }
}
