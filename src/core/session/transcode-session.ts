import { TranscoderError, isTranscoderError, type Phase } from '../errors.js';
import { isFreshJobRecord, jobRequestFingerprint } from '../jobs/job-records.js';
import { JobTracker } from '../jobs/job-tracker.js';
import type { JobSnapshot, SubmittedJob } from '../jobs/job-types.js';
import { submitJob } from '../jobs/submit-job.js';
import { buildJobRequest } from '../protocol/job-request.js';
import { JobState, isTerminalJobState } from '../protocol/job-state.js';
import { abortError } from '../transport/delay.js';
import type { ServiceClient } from '../transport/service-client.js';
import { MultipartUpload } from '../upload/multipart-upload.js';
import type { UploadResult } from '../upload/upload-types.js';
import { headInputObject, requireInputObject } from './input-object.js';
import { resolveSessionOptions, type SessionSettings } from './session-options.js';
import { SESSION_PHASE_TRANSITIONS, SessionPhase, isFinalSessionPhase, type WorkingPhase } from './session-phase.js';
import { presignObjectUrl } from './session-presign.js';
import type {
  PresignOptions,
  PresignTarget,
  SessionListener,
  SessionResult,
  SessionSnapshot,
  TranscodeSession,
  TranscodeSessionOptions,
} from './session-types.js';

/** Where a run of the session starts: from nothing, or at the step a retry resumes. */
type Step = 'begin' | 'upload' | 'submit' | 'follow';

/** The error phase of the work a session does in each of its phases. */
const ERROR_PHASE: Readonly<Record<SessionPhase, Phase>> = {
  idle: 'options',
  uploading: 'upload',
  submitting: 'submit',
  processing: 'track',
  done: 'track',
  failed: 'options',
  cancelled: 'options',
};

const asTranscoderError = (caught: unknown, phase: Phase): TranscoderError =>
  isTranscoderError(caught)
    ? caught
    : new TranscoderError('The session failed unexpectedly', { code: 'invalid-response', phase, cause: caught });

/** Whether a tracking failure says the service does not know the job (it will never end: submit again). */
const isUnknownJob = (error: TranscoderError): boolean =>
  error.code === 'service' && error.phase === 'track' && error.status === undefined;

/** The session; see {@link createTranscodeSession}. */
class Session implements TranscodeSession {
  readonly client: ServiceClient;
  readonly #settings: SessionSettings;
  readonly #listeners = new Set<SessionListener>();
  readonly #upload: MultipartUpload | undefined;
  #snapshot: SessionSnapshot;
  #running: Promise<SessionResult> | undefined;
  #uploadResult: UploadResult | undefined;
  #submitted: SubmittedJob | undefined;
  #tracker: JobTracker | undefined;
  /** Aborts the `HEAD`s and the submission of the current run. */
  #work: AbortController | undefined;
  /** After a failure while processing: whether `retry()` submits a new job (else it follows the same one again). */
  #resubmit = false;
  #cancelRequested = false;
  #cancelling: Promise<void> | undefined;
  /** Whether the last cancel could not tell the service: a new `cancel()` tries again. */
  #cleanupFailed = false;
  #onSignal: (() => void) | undefined;

  constructor(options: TranscodeSessionOptions) {
    const settings = resolveSessionOptions(options);
    this.#settings = settings;
    this.client = settings.client;
    const { file, key, stores } = settings;
    if (file) {
      const storage = stores?.uploads ?? false;
      this.#upload = new MultipartUpload({ ...options.upload, client: this.client, file, key, storage });
      this.#upload.subscribe((upload) => this.#set({ upload }));
    }
    this.#snapshot = { phase: SessionPhase.Idle, key, ...(file ? { file: describeFile(file) } : {}) };
    const { signal } = options;
    if (signal?.aborted) {
      void this.cancel().catch(() => undefined);
    } else if (signal) {
      this.#onSignal = () => void this.cancel().catch(() => undefined);
      signal.addEventListener('abort', this.#onSignal, { once: true });
    }
  }

  get snapshot(): SessionSnapshot {
    return this.#snapshot;
  }

  subscribe(listener: SessionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): Promise<SessionResult> {
    const { phase, result } = this.#snapshot;
    if (phase === SessionPhase.Cancelled || this.#cancelRequested) return Promise.reject(this.#aborted());
    if (phase === SessionPhase.Done && result) return Promise.resolve(result);
    if (phase === SessionPhase.Failed) return this.retry();
    this.#running ??= this.#run('begin');
    return this.#running;
  }

  retry(): Promise<SessionResult> {
    const { phase, failedPhase } = this.#snapshot;
    if (phase !== SessionPhase.Failed || this.#cancelRequested) return this.start();
    const step: Step =
      failedPhase === 'uploading' ? 'upload' : failedPhase === 'submitting' || this.#resubmit ? 'submit' : 'follow';
    this.#running = this.#run(step);
    return this.#running;
  }

  pause(): void {
    if (this.#snapshot.phase === SessionPhase.Uploading) this.#upload?.pause();
  }

  resume(): void {
    if (this.#snapshot.phase === SessionPhase.Uploading) this.#upload?.resume();
  }

  cancel(): Promise<void> {
    this.#cancelling ??= this.#cancel().catch((error: unknown) => {
      // The service could not be told (the upload's abort, the job's cancel): cancel() may be called again.
      this.#cancelling = undefined;
      this.#cleanupFailed = true;
      throw error;
    });
    return this.#cancelling;
  }

  deliver(body: unknown): boolean {
    return this.#tracker?.deliver(body) ?? false;
  }

  presignObjectUrl(object: PresignTarget, options: PresignOptions = {}): Promise<string> {
    return presignObjectUrl(this.#settings, object, options);
  }

  async #cancel(): Promise<void> {
    const { phase } = this.#snapshot;
    if (phase === SessionPhase.Done || (phase === SessionPhase.Cancelled && !this.#cleanupFailed)) return;
    this.#cleanupFailed = false;
    this.#cancelRequested = true;
    this.#work?.abort(new DOMException('Cancelled', 'AbortError'));
    const upload = this.#upload?.snapshot.status === 'done' ? undefined : this.#upload;
    const tracker = this.#tracker;
    let failure: unknown;
    try {
      await upload?.cancel();
      if (tracker) await this.#stopJob(tracker);
    } catch (error) {
      failure = error;
    }
    await this.#running?.catch(() => undefined);
    this.#move(SessionPhase.Cancelled);
    if (this.#onSignal) this.#settings.options.signal?.removeEventListener('abort', this.#onSignal);
    if (failure !== undefined) throw failure;
  }

  /**
   * Lets go of a job the session no longer wants: cancels it while it is still `Submitted` (CI refuses to cancel a
   * job that has started; such a job runs on), stops following it, and forgets its record, so that a new session
   * with the same inputs submits afresh. A cancel that failed for another reason than a refusal is thrown.
   */
  async #stopJob(tracker: JobTracker): Promise<void> {
    let failure: unknown;
    if (tracker.snapshot.status === JobState.Submitted) {
      await tracker.cancel().catch((error: unknown) => {
        const { status } = isTranscoderError(error) && error.code === 'service' ? error : { status: undefined };
        const refused = status !== undefined && status < 500;
        if (!refused) failure = error;
      });
    }
    tracker.stop();
    this.#submitted?.release();
    if (failure !== undefined) throw failure;
  }

  async #run(step: Step): Promise<SessionResult> {
    const work = new AbortController();
    this.#work = work;
    try {
      let next = step === 'begin' ? await this.#begin(work.signal) : step;
      if (next === 'upload') {
        await this.#uploadPhase();
        next = 'submit';
      }
      if (next === 'submit') await this.#submitPhase(work.signal);
      else if (next === 'follow') this.#followAgain();
      return await this.#processingPhase();
    } catch (caught) {
      throw this.#fail(caught);
    }
  }

  /**
   * The first step: with no file, submitting (the object is at `key`); with a file, uploading, unless the job of an
   * earlier page (a record of the same request, younger than 24 hours) is found and the object at `key` has the
   * file's size: the upload is then done, and the submission re-attaches to that job.
   */
  async #begin(signal: AbortSignal): Promise<Step> {
    const { file, stores, client, key } = this.#settings;
    if (!file || !stores) return file ? 'upload' : 'submit';
    const record = await Promise.resolve(stores.jobs.get(this.#jobRecordId)).catch(() => undefined);
    if (!record || record.inputObject !== key || !isFreshJobRecord(record, client.clock.now())) return 'upload';
    const found = await headInputObject(client, key, signal).catch(() => undefined);
    this.#checkCancelled();
    return found?.size === file.size ? 'submit' : 'upload';
  }

  async #uploadPhase(): Promise<void> {
    this.#enter(SessionPhase.Uploading);
    this.#uploadResult = await this.#upload!.start();
    this.#checkCancelled();
    // The object at `key` was just written: a job an earlier page submitted with this request read other bytes,
    // and its record must not make submitJob follow that job instead of submitting one for this file.
    const { stores } = this.#settings;
    if (stores) await Promise.resolve(stores.jobs.delete(this.#jobRecordId)).catch(() => undefined);
  }

  /** The id of the job record of the session's request. */
  get #jobRecordId(): string {
    const { client, request } = this.#settings;
    return jobRequestFingerprint(client.bucket, client.region, buildJobRequest(request));
  }

  async #submitPhase(signal: AbortSignal): Promise<void> {
    this.#enter(SessionPhase.Submitting);
    const { client, key, file, request, stores, options } = this.#settings;
    this.#tracker = undefined;
    this.#submitted = undefined;
    if (!file) await requireInputObject(client, key, signal);
    const submitted = await submitJob(client, request, {
      signal,
      records: stores?.jobs ?? false,
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
    this.#submitted = submitted;
    const tracker = this.#track(submitted);
    this.#set({ job: tracker.snapshot, jobOrigin: submitted.origin });
    if (this.#cancelRequested) {
      await this.#stopJob(tracker);
      throw this.#aborted();
    }
  }

  /** Follows the job of a failed tracking again, from its last known report. */
  #followAgain(): void {
    const submitted = this.#submitted!;
    const detail = this.#tracker?.snapshot.detail ?? submitted.job;
    this.#enter(SessionPhase.Processing);
    this.#track({ ...submitted, job: detail });
  }

  #track(submitted: SubmittedJob): JobTracker {
    const { client, options } = this.#settings;
    const tracker = new JobTracker({
      client,
      job: submitted,
      ...(options.relay ? { relay: options.relay } : {}),
      ...(options.poll ? { poll: options.poll } : {}),
      ...options.tracker,
    });
    tracker.subscribe((job) => this.#set({ job }));
    this.#tracker = tracker;
    return tracker;
  }

  async #processingPhase(): Promise<SessionResult> {
    const tracker = this.#tracker!;
    this.#enter(SessionPhase.Processing, { job: tracker.snapshot });
    let job: JobSnapshot;
    try {
      job = await tracker.start();
    } catch (error) {
      this.#checkCancelled();
      const failed = asTranscoderError(error, 'track');
      this.#resubmit = isTerminalJobState(tracker.snapshot.status) || isUnknownJob(failed);
      throw failed;
    }
    this.#checkCancelled();
    const { results } = job;
    const result: SessionResult = {
      job,
      outputs: results.outputs,
      ...(this.#uploadResult ? { upload: this.#uploadResult } : {}),
      ...(results.mediaInfo ? { mediaInfo: results.mediaInfo } : {}),
      ...(results.extractedMessage === undefined ? {} : { extractedMessage: results.extractedMessage }),
    };
    this.#move(SessionPhase.Done, { job, result });
    if (this.#onSignal) this.#settings.options.signal?.removeEventListener('abort', this.#onSignal);
    return result;
  }

  /** The session failed in its current phase: `failed`, with the error and the phase `retry()` resumes. */
  #fail(caught: unknown): TranscoderError {
    const { phase } = this.#snapshot;
    if (this.#cancelRequested) return isTranscoderError(caught) && caught.code === 'aborted' ? caught : this.#aborted();
    const error = asTranscoderError(caught, ERROR_PHASE[phase]);
    if (phase === SessionPhase.Uploading || phase === SessionPhase.Submitting || phase === SessionPhase.Processing) {
      this.#move(SessionPhase.Failed, { error, failedPhase: phase satisfies WorkingPhase });
    } else {
      this.#running = undefined;
    }
    return error;
  }

  #aborted(): TranscoderError {
    return abortError(this.#settings.options.signal, this.#settings.file ? 'upload' : 'submit');
  }

  #checkCancelled(): void {
    if (this.#cancelRequested) throw this.#aborted();
  }

  /** Moves to a working phase, or throws `aborted` when the session is being cancelled. */
  #enter(phase: WorkingPhase, extra: Partial<SessionSnapshot> = {}): void {
    this.#checkCancelled();
    this.#move(phase, extra);
  }

  /**
   * Moves to `phase` when the table allows it, dropping the outcome of the phase left (`error`, `failedPhase`,
   * `result`). At `done` and `cancelled`, listeners get the final snapshot, then all are dropped.
   */
  #move(phase: SessionPhase, extra: Partial<SessionSnapshot> = {}): void {
    const from = this.#snapshot.phase;
    if (from === phase || !SESSION_PHASE_TRANSITIONS[from].includes(phase)) return;
    const { error: _error, failedPhase: _failedPhase, result: _result, ...kept } = this.#snapshot;
    this.#publish({ ...kept, ...extra, phase });
    if (isFinalSessionPhase(phase)) this.#listeners.clear();
  }

  /** Publishes a change within the phase (the upload's or the job's snapshot). */
  #set(changes: Partial<SessionSnapshot>): void {
    const current = this.#snapshot as unknown as Record<string, unknown>;
    if (Object.entries(changes).every(([name, value]) => current[name] === value)) return;
    if (isFinalSessionPhase(this.#snapshot.phase)) {
      this.#snapshot = { ...this.#snapshot, ...changes };
      return;
    }
    this.#publish({ ...this.#snapshot, ...changes });
  }

  #publish(snapshot: SessionSnapshot): void {
    this.#snapshot = snapshot;
    for (const listener of [...this.#listeners]) {
      try {
        listener(snapshot);
      } catch (error) {
        // A listener's bug must not break the session; report it where uncaught errors go.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}

/** What a snapshot says of a file: its name when it is a `File`, its size and type. */
function describeFile(file: Blob): { name?: string; size: number; type: string } {
  const { name } = file as Partial<File>;
  return { ...(typeof name === 'string' ? { name } : {}), size: file.size, type: file.type };
}

/**
 * Makes a session that runs the whole pipeline: upload the file to `key` (resumable, pausable), submit the job on
 * it without ever creating it twice, and follow it (polls, plus relayed callbacks) to its end; or, without a file,
 * check that the object is at `key` and transcode it. Nothing is sent before {@link TranscodeSession.start}.
 *
 * A session made with the same inputs as one of an earlier page load (same bucket, region, key and job; the same
 * file, when there is one) picks up its work: the half-done upload resumes from its record, and a job submitted and
 * not seen to end is followed again (`jobOrigin: 'reattached'`) instead of being submitted a second time.
 * {@link listSessions} lists that work.
 *
 * @throws {TranscoderError} `invalid-options` naming the first bad option (the job included); nothing is sent then.
 *
 * @example
 * ```ts
 * const session = createTranscodeSession({
 *   bucket: 'examplebucket-1250000000', region: 'ap-guangzhou',
 *   getAuthorization: async (request) =>
 *     (await fetch('/api/sts', { method: 'POST', body: JSON.stringify(request) })).json(),
 *   file, key: `input/${file.name}`,
 *   job: { Tag: 'Transcode', Operation: { TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
 *     Output: { Bucket: 'examplebucket-1250000000', Region: 'ap-guangzhou', Object: 'output/${jobid}.${ext}' } } },
 * });
 * session.subscribe(({ phase, upload, job }) => render(phase, upload?.progress.percent, job?.progress.percent));
 * const { outputs } = await session.start();
 * ```
 */
export function createTranscodeSession(options: TranscodeSessionOptions): TranscodeSession {
  return new Session(options);
}
