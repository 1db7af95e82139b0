/**
 * What an upload does when its retries run out while the browser says it is offline: it waits for the network,
 * trying again on its own every `offlineRecheckMs` (a browser's `onLine` can stay `false` on a working network, and
 * the `online` event can fail to come), and gives up after `offlineWaitMs` without progress.
 *
 * @module
 */

import { TranscoderError } from '../errors.js';

/** How long an upload waits for the network, without progress, before it fails: 5 minutes. */
export const DEFAULT_OFFLINE_WAIT_MS = 5 * 60_000;
/** How often an upload waiting for the network tries again without the `online` event: every 10 seconds. */
export const DEFAULT_OFFLINE_RECHECK_MS = 10_000;

/** Whether a browser says it has no network (never true in Node, which has no `online` event). */
export const isOffline = (): boolean =>
  typeof navigator !== 'undefined' &&
  navigator.onLine === false &&
  typeof globalThis.addEventListener === 'function';

/** Resolves on the `online` event, after `ms`, or when `signal` aborts, whichever comes first. */
export function networkWait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      globalThis.removeEventListener('online', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    globalThis.addEventListener('online', done);
    signal.addEventListener('abort', done);
    if (signal.aborted) done();
  });
}

/** The failure of an upload whose device stayed offline for `waitedMs`; `cause` is the last attempt's error. */
export function offlineError(waitedMs: number, cause: TranscoderError): TranscoderError {
  const seconds = Math.round(waitedMs / 1000);
  return new TranscoderError(
    `The upload stopped: the device stayed offline for ${seconds} s (the browser reports no network and every ` +
      `attempt failed); start it again once the network is back`,
    { code: 'network', phase: cause.phase, retryable: true, attempts: cause.attempts, cause },
  );
}

/** Tracks how long an upload has been waiting for the network without progress. */
export class OfflineClock {
  #since: number | undefined;
  #moved = 0;

  /**
   * Milliseconds left to wait, counted from the first failure offline or from the last one after which bytes had
   * moved (`transferred` grew): 0 or less means give up.
   */
  left(limitMs: number, transferred: number): number {
    const now = performance.now();
    if (this.#since === undefined || transferred > this.#moved) {
      this.#since = now;
      this.#moved = transferred;
    }
    return this.#since + limitMs - now;
  }

  /** The network came back or the upload ended: the next wait counts afresh. */
  reset(): void {
    this.#since = undefined;
  }
}
