import type { ProgressMeter } from './progress.js';
import type { UploadSettings } from './upload-options.js';

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
}

/** A promise whose rejection is handled, for work started now and awaited later (or never, after a failure). */
export function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
