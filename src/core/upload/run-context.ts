import { abortError } from '../transport/delay.js';
import type { MultipartSession } from './multipart-session.js';
import type { ProgressMeter } from './progress.js';
import type { UploadSettings } from './upload-options.js';

/** A multipart upload the service knows, and where its resume record is kept. */
export interface UploadTarget {
  readonly uploadId: string;
  readonly recordId: string | undefined;
}

/** What one run of an upload (from a start or a resume until it ends or pauses) works with. */
export interface RunContext {
  readonly settings: UploadSettings;
  readonly meter: ProgressMeter;
  /** Aborted when the run must stop: a pause, a cancel, or another part failing for good. */
  readonly signal: AbortSignal;
  /** Tells the upload that progress moved. */
  readonly progressed: () => void;
  /** Tells the upload that the parts are all sent and the object is being assembled. */
  readonly completing: () => void;
  /** Tells the upload which multipart upload it is about to use, so that a cancel can abort it from then on. */
  readonly targeted: (target: UploadTarget) => void;
  /**
   * Hands the upload an InitiateMultipartUpload in flight, which a pause or a cancel does not abort: the next run
   * goes on with its session, a cancel aborts the upload it made.
   */
  readonly initiating: (pending: Promise<MultipartSession>) => void;
}

/** A promise whose rejection is handled, for work started now and awaited later (or never, after a failure). */
export function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** `promise`, or an `aborted` rejection as soon as `signal` aborts (the work behind `promise` goes on). */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal, 'upload'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, 'upload'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
