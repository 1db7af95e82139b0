import type { TranscoderError } from '../errors.js';
import type { UploadProgress } from './progress.js';

/**
 * Where an upload is. String values, usable as CSS `:state()` names and in logs.
 *
 * `idle` → `uploading` ⇄ `paused`; `uploading` → `completing` → `done`; `idle`, `uploading`, `paused` and `failed` →
 * `cancelled` (a `completing` upload is past cancelling);
 * `uploading` / `completing` → `failed` → `uploading` (when started again).
 */
export const UploadStatus = {
  Idle: 'idle',
  Uploading: 'uploading',
  Paused: 'paused',
  Completing: 'completing',
  Done: 'done',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
/** One of {@link UploadStatus}. */
export type UploadStatus = (typeof UploadStatus)[keyof typeof UploadStatus];

/** The statuses each status may move to; the upload never makes any other move. */
export const UPLOAD_STATUS_TRANSITIONS: Readonly<Record<UploadStatus, readonly UploadStatus[]>> = Object.freeze({
  idle: ['uploading', 'cancelled'],
  uploading: ['paused', 'completing', 'done', 'failed', 'cancelled'],
  paused: ['uploading', 'done', 'cancelled'],
  completing: ['done', 'failed'],
  done: [],
  failed: ['uploading', 'cancelled'],
  cancelled: [],
});

/** What an upload made. */
export interface UploadResult {
  bucket: string;
  region: string;
  key: string;
  /** The object's URL (unsigned). */
  location: string;
  /** Bytes stored. */
  size: number;
  /** The object's `ETag`, quotes included: the MD5 for a simple upload, `"<hex>-<parts>"` for a multipart one. */
  etag: string;
  /** CRC-64/XZ of the bytes, in decimal, as computed on this side; `undefined` when `verify` is off. */
  crc64?: string;
  /**
   * Whether the service's `x-cos-hash-crc64ecma` for the object was compared with {@link crc64} and matched
   * (a mismatch is an error). `false` when `verify` is off or the header was not readable (CORS `ExposeHeader`).
   */
  verified: boolean;
  /**
   * Where the CRC-64 was computed: `worker` (off the main thread), `main-thread` (no `Worker`, as in Node, or the
   * worker was refused, for example by a Content-Security-Policy without `blob:` in `worker-src`, or failed), or
   * `off` when `verify` is off.
   */
  hashing: 'worker' | 'main-thread' | 'off';
  /** Whether the file went up in parts. */
  multipart: boolean;
  /** The multipart upload's id. */
  uploadId?: string;
  /** Parts found already on the server when the upload resumed (0 for a fresh upload). */
  resumedParts: number;
}

/** Everything a subscriber learns at each change. */
export interface UploadSnapshot {
  readonly status: UploadStatus;
  readonly progress: UploadProgress;
  /** The failure, while `status` is `failed`. */
  readonly error?: TranscoderError;
  /** The outcome, once `status` is `done`. */
  readonly result?: UploadResult;
  /**
   * While `uploading` but not sending: `other-upload` while another upload of the same file to the same key (in
   * this tab or another) runs, which this one then resumes or finds complete; `network` while the browser says it
   * is offline and the upload waits for the network (see `offlineWaitMs`).
   */
  readonly waitingFor?: 'other-upload' | 'network';
}
