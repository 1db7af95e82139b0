import type { TranscoderError } from '../errors.js';
import type { JobLookupOptions } from '../jobs/job-lookup.js';
import type {
  JobCallbackRelay,
  JobOutputObject,
  JobPollOptions,
  JobSnapshot,
  SubmittedJob,
  TrackerEnvironment,
  TrackerTimers,
} from '../jobs/job-types.js';
import type { MediaInfo } from '../protocol/media-info.js';
import type {
  ExtractDigitalWatermarkJobInput,
  JobNotification,
  TranscodeJobInput,
} from '../protocol/job-request-schemas.js';
import type { GetAuthorization } from '../signing/credentials.js';
import type { Authorizer } from '../signing/types.js';
import type { RetryOptions } from '../transport/retry.js';
import type { ServiceClient } from '../transport/service-client.js';
import type { Transport } from '../transport/types.js';
import type { MultipartUploadOptions } from '../upload/upload-options.js';
import type { UploadResult, UploadSnapshot } from '../upload/upload-types.js';
import type { SessionPhase, WorkingPhase } from './session-phase.js';

/**
 * What the job does, in the service's words, without `Input`: the input is the session's `key`. The queue and
 * callback fields (`QueueId`, `CallBack`, `CallBackFormat`, `CallBackType`, ...) sit next to `Tag`, as in the
 * `POST /jobs` body.
 *
 * @example
 * ```ts
 * const job: SessionJob = {
 *   Tag: 'Transcode',
 *   Operation: { TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
 *     Output: { Bucket: 'examplebucket-1250000000', Region: 'ap-guangzhou', Object: 'output/clip.${ext}' } },
 * };
 * ```
 */
export type SessionJob =
  | ({ Tag: 'Transcode'; Operation: TranscodeJobInput['Operation'] } & JobNotification)
  | ({ Tag: 'ExtractDigitalWatermark'; Operation: ExtractDigitalWatermarkJobInput['Operation'] } & JobNotification);

/** Options of the upload phase, passed to `MultipartUpload` (the session gives it the client, file, key and store). */
export type SessionUploadOptions = Omit<MultipartUploadOptions, 'client' | 'file' | 'key' | 'storage' | 'signal'>;

/**
 * Where a session keeps the records that let a reloaded page find its half-done upload or its running job:
 * a Web Storage (both kinds of record, listed by `listSessions`), or `false` for none (no re-attach).
 */
export type SessionStorageOption = Storage | false;

/** Options of {@link createTranscodeSession}. */
export interface TranscodeSessionOptions {
  /** Bucket name with its APPID, `examplebucket-1250000000`. */
  bucket: string;
  /** The bucket's region, `ap-guangzhou`. */
  region: string;
  /** The host page's signing callback (STS credentials, or a signature made on its server); or `authorizer`. */
  getAuthorization?: GetAuthorization;
  /** Signs each request; give this or `getAuthorization`. */
  authorizer?: Authorizer;
  /** Sends the requests. @default XhrTransport where XMLHttpRequest exists, else FetchTransport */
  transport?: Transport;
  /** @default 'https' */
  protocol?: 'https' | 'http';
  /** Host templates, `{Bucket}` and `{Region}` replaced. @default the cloud's */
  domains?: { cos?: string; ci?: string };
  /** How failed requests are retried. */
  retry?: RetryOptions;
  /**
   * The file to upload to `key` first. Absent: the session transcodes the object already at `key` (a `HEAD` checks
   * that it exists before the job is submitted).
   */
  file?: Blob;
  /** The object key the file goes to, and the job's input object. */
  key: string;
  /** The job to run on `key`. */
  job: SessionJob;
  /** How the host relays CI's callbacks to the page (see `JobTracker`); polling alone works without it. */
  relay?: JobCallbackRelay;
  /** Part size, concurrency, threshold, CRC checks and object headers of the upload. */
  upload?: SessionUploadOptions;
  /** The polling schedule of the job. */
  poll?: JobPollOptions;
  /** How a job whose submission answer was lost is looked for (see `submitJob`). */
  lookup?: JobLookupOptions;
  /**
   * Where resume records and job records are kept. @default localStorage when usable, else the page's memory
   */
  storage?: SessionStorageOption;
  /** The page the job tracker watches, and its timers (tests inject them). */
  tracker?: { environment?: TrackerEnvironment; timers?: TrackerTimers; random?: () => number };
  /** Aborting it cancels the session, as `cancel()` does. */
  signal?: AbortSignal;
}

/** What a finished session made. */
export interface SessionResult {
  /** The upload's outcome; absent when the object was already at `key` (or the job of an earlier page was found). */
  upload?: UploadResult;
  /** The job's final snapshot (`Success`). */
  job: JobSnapshot;
  /** The objects the job wrote. */
  outputs: JobOutputObject[];
  /** Media information of the output, when the service reported it. */
  mediaInfo?: MediaInfo;
  /** The text an `ExtractDigitalWatermark` job found. */
  extractedMessage?: string;
}

/** Everything a subscriber of a session learns at each change. */
export interface SessionSnapshot {
  readonly phase: SessionPhase;
  /** The object key the session uploads to and transcodes. */
  readonly key: string;
  /** The file being uploaded, when one was given. */
  readonly file?: { name?: string; size: number; type: string };
  /** The upload's snapshot, once the upload started (`paused` shows here: the phase stays `uploading`). */
  readonly upload?: UploadSnapshot;
  /** The job's snapshot, once the job is known. */
  readonly job?: JobSnapshot;
  /** How the job was obtained: submitted now, recovered after a lost answer, or re-attached from a record. */
  readonly jobOrigin?: SubmittedJob['origin'];
  /** The outcome, once `phase` is `done`. */
  readonly result?: SessionResult;
  /** The failure, while `phase` is `failed`. */
  readonly error?: TranscoderError;
  /** The phase that failed, while `phase` is `failed`: what `retry()` resumes. */
  readonly failedPhase?: WorkingPhase;
}

/** Receives the session's snapshot at every change. */
export type SessionListener = (snapshot: SessionSnapshot) => void;

/** Where {@link TranscodeSession.presignObjectUrl} points: an object of the session's bucket, or of another. */
export interface PresignTarget {
  /** @default the session's bucket */
  bucket?: string;
  /** @default the session's region */
  region?: string;
  key: string;
}

/** Options of {@link TranscodeSession.presignObjectUrl}. */
export interface PresignOptions {
  /**
   * Seconds the URL stays valid, 60 to 43200, never past the credentials' expiry. Honoured when the session signs
   * with `getAuthorization` credentials; a host that answers with a ready signature, or an `authorizer`, decides
   * its own lifetime. @default the authorizer's signature lifetime (900 s for credentials)
   */
  expiresSeconds?: number;
  /** Aborts the signing. */
  signal?: AbortSignal;
}

/** Upload, then submit, then follow: one state machine over `MultipartUpload`, `submitJob` and `JobTracker`. */
export interface TranscodeSession {
  /** The phase, the upload's and the job's snapshots, and the outcome or failure now. */
  readonly snapshot: SessionSnapshot;
  /** The session's client (its bucket and region), for further calls. */
  readonly client: ServiceClient;
  /**
   * Runs the session. Resolves with the result once the job succeeded; rejects with a `TranscoderError` (`aborted`
   * after a cancel). While running, returns the same promise; after a failure, it is {@link retry}; once done, it
   * resolves with the result again.
   */
  start(): Promise<SessionResult>;
  /** Pauses the upload (only while `uploading`; does nothing elsewhere). */
  pause(): void;
  /** Continues a paused upload (only while `uploading`). */
  resume(): void;
  /**
   * Cancels the session, in any phase but `done`, and resolves once done: while uploading, the multipart upload is
   * aborted on the service (its record forgotten; an upload already assembling its object completes, and only the
   * job is not submitted); while submitting, the submission is aborted (a `POST /jobs` that already left may have
   * created the job: its pending record stays, so that the next session with these inputs finds it); while processing,
   * the job is cancelled when it is still `Submitted`, else it is no longer followed (the service goes on running
   * it: CI cannot cancel a running job) and its record is forgotten, so that a new session submits afresh. The
   * phase is `cancelled` even when the service could not be told (the upload's abort or the job's cancel failed):
   * the promise then rejects, and `cancel()` may be called again.
   */
  cancel(): Promise<void>;
  /**
   * From `failed`, resumes the phase that failed: a failed upload resumes from its record (acknowledged parts are
   * not sent again); a failed submission submits again without uploading; a job that ended `Failed` (or that the
   * service no longer knows) is submitted again as a new job, while a job whose tracking failed (polls failing) is
   * followed again by its id. In any other phase, it is {@link start}.
   */
  retry(): Promise<SessionResult>;
  /** Passes a callback body the host received to the job's tracker. Whether it was a callback about this job. */
  deliver(body: unknown): boolean;
  /**
   * Calls `listener` with the snapshot at every change; at `done` or `cancelled`, every listener is given that
   * final snapshot, then all are dropped. Returns the function that unsubscribes it.
   */
  subscribe(listener: SessionListener): () => void;
  /** A short-lived signed `GET` URL of an object (the output, for a `<video>`), signed as `name/cos:GetObject`. */
  presignObjectUrl(object: PresignTarget, options?: PresignOptions): Promise<string>;
}
