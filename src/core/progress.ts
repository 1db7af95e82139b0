/**
 * How far a piece of work has come: one shape for uploads and jobs, in events, snapshots and the element.
 *
 * `percent` runs from 0 to 1 (convert to 0..100 only to display it). Byte counts are present when the work is
 * measured in bytes (an upload); a job reports only its share done.
 */
export interface Progress {
  /** From 0 to 1. */
  readonly percent: number;
  /** Bytes done so far, when the work is measured in bytes. */
  readonly transferredBytes?: number;
  /** Bytes in all, when the work is measured in bytes. */
  readonly totalBytes?: number;
}
