import { TranscoderError, isTranscoderError } from '../errors.js';
import { abortError } from '../transport/delay.js';
import {
  abortUpload,
  claimRecord,
  openSession,
  releaseRecord,
  type MultipartSession,
} from './multipart-session.js';
import { completeUpload, sendParts } from './multipart-parts.js';
import { ProgressMeter } from './progress.js';
import type { RunContext, UploadTarget } from './run-context.js';
import { putObject } from './simple-put.js';
import { resolveUploadOptions, type MultipartUploadOptions, type UploadSettings } from './upload-options.js';
import {
  UPLOAD_STATUS_TRANSITIONS,
  UploadStatus,
  type UploadResult,
  type UploadSnapshot,
} from './upload-types.js';

/** Receives the upload's snapshot at every change. */
export type UploadListener = (snapshot: UploadSnapshot) => void;

/**
 * Uploads one file to COS: in one `PUT` below `multipartThreshold`, else as a multipart upload with several parts
 * in flight. It can be paused, resumed and cancelled, resumes after a reload from its resume record, and checks
 * the CRC-64 of every part and of the object.
 *
 * - Progress (`snapshot.progress`) rises smoothly and never goes back, retries included.
 * - Requests go through the {@link ServiceClient}: expired credentials are renewed, the clock corrected, network
 *   errors and 5xx retried; a permanent refusal (403) fails at once and stops the other parts.
 * - Parts are `Blob.slice` views read as they are sent: memory does not grow with the file.
 * - When retries run out while the browser is offline, the upload waits for the `online` event and goes on.
 * - A failed upload keeps its resume record and server parts: `start()` again (or a new instance with the same
 *   file and key) picks it up. `cancel()` aborts the requests and the multipart upload, and forgets the record.
 *
 * @example
 * ```ts
 * const upload = new MultipartUpload({ client, file, key: `input/${file.name}` });
 * const stop = upload.subscribe(({ status, progress }) => render(status, progress.percent));
 * pauseButton.onclick = () => upload.pause();
 * const { etag, verified } = await upload.start();
 * stop();
 * ```
 */
export class MultipartUpload {
  readonly #settings: UploadSettings;
  #meter: ProgressMeter;
  readonly #listeners = new Set<UploadListener>();
  #snapshot: UploadSnapshot;
  #running: Promise<UploadResult> | undefined;
  #run: AbortController | undefined;
  #wake: (() => void) | undefined;
  /** A resume that came while the paused run was still stopping: the run continues as soon as it has stopped. */
  #resumeRequested = false;
  #session: MultipartSession | undefined;
  /** The multipart upload this upload uses, known from before its session (a cancel during ListParts aborts it). */
  #target: UploadTarget | undefined;
  /** Cancels on `options.signal`; removed once the upload is over, so a long-lived signal holds nothing. */
  #onSignal: (() => void) | undefined;
  #lastProgressAt = -Infinity;
  #progressTimer: ReturnType<typeof setTimeout> | undefined;
  #cancelling: Promise<void> | undefined;

  /** @throws {TranscoderError} `invalid-options` when an option is invalid; nothing is sent then. */
  constructor(options: MultipartUploadOptions) {
    this.#settings = resolveUploadOptions(options);
    this.#meter = new ProgressMeter(this.#settings.file.size);
    this.#snapshot = { status: UploadStatus.Idle, progress: this.#meter.snapshot() };
    const { signal } = this.#settings;
    if (signal?.aborted) {
      void this.cancel().catch(() => undefined);
    } else if (signal) {
      this.#onSignal = () => void this.cancel().catch(() => undefined);
      signal.addEventListener('abort', this.#onSignal, { once: true });
    }
  }

  /** The status, progress and outcome now. */
  get snapshot(): UploadSnapshot {
    return this.#snapshot;
  }

  /** Whether the file goes up in parts. */
  get multipart(): boolean {
    return this.#settings.file.size >= this.#settings.multipartThreshold;
  }

  /**
   * Calls `listener` with the snapshot at every change (status, progress at most every `progressInterval` ms).
   * Returns the function that unsubscribes it. At `done` or `cancelled` every listener is given that final
   * snapshot, then all listeners are dropped (`failed` is not final: the upload can be started again).
   */
  subscribe(listener: UploadListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Starts the upload, or starts it again after a failure (resuming what the service has). Resolves with the
   * result once the object is complete; rejects with a {@link TranscoderError} (`aborted` after a cancel).
   * While running or paused, returns the same promise.
   */
  start(): Promise<UploadResult> {
    const { status } = this.#snapshot;
    if (status === UploadStatus.Cancelled) return Promise.reject(abortError(undefined, 'upload'));
    if (this.#running && status !== UploadStatus.Failed) return this.#running;
    this.#running = this.#drive();
    return this.#running;
  }

  /** Stops sending. Acknowledged parts stay on the service; in-flight parts are sent again on {@link resume}. */
  pause(): void {
    const { status } = this.#snapshot;
    if (status === UploadStatus.Paused) this.#resumeRequested = false;
    if (status !== UploadStatus.Uploading) return;
    // Nothing moves while paused: the rate published with the pause is 0, not the last few seconds'.
    this.#meter.restartRate();
    this.#move(UploadStatus.Paused);
    this.#run?.abort(new DOMException('Paused', 'AbortError'));
    releaseRecord(this.#settings.storage, this.#recordId);
  }

  /** Continues a paused upload. */
  resume(): void {
    if (this.#snapshot.status !== UploadStatus.Paused) return;
    claimRecord(this.#settings.storage, this.#recordId);
    const wake = this.#wake;
    this.#wake = undefined;
    if (wake) wake();
    else this.#resumeRequested = true;
  }

  /**
   * Cancels the work on the service, resolves once that is done, and `start()` then rejects with `aborted`.
   *
   * For an upload: aborts the requests in flight, aborts the multipart upload on the service (its parts are
   * deleted) and forgets the resume record. While the object is being assembled
   * (`completing`) it is too late: the cancel waits for the outcome and, if the upload succeeded, changes nothing.
   * Rejects with a `phase: 'cancel'` error if the service could not be told; the record is then kept and
   * `cancel()` may be called again.
   */
  cancel(): Promise<void> {
    this.#cancelling ??= this.#cancel().catch((error: unknown) => {
      this.#cancelling = undefined;
      throw error;
    });
    return this.#cancelling;
  }

  async #cancel(): Promise<void> {
    if (this.#snapshot.status === UploadStatus.Completing) await this.#running?.catch(() => undefined);
    if (this.#snapshot.status === UploadStatus.Done) return;
    this.#move(UploadStatus.Cancelled);
    this.#run?.abort(new DOMException('Cancelled', 'AbortError'));
    this.#session?.hashing.abort();
    this.#wake?.();
    await this.#running?.catch(() => undefined);
    const target = this.#session ?? this.#target;
    try {
      if (target) await abortUpload(this.#settings, target.uploadId);
      if (target?.recordId !== undefined) await this.#settings.storage?.delete(target.recordId);
      this.#detach();
    } finally {
      this.#release();
    }
  }

  async #drive(): Promise<UploadResult> {
    this.#move(UploadStatus.Uploading);
    for (;;) {
      const controller = new AbortController();
      this.#run = controller;
      try {
        const result = await this.#runOnce(controller.signal);
        if (this.#snapshot.status === UploadStatus.Cancelled) throw abortError(undefined, 'upload');
        this.#move(UploadStatus.Done, { result, progress: this.#meter.finished() });
        this.#detach();
        this.#release();
        await this.#forgetRecord().catch(() => undefined);
        return result;
      } catch (caught) {
        if (this.#snapshot.status === UploadStatus.Uploading && isTranscoderError(caught) && caught.retryable && isOffline()) {
          // Retries ran out because the device is offline: wait for the network instead of failing.
          await this.#untilOnline();
          if ((this.#snapshot.status as UploadStatus) === UploadStatus.Uploading) continue;
        }
        const status = this.#snapshot.status as UploadStatus;
        if (status === UploadStatus.Paused) {
          if (!this.#resumeRequested) await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#resumeRequested = false;
          if ((this.#snapshot.status as UploadStatus) === UploadStatus.Cancelled) throw abortError(undefined, 'upload');
          this.#meter.restartRate();
          this.#move(UploadStatus.Uploading);
          continue;
        }
        if (status === UploadStatus.Cancelled) throw abortError(undefined, 'upload');
        const error = asTranscoderError(caught);
        if (error.code === 'integrity' && error.phase === 'complete') {
          // The upload id is spent (the service assembled a wrong object): a new start() uploads afresh.
          await this.#forgetRecord().catch(() => undefined);
          this.#session = undefined;
          this.#target = undefined;
        }
        this.#move(UploadStatus.Failed, { error });
        // The next start() sends everything again: its progress starts from nothing (the failure showed the last).
        if (!this.#session && this.multipart) this.#meter = new ProgressMeter(this.#settings.file.size);
        this.#release();
        throw error;
      } finally {
        this.#run = undefined;
      }
    }
  }

  /** Resolves when the browser is back online, or when a pause or cancel aborts the wait. */
  #untilOnline(): Promise<void> {
    const controller = new AbortController();
    this.#run = controller;
    return new Promise<void>((resolve) => {
      const done = () => {
        globalThis.removeEventListener('online', done);
        controller.signal.removeEventListener('abort', done);
        resolve();
      };
      globalThis.addEventListener('online', done);
      controller.signal.addEventListener('abort', done);
    });
  }

  async #runOnce(signal: AbortSignal): Promise<UploadResult> {
    const run: RunContext = {
      settings: this.#settings,
      meter: this.#meter,
      signal,
      progressed: () => this.#progressed(),
      completing: () => this.#move(UploadStatus.Completing),
      targeted: (target) => (this.#target = target),
    };
    if (!this.multipart) return putObject(run);
    this.#session = await openSession(run, this.#session);
    await sendParts(run, this.#session);
    run.completing();
    return completeUpload(run, this.#session);
  }

  /** Where this upload's resume record is kept, once known. */
  get #recordId(): string | undefined {
    return (this.#session ?? this.#target)?.recordId;
  }

  async #forgetRecord(): Promise<void> {
    const id = this.#recordId;
    if (id !== undefined) await this.#settings.storage?.delete(id);
  }

  /**
   * Lets go of what the upload holds while it is not running (done, failed or cancelled): the progress timer, the
   * hasher it made (a later `start()` starts another worker) and its claim on the resume record.
   */
  #release(): void {
    clearTimeout(this.#progressTimer);
    this.#progressTimer = undefined;
    if (this.#settings.ownsHasher) this.#settings.hasher?.close();
    releaseRecord(this.#settings.storage, this.#recordId);
  }

  /** Stops listening to `options.signal` once the upload is over for good. */
  #detach(): void {
    if (this.#onSignal) this.#settings.signal?.removeEventListener('abort', this.#onSignal);
    this.#onSignal = undefined;
  }

  #progressed(): void {
    if (this.#progressTimer !== undefined) return;
    const wait = this.#lastProgressAt + this.#settings.progressInterval - performance.now();
    if (wait <= 0) {
      this.#publishProgress();
      return;
    }
    this.#progressTimer = setTimeout(() => {
      this.#progressTimer = undefined;
      this.#publishProgress();
    }, wait);
  }

  #publishProgress(): void {
    const { status } = this.#snapshot;
    if (status !== UploadStatus.Uploading && status !== UploadStatus.Completing) return;
    this.#lastProgressAt = performance.now();
    this.#publish({ ...this.#snapshot, progress: this.#meter.snapshot() });
  }

  #move(status: UploadStatus, extra: Partial<Omit<UploadSnapshot, 'status'>> = {}): void {
    const from = this.#snapshot.status;
    if (from === status || !UPLOAD_STATUS_TRANSITIONS[from].includes(status)) return;
    this.#publish({ status, progress: extra.progress ?? this.#meter.snapshot(), ...extra });
  }

  #publish(snapshot: UploadSnapshot): void {
    this.#snapshot = snapshot;
    const listeners = [...this.#listeners];
    // `done` and `cancelled` are final (a failed upload can be started again): nothing follows, so let go.
    if (snapshot.status === UploadStatus.Done || snapshot.status === UploadStatus.Cancelled) this.#listeners.clear();
    for (const listener of listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        // A listener's bug must not break the upload; report it where uncaught errors go.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}

/** Whether a browser says it has no network (never true in Node, which has no `online` event). */
const isOffline = (): boolean =>
  typeof navigator !== 'undefined' &&
  navigator.onLine === false &&
  typeof globalThis.addEventListener === 'function';

/** Anything thrown inside the engine, as a {@link TranscoderError}. */
function asTranscoderError(caught: unknown): TranscoderError {
  if (isTranscoderError(caught)) return caught;
  return new TranscoderError('The upload failed unexpectedly', { code: 'invalid-response', phase: 'upload', cause: caught });
}
