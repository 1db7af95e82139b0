import { TranscoderError, isTranscoderError } from '../errors.js';
import { abortError } from '../transport/delay.js';
import { tryCrossTabLock, withCrossTabLock } from '../storage/cross-tab-lock.js';
import {
  abortUpload,
  openSession,
  recordIdentity,
  type MultipartSession,
  type RecordIdentity,
} from './multipart-session.js';
import { OfflineClock, isOffline, networkWait, offlineError } from './offline-wait.js';
import { completeUpload, sendParts } from './multipart-parts.js';
import { ProgressMeter } from './progress.js';
import { planPartSize } from './part-plan.js';
import { settledLater, unlessAborted, type RunContext, type UploadTarget } from './run-context.js';
import { putObject } from './simple-put.js';
import { SnapshotFeed, type UploadListener } from './snapshot-feed.js';
import { completedElsewhere, uploadLockName } from './upload-lock.js';
import { resolveUploadOptions, type MultipartUploadOptions, type UploadSettings } from './upload-options.js';
import { UploadStatus, type UploadResult, type UploadSnapshot } from './upload-types.js';

export type { UploadListener } from './snapshot-feed.js';

/**
 * Uploads one file to COS: in one `PUT` below `multipartThreshold`, else as a multipart upload with several parts
 * in flight. It can be paused, resumed and cancelled, resumes after a reload from its resume record, and checks
 * the CRC-64 of every part and of the object.
 *
 * - Progress (`snapshot.progress`) rises smoothly and never goes back, retries included.
 * - Requests go through the {@link ServiceClient}: expired credentials are renewed, the clock corrected, network
 *   errors and 5xx retried; a permanent refusal (403) fails at once and stops the other parts.
 * - Parts are `Blob.slice` views read as they are sent: memory does not grow with the file.
 * - When retries run out while the browser is offline, the upload waits for the network: it goes on at the
 *   `online` event or tries again every `offlineRecheckMs`, and fails after `offlineWaitMs` without progress.
 * - Uploads of one file to one key with a resume store take turns, across tabs (`navigator.locks`): one waits
 *   (`snapshot.waitingFor: 'other-upload'`) while the other runs, then resumes the record the other left, or, if
 *   the other completed the object, is done without sending it again. Never two multipart uploads for one record.
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
  readonly #feed: SnapshotFeed;
  #running: Promise<UploadResult> | undefined;
  #run: AbortController | undefined;
  #wake: (() => void) | undefined;
  /** A resume that came while the paused run was still stopping: the run continues as soon as it has stopped. */
  #resumeRequested = false;
  #session: MultipartSession | undefined;
  /** The InitiateMultipartUpload in flight (or answered) that no run has taken up yet: a cancel aborts its upload. */
  #initiating: Promise<MultipartSession> | undefined;
  /** Where the resume record is kept (computed once: it hashes samples of the file). */
  #identity: Promise<RecordIdentity | undefined> | undefined;
  /** The cleanup of a cancel (abort the multipart upload, forget the record), once started. */
  #cleaning: Promise<void> | undefined;
  readonly #offline = new OfflineClock();
  /** Whether another upload of the file held the lock at some point: it may have completed the object since. */
  #contended = false;
  /** The multipart upload this upload uses, known from before its session (a cancel during ListParts aborts it). */
  #target: UploadTarget | undefined;
  /** Cancels on `options.signal`; removed once the upload is over, so a long-lived signal holds nothing. */
  #onSignal: (() => void) | undefined;
  #cancelling: Promise<void> | undefined;

  /** @throws {TranscoderError} `invalid-options` when an option is invalid; nothing is sent then. */
  constructor(options: MultipartUploadOptions) {
    this.#settings = resolveUploadOptions(options);
    this.#meter = new ProgressMeter(this.#settings.file.size);
    this.#feed = new SnapshotFeed(this.#settings.progressInterval, () => this.#meter.snapshot());
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
    return this.#feed.snapshot;
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
    return this.#feed.subscribe(listener);
  }

  /**
   * Starts the upload, or starts it again after a failure (resuming what the service has). Resolves with the
   * result once the object is complete; rejects with a {@link TranscoderError} (`aborted` after a cancel).
   * While running or paused, returns the same promise.
   */
  start(): Promise<UploadResult> {
    const { status } = this.#feed.snapshot;
    if (status === UploadStatus.Cancelled) return Promise.reject(abortError(undefined, 'upload'));
    if (this.#running && status !== UploadStatus.Failed) return this.#running;
    this.#running = this.#drive();
    return this.#running;
  }

  /** Stops sending. Acknowledged parts stay on the service; in-flight parts are sent again on {@link resume}. */
  pause(): void {
    const { status } = this.#feed.snapshot;
    if (status === UploadStatus.Paused) this.#resumeRequested = false;
    if (status !== UploadStatus.Uploading) return;
    // Nothing moves while paused: the rate published with the pause is 0, not the last few seconds'.
    this.#meter.restartRate();
    this.#feed.move(UploadStatus.Paused);
    this.#run?.abort(new DOMException('Paused', 'AbortError'));
  }

  /** Continues a paused upload. */
  resume(): void {
    if (this.#feed.snapshot.status !== UploadStatus.Paused) return;
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
   * An InitiateMultipartUpload in flight is not abandoned: the cancel waits for its answer and aborts the upload it
   * made, so nothing is left behind. A paused upload whose record another upload of the file has taken over (another
   * tab, running now) leaves that multipart upload to it. Rejects with a `phase: 'cancel'` error if the service could not be told; the record is then kept and
   * `cancel()` may be called again.
   */
  cancel(): Promise<void> {
    this.#cancelling ??= this.#cancel().catch((error: unknown) => {
      this.#cancelling = undefined;
      this.#cleaning = undefined;
      throw error;
    });
    return this.#cancelling;
  }

  async #cancel(): Promise<void> {
    if (this.#feed.snapshot.status === UploadStatus.Completing) await this.#running?.catch(() => undefined);
    if (this.#feed.snapshot.status === UploadStatus.Done) return;
    this.#feed.move(UploadStatus.Cancelled);
    this.#run?.abort(new DOMException('Cancelled', 'AbortError'));
    this.#session?.hashing.abort();
    this.#wake?.();
    // A run that held the record's lock has cleaned up under it before it ended.
    await this.#running?.catch(() => undefined);
    try {
      const identity = await this.#identity?.catch(() => undefined);
      if (this.#cleaning || !identity || !this.#settings.storage || !(this.#session ?? this.#target ?? this.#initiating)) {
        await this.#cleanUp();
      } else {
        // Not running: take the record's lock to clean up, unless another upload of the file holds it. That one
        // resumed the record this one let go (a pause): the multipart upload is its now, and stays.
        await tryCrossTabLock(uploadLockName(this.#settings.storage, identity.recordId), () => this.#cleanUp());
      }
      this.#detach();
    } finally {
      this.#release();
    }
  }

  /**
   * Aborts the multipart upload this upload made or resumed (waiting for an Initiate in flight to learn its id) and
   * forgets the record. Done once per `cancel()`: a failure rejects that cancel, and a later one tries again.
   */
  #cleanUp(): Promise<void> {
    this.#cleaning ??= (async () => {
      await this.#initiating?.catch(() => undefined);
      const target = this.#session ?? this.#target;
      if (target) await abortUpload(this.#settings, target.uploadId);
      if (target?.recordId !== undefined) await this.#settings.storage?.delete(target.recordId);
    })();
    return this.#cleaning;
  }

  async #drive(): Promise<UploadResult> {
    this.#feed.move(UploadStatus.Uploading);
    this.#offline.reset();
    for (;;) {
      const controller = new AbortController();
      this.#run = controller;
      try {
        const result = await this.#runOnce(controller.signal);
        if (this.#feed.snapshot.status === UploadStatus.Cancelled) throw abortError(undefined, 'upload');
        this.#feed.move(UploadStatus.Done, { result, progress: this.#meter.finished() });
        this.#detach();
        this.#release();
        return result;
      } catch (caught) {
        let failure = caught;
        if (this.#feed.snapshot.status === UploadStatus.Uploading && isTranscoderError(caught) && caught.retryable && isOffline()) {
          // Retries ran out because the device is offline: wait for the network (bounded) instead of failing.
          const gaveUp = await this.#waitForNetwork(caught);
          if (!gaveUp && (this.#feed.snapshot.status as UploadStatus) === UploadStatus.Uploading) continue;
          failure = gaveUp ?? caught;
        }
        const status = this.#feed.snapshot.status as UploadStatus;
        if (status === UploadStatus.Paused) {
          if (!this.#resumeRequested) await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#resumeRequested = false;
          if ((this.#feed.snapshot.status as UploadStatus) === UploadStatus.Cancelled) throw abortError(undefined, 'upload');
          this.#meter.restartRate();
          this.#feed.move(UploadStatus.Uploading);
          continue;
        }
        if (status === UploadStatus.Cancelled) throw abortError(undefined, 'upload');
        const error = asTranscoderError(failure);
        if (error.code === 'integrity' && error.phase === 'complete') {
          // The upload id is spent (the service assembled a wrong object): a new start() uploads afresh.
          await this.#forgetRecord().catch(() => undefined);
          this.#session = undefined;
          this.#target = undefined;
        }
        this.#feed.move(UploadStatus.Failed, { error });
        // The next start() sends everything again: its progress starts from nothing (the failure showed the last).
        if (!this.#session && this.multipart) this.#meter = new ProgressMeter(this.#settings.file.size);
        this.#release();
        throw error;
      } finally {
        this.#run = undefined;
      }
    }
  }

  /**
   * Waits for the network after `caught` ended a run offline: until the `online` event, `offlineRecheckMs`, or a
   * pause or cancel. Returns the error to fail with once `offlineWaitMs` has passed without progress.
   */
  async #waitForNetwork(caught: TranscoderError): Promise<TranscoderError | undefined> {
    const { offlineWaitMs, offlineRecheckMs } = this.#settings;
    const left = this.#offline.left(offlineWaitMs, this.#meter.snapshot().transferredBytes);
    if (left <= 0) return offlineError(offlineWaitMs, caught);
    const controller = new AbortController();
    this.#run = controller;
    this.#feed.waiting('network');
    await networkWait(Math.min(left, offlineRecheckMs), controller.signal);
    this.#feed.waiting(undefined);
    return undefined;
  }

  async #runOnce(signal: AbortSignal): Promise<UploadResult> {
    const run: RunContext = {
      settings: this.#settings,
      meter: this.#meter,
      signal,
      progressed: () => this.#feed.progressed(),
      completing: () => this.#feed.move(UploadStatus.Completing),
      targeted: (target) => (this.#target = target),
      initiating: (pending) => {
        this.#initiating = pending;
        // An Initiate that failed made nothing: the next run initiates again.
        pending.catch(() => {
          if (this.#initiating === pending) this.#initiating = undefined;
        });
      },
    };
    if (!this.multipart) return putObject(run);
    const { storage } = this.#settings;
    const pending = (this.#identity ??= settledLater(recordIdentity(this.#settings)));
    // A file that could not be read this time may be readable on the next start().
    pending.catch(() => {
      if (this.#identity === pending) this.#identity = undefined;
    });
    const identity = await unlessAborted(pending, signal);
    if (!storage || !identity) return this.#turn(run, undefined, false);
    return withCrossTabLock(uploadLockName(storage, identity.recordId), ({ waited }) => this.#turn(run, identity, waited), {
      signal,
      onWait: () => {
        this.#contended = true;
        this.#feed.waiting('other-upload');
      },
    });
  }

  /**
   * One run of a multipart upload, holding the record's lock when there is a record: open (or take up) the
   * multipart upload, send the parts, complete, forget the record. A run that stops (pause, cancel, failure) lets
   * an Initiate in flight answer first, and a cancel cleans up, so that the next holder finds the record right.
   */
  async #turn(run: RunContext, identity: RecordIdentity | undefined, waited: boolean): Promise<UploadResult> {
    this.#feed.waiting(undefined);
    const storage = this.#settings.storage;
    try {
      if (!this.#session && this.#initiating) this.#session = await unlessAborted(this.#initiating, run.signal);
      this.#initiating = undefined;
      // A wait that a pause or a failure ended counts too: the other may have finished meanwhile.
      let otherRan = waited || this.#contended;
      let record;
      if (identity && storage) {
        record = await storage.get(identity.recordId);
        // Another upload of the file ran while this one was paused: it completed or replaced the multipart upload.
        if (this.#session && record?.uploadId !== this.#session.uploadId) {
          this.#session = undefined;
          this.#target = undefined;
          otherRan = true;
        }
      }
      if (!this.#session) {
        const partSize = record?.partSize ?? planPartSize(this.#settings.file.size, this.#settings.partSize);
        const done = !record && otherRan ? await completedElsewhere(run, partSize) : undefined;
        if (done) return done;
        this.#session = await openSession(run, identity, record);
        this.#initiating = undefined;
      }
      await sendParts(run, this.#session);
      run.completing();
      const result = await completeUpload(run, this.#session);
      // Under the lock: a waiting upload of the file must find no record, and so look for the object.
      if (identity) await (async () => storage?.delete(identity.recordId))().catch(() => undefined);
      return result;
    } catch (error) {
      await this.#initiating?.catch(() => undefined);
      if (this.#feed.snapshot.status === UploadStatus.Cancelled) await this.#cleanUp().catch(() => undefined);
      throw error;
    }
  }

  /** Forgets the resume record of this upload's multipart upload, once known. */
  async #forgetRecord(): Promise<void> {
    const id = (this.#session ?? this.#target)?.recordId;
    if (id !== undefined) await this.#settings.storage?.delete(id);
  }

  /**
   * Lets go of what the upload holds while it is not running (done, failed or cancelled): the progress timer, the
   * hasher it made (the page's CRC worker it used serves other uploads, and ends once idle).
   */
  #release(): void {
    this.#feed.stopTimer();
    if (this.#settings.ownsHasher) this.#settings.hasher?.close();
  }

  /** Stops listening to `options.signal` once the upload is over for good. */
  #detach(): void {
    if (this.#onSignal) this.#settings.signal?.removeEventListener('abort', this.#onSignal);
    this.#onSignal = undefined;
  }
}

/** Anything thrown inside the engine, as a {@link TranscoderError}. */
function asTranscoderError(caught: unknown): TranscoderError {
  if (isTranscoderError(caught)) return caught;
  return new TranscoderError('The upload failed unexpectedly', { code: 'invalid-response', phase: 'upload', cause: caught });
}
