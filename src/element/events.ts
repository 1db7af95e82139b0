// Every event <cos-transcoder> fires: one `Event` subclass each, with a readonly, exported detail type, bubbling and
// composed (they cross the shadow root), and registered in `GlobalEventHandlersEventMap` so that
// `addEventListener('cos-job-complete', (e) => e.detail.outputs)` is typed in TypeScript, React 19 and Vue 3.
// Only types come from the core here: this module is part of the first paint.
import type { TranscoderError } from '../core/errors.js';
import type { JobOutputObject, JobSource } from '../core/jobs/job-types.js';
import type { MediaInfo } from '../core/protocol/media-info.js';
import type { UploadResult } from '../core/upload/upload-types.js';

/** How far an upload or a job has come: one shape everywhere. */
export interface ProgressDetail {
  /** From 0 to 1. */
  readonly percent: number;
  /** Bytes sent so far (uploads). */
  readonly transferredBytes?: number;
  /** The file's size (uploads). */
  readonly totalBytes?: number;
}

/** What every event of the element shares: a readonly `detail`, bubbling and composed (it leaves the shadow root). */
export abstract class CosEvent<Detail> extends Event {
  readonly detail: Detail;
  constructor(type: keyof GlobalEventHandlersEventMap, detail: Detail, cancelable = false) {
    super(type, { bubbles: true, composed: true, cancelable });
    this.detail = detail;
  }
}

/** Detail of {@link CosBeforeUploadEvent}. */
export interface CosBeforeUploadDetail {
  /** The file about to be uploaded. */
  readonly file: File | Blob;
  /** The object key it will be uploaded to. */
  readonly key: string;
}

/** Fired before an upload starts; `preventDefault()` vetoes it (the file stays chosen). */
export class CosBeforeUploadEvent extends CosEvent<CosBeforeUploadDetail> {
  constructor(detail: CosBeforeUploadDetail) {
    super('cos-before-upload', detail, true);
  }
}

/** Detail of {@link CosUploadStartEvent}. */
export interface CosUploadStartDetail {
  readonly file: File | Blob;
  readonly key: string;
}

/** Fired when the upload begins (also when it resumes parts left by an earlier page). */
export class CosUploadStartEvent extends CosEvent<CosUploadStartDetail> {
  constructor(detail: CosUploadStartDetail) {
    super('cos-upload-start', detail);
  }
}

/** Detail of {@link CosUploadProgressEvent}. */
export interface CosUploadProgressDetail extends ProgressDetail {
  readonly transferredBytes: number;
  readonly totalBytes: number;
  /** Bytes per second over the last seconds (0 until measurable). */
  readonly bytesPerSecond: number;
}

/** Fired whenever more of the file has been sent. */
export class CosUploadProgressEvent extends CosEvent<CosUploadProgressDetail> {
  constructor(detail: CosUploadProgressDetail) {
    super('cos-upload-progress', detail);
  }
}

/** Detail of {@link CosUploadCompleteEvent}: the stored object. */
export interface CosUploadCompleteDetail {
  readonly result: UploadResult;
}

/** Fired once the file is stored in the bucket. */
export class CosUploadCompleteEvent extends CosEvent<CosUploadCompleteDetail> {
  constructor(detail: CosUploadCompleteDetail) {
    super('cos-upload-complete', detail);
  }
}

/** Detail of {@link CosJobSubmittedEvent}. */
export interface CosJobSubmittedDetail {
  readonly jobId: string;
  /** `Transcode` or `ExtractDigitalWatermark`. */
  readonly tag: string;
}

/** Fired when the media job exists (submitted, or found again after a reload). */
export class CosJobSubmittedEvent extends CosEvent<CosJobSubmittedDetail> {
  constructor(detail: CosJobSubmittedDetail) {
    super('cos-job-submitted', detail);
  }
}

/** Detail of {@link CosJobChangeEvent}. */
export interface CosJobChangeDetail {
  readonly jobId: string;
  /** The service's state: `Submitted`, `Running`, `Success`, `Failed`, `Pause`, `Cancel`. */
  readonly status: string;
  readonly progress: ProgressDetail;
  /** Where the change came from: the submission, a poll, or a relayed callback. */
  readonly source: JobSource;
}

/** Fired at every change of the job's state or progress. */
export class CosJobChangeEvent extends CosEvent<CosJobChangeDetail> {
  constructor(detail: CosJobChangeDetail) {
    super('cos-job-change', detail);
  }
}

/** Detail of {@link CosJobCompleteEvent}: what the job produced. */
export interface CosJobCompleteDetail {
  readonly jobId: string;
  readonly tag: string;
  /** The objects the job wrote (a transcode's output). */
  readonly outputs: readonly JobOutputObject[];
  /** Duration, resolution, codecs... of the output, when the service reported them. */
  readonly mediaInfo?: MediaInfo;
  /** The text an `ExtractDigitalWatermark` job found. */
  readonly extractedMessage?: string;
  /** The upload, when this run uploaded a file. */
  readonly upload?: UploadResult;
}

/** Fired when the job succeeded. */
export class CosJobCompleteEvent extends CosEvent<CosJobCompleteDetail> {
  constructor(detail: CosJobCompleteDetail) {
    super('cos-job-complete', detail);
  }
}

/** Detail of {@link CosJobFailedEvent}. */
export interface CosJobFailedDetail {
  readonly jobId: string;
  /** A `job-failed` error: `serviceCode` is the job's `Code`, the message quotes its `Message`. */
  readonly error: TranscoderError;
}

/** Fired when the media job ended in `Failed`. */
export class CosJobFailedEvent extends CosEvent<CosJobFailedDetail> {
  constructor(detail: CosJobFailedDetail) {
    super('cos-job-failed', detail);
  }
}

/** Detail of {@link CosCancelEvent}. */
export interface CosCancelDetail {
  /** The phase the work was in when it was cancelled. */
  readonly phase: string;
}

/** Fired when the work was cancelled (the upload aborted, or the job cancelled on the service). */
export class CosCancelEvent extends CosEvent<CosCancelDetail> {
  constructor(detail: CosCancelDetail) {
    super('cos-cancel', detail);
  }
}

/** Detail of {@link CosErrorEvent}. */
export interface CosErrorDetail {
  /** What went wrong; `code` says what kind of failure, `phase` where. */
  readonly error: TranscoderError;
}

/** Fired whenever the work fails: a bad attribute, a refused file, signing, the network, the service, the job. */
export class CosErrorEvent extends CosEvent<CosErrorDetail> {
  constructor(detail: CosErrorDetail) {
    super('cos-error', detail);
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'cos-before-upload': CosBeforeUploadEvent;
    'cos-upload-start': CosUploadStartEvent;
    'cos-upload-progress': CosUploadProgressEvent;
    'cos-upload-complete': CosUploadCompleteEvent;
    'cos-job-submitted': CosJobSubmittedEvent;
    'cos-job-change': CosJobChangeEvent;
    'cos-job-complete': CosJobCompleteEvent;
    'cos-job-failed': CosJobFailedEvent;
    'cos-cancel': CosCancelEvent;
    'cos-error': CosErrorEvent;
  }
}
