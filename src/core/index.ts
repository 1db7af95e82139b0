/**
 * `cos-transcoder/core`: the framework-free protocol core. It runs in browsers and in Node 20+, and has no side
 * effects on import.
 *
 * Everything here is what a page uses: errors, signing through the host, the service client, uploads, jobs and
 * their states, job requests, callbacks and results. Everything public is named one by one; the rest (schemas,
 * parsers, header tables, recovery rules, part planning) is an implementation detail and may change without notice.
 *
 * @packageDocumentation
 */

// The pipeline: upload, then submit, then follow, as one object (the way in for most pages)
export { SESSION_PHASE_TRANSITIONS, SessionPhase, createTranscodeSession, listSessions } from './session/index.js';
export type {
  SessionJob,
  SessionRecordInfo,
  SessionResult,
  SessionSnapshot,
  TranscodeSession,
  TranscodeSessionOptions,
} from './session/index.js';

// Errors
export { TranscoderError, isTranscoderError } from './errors.js';
export type { Phase, TranscoderErrorCode } from './errors.js';

// Progress: one shape for uploads and jobs
export type { Progress } from './progress.js';

// Signing: the host contract and the credential provider
export type { AuthorizationRequest, Authorizer, Service, SignedAuthorization } from './signing/types.js';
export type {
  AuthorizationResult,
  CosSdkCredentials,
  GetAuthorization,
  GetAuthorizationContext,
  SignatureResult,
  StsCredentialsOutput,
} from './signing/credentials.js';
export { CredentialProvider } from './signing/credential-provider.js';
export type { CredentialProviderOptions } from './signing/credential-provider.js';

// The service client and its transports
export { ServiceClient } from './transport/service-client.js';
export type { ServiceClientOptions } from './transport/service-client.js';
export type { HttpRequest, HttpResponse, Transport } from './transport/types.js';
export { XhrTransport } from './transport/xhr-transport.js';
export { FetchTransport } from './transport/fetch-transport.js';
export type { RetryOptions, ShouldRetryState } from './transport/retry.js';

// Upload
export { MultipartUpload } from './upload/multipart-upload.js';
export type { MultipartUploadOptions } from './upload/upload-options.js';
export { UPLOAD_STATUS_TRANSITIONS, UploadStatus } from './upload/upload-types.js';
export type { UploadResult, UploadSnapshot } from './upload/upload-types.js';
export type { UploadProgress } from './upload/progress.js';
export { MemoryResumeStore } from './upload/resume-store.js';
export type { ResumeRecord, ResumeStore } from './upload/resume-store.js';
export { createCrc64Hasher } from './upload/crc64-hasher.js';
export type { Crc64Hasher } from './upload/crc64-hasher.js';

// Jobs: states
export {
  JOB_STATE_TRANSITIONS,
  JobState,
  canReachJobState,
  canTransitionJobState,
  isTerminalJobState,
} from './protocol/job-state.js';

// Jobs: requests
export {
  buildExtractDigitalWatermarkJobRequest,
  buildJobRequest,
  buildTranscodeJobRequest,
} from './protocol/job-request.js';
export type {
  ExtractDigitalWatermarkJobInput,
  JobInput,
  JobLevel,
  JobOutput,
  JobRequest,
  TranscodeJobInput,
} from './protocol/job-request-schemas.js';
export type { DigitalWatermark, Watermark } from './protocol/watermark.js';

// Jobs: submit, describe, cancel, list
export { cancelJob, describeJobs, listJobs } from './jobs/job-api.js';
export type { JobListPage, ListJobsQuery } from './jobs/job-api.js';
export { submitJob } from './jobs/submit-job.js';
export type { SubmitJobOptions } from './jobs/submit-job.js';
export { MemoryJobRecordStore } from './jobs/job-records.js';
export type { JobRecord, JobRecordStore } from './jobs/job-records.js';

// Jobs: following one, callbacks and results
export { JobTracker } from './jobs/job-tracker.js';
export type { JobTrackerOptions } from './jobs/job-tracker.js';
export type {
  JobCallbackRelay,
  RelayStatus,
  JobOutputObject,
  JobPollOptions,
  JobResults,
  JobSnapshot,
  JobSource,
  SubmittedJob,
} from './jobs/job-types.js';
export { parseJobCallback } from './protocol/callback.js';
export type { CallbackFormat, JobCallback } from './protocol/callback.js';
export type { JobsDetail } from './protocol/ci-schemas.js';
export type { AudioStream, MediaFormat, MediaInfo, VideoStream } from './protocol/media-info.js';
