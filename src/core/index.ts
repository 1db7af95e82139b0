/**
 * `cos-transcoder/core`: the framework-free protocol core. It runs in browsers and in Node 20+, and has no side
 * effects on import.
 *
 * Everything public is named here one by one. Helpers not listed (schema building blocks, header tables, recovery
 * rules) are implementation details and may change without notice.
 *
 * @packageDocumentation
 */

// Errors
export { TranscoderError, isTranscoderError } from './errors.js';
export type { TranscoderErrorCode, TranscoderErrorInit, Phase } from './errors.js';

// Signing: the COS v5 algorithm
export { createAuthorization, formatKeyTime, parseAuthorization } from './signing/authorization.js';
export type {
  AuthorizationInput,
  CanonicalRequest,
  KeyTime,
  ParsedAuthorization,
  SignableRequest,
} from './signing/authorization.js';
export { cosEncode, encodeKeyPath } from './signing/encode.js';

// Signing: the host contract and the credential provider
export type { AuthorizationRequest, Authorizer, Service, SignedAuthorization } from './signing/types.js';
export {
  CosSdkCredentialsSchema,
  SignatureResultSchema,
  StsCredentialsOutputSchema,
} from './signing/credentials.js';
export type {
  AuthorizationResult,
  AuthorizationResultIssue,
  CosSdkCredentials,
  GetAuthorization,
  GetAuthorizationContext,
  SignatureResult,
  StsCredentialsOutput,
} from './signing/credentials.js';
export { CredentialProvider } from './signing/credential-provider.js';
export type { CredentialProviderOptions } from './signing/credential-provider.js';

// Protocol: XML
export { buildXml, parseXml } from './protocol/xml.js';

// Protocol: COS documents
export {
  CompleteMultipartUploadResultSchema,
  CosErrorSchema,
  InitiateMultipartUploadResultSchema,
  ListMultipartUploadsResultSchema,
  ListPartsResultSchema,
} from './protocol/cos-schemas.js';
export type {
  CompleteMultipartUploadResult,
  CompletedPart,
  CosError,
  InitiateMultipartUploadResult,
  ListMultipartUploadsResult,
  ListPartsResult,
  ListedPart,
  ListedUpload,
} from './protocol/cos-schemas.js';
export {
  parseCosDocument,
  parseCompleteMultipartUploadResult,
  parseInitiateMultipartUploadResult,
  parseListMultipartUploadsResult,
  parseListPartsResult,
} from './protocol/cos-document.js';
export type { ResponseContext } from './protocol/cos-document.js';
export { buildCompleteMultipartUpload } from './protocol/complete-multipart-upload.js';
export type { SchemaIssue, SchemaIssues } from './protocol/validation.js';

// Protocol: CI jobs
export {
  JOB_STATE_TRANSITIONS,
  JobState,
  canReachJobState,
  canTransitionJobState,
  isTerminalJobState,
} from './protocol/job-state.js';
export { JobsDetailSchema, JobsResponseSchema, parseJobsResponse } from './protocol/ci-schemas.js';
export type {
  DigitalWatermarkResult,
  ExtractDigitalWatermarkResult,
  JobOperation,
  JobsDetail,
  JobsResponse,
  WatermarkEcho,
} from './protocol/ci-schemas.js';
export type {
  AudioStream,
  MediaFormat,
  MediaInfo,
  MediaResult,
  Md5Info,
  OutputFile,
  SubtitleStream,
  VideoStream,
} from './protocol/media-info.js';
export {
  ExtractDigitalWatermarkJobInputSchema,
  TranscodeJobInputSchema,
} from './protocol/job-request-schemas.js';
export type {
  CallBackMqConfig,
  ExtractDigitalWatermarkJobInput,
  JobInput,
  JobLevel,
  JobNotification,
  JobOutput,
  JobRequest,
  TranscodeJobInput,
} from './protocol/job-request-schemas.js';
export type { DigitalWatermark, ExtractDigitalWatermark, Watermark } from './protocol/watermark.js';
export {
  buildExtractDigitalWatermarkJobRequest,
  buildJobRequest,
  buildTranscodeJobRequest,
} from './protocol/job-request.js';
export { JobCallbackSchema, parseJobCallback } from './protocol/callback.js';
export type { CallbackFormat, JobCallback } from './protocol/callback.js';

// Transport
export type { HttpRequest, HttpResponse, Transport } from './transport/types.js';
export { SkewCorrectedClock } from './transport/clock.js';
export type { Clock } from './transport/clock.js';
export { XhrTransport } from './transport/xhr-transport.js';
export { FetchTransport } from './transport/fetch-transport.js';
export type { FetchTransportOptions } from './transport/fetch-transport.js';
export { DEFAULT_RETRY, isRetryableError } from './transport/retry.js';
export type { RetryOptions, RetryPolicy, RetryRequestInfo, ShouldRetryState } from './transport/retry.js';
export { ServiceClient } from './transport/service-client.js';
export type { ServiceClientOptions, ServiceRequest, ServiceResponse } from './transport/service-client.js';

// Upload
export { MultipartUpload } from './upload/multipart-upload.js';
export type { UploadListener } from './upload/multipart-upload.js';
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_MULTIPART_THRESHOLD,
  MAX_KEY_BYTES,
} from './upload/upload-options.js';
export type { MultipartUploadOptions } from './upload/upload-options.js';
export { UPLOAD_STATUS_TRANSITIONS, UploadStatus } from './upload/upload-types.js';
export type { UploadResult, UploadSnapshot } from './upload/upload-types.js';
export type { UploadProgress } from './upload/progress.js';
export {
  DEFAULT_PART_SIZE,
  MAX_OBJECT_SIZE,
  MAX_PARTS,
  MAX_PART_SIZE,
  MIN_PART_SIZE,
  planPartSize,
  planParts,
} from './upload/part-plan.js';
export type { PlannedPart } from './upload/part-plan.js';
export {
  DEFAULT_RESUME_TTL_MS,
  LocalStorageResumeStore,
  MemoryResumeStore,
  ResumeRecordSchema,
  defaultResumeStore,
  resumeRecordId,
} from './upload/resume-store.js';
export type { LocalStorageResumeStoreOptions, ResumeRecord, ResumeStore } from './upload/resume-store.js';
export { fileFingerprint } from './upload/fingerprint.js';
export { createCrc64Hasher } from './upload/crc64-hasher.js';
export type { Crc64Hasher, Crc64HasherOptions } from './upload/crc64-hasher.js';
export { Crc64, crc64, crc64Combine, formatCrc64, parseCrc64 } from './upload/crc64.js';

// Jobs: submit, describe, cancel, list
export {
  JOB_ID_PATTERN,
  ListJobsQuerySchema,
  MAX_DESCRIBED_JOBS,
  MAX_LISTED_JOBS,
  cancelJob,
  describeJobs,
  listJobs,
} from './jobs/job-api.js';
export type { JobCallOptions, JobListPage, ListJobsQuery } from './jobs/job-api.js';
export { matchesJobRequest } from './jobs/job-match.js';
export {
  DEFAULT_JOB_RECORD_TTL_MS,
  JobRecordSchema,
  LocalStorageJobRecordStore,
  MemoryJobRecordStore,
  defaultJobRecordStore,
  isFreshJobRecord,
  jobRequestFingerprint,
} from './jobs/job-records.js';
export type { JobRecord, JobRecordStore, LocalStorageJobRecordStoreOptions } from './jobs/job-records.js';
export { DEFAULT_JOB_LOOKUP } from './jobs/job-lookup.js';
export type { JobLookupOptions } from './jobs/job-lookup.js';
export { submitJob } from './jobs/submit-job.js';
export type { SubmitJobOptions } from './jobs/submit-job.js';
export type { SubmittedJob } from './jobs/job-types.js';
export { formatServiceTime, parseServiceTime } from './jobs/service-time.js';

// Jobs: tracker
export { JobTracker } from './jobs/job-tracker.js';
export type { JobTrackerOptions, JobTrackerStats } from './jobs/job-tracker.js';
export type {
  EventSourceLike,
  JobCallbackRelay,
  JobListener,
  JobOutputObject,
  JobPollOptions,
  JobResults,
  JobSnapshot,
  JobSource,
  TrackerEnvironment,
  TrackerTimers,
} from './jobs/job-types.js';
export { jobResults } from './jobs/job-results.js';
export { jobFailedError, mergeJobReport } from './jobs/job-merge.js';
export {
  DEFAULT_MAX_FAILURES,
  DEFAULT_POLL_DELAYS,
  DEFAULT_POLL_JITTER,
  DEFAULT_SAFETY_NET_DELAY,
  MAX_ERROR_BACKOFF,
  nextPollDelay,
  resolvePollOptions,
} from './jobs/poll-schedule.js';
export type { PollSettings, PollState } from './jobs/poll-schedule.js';
export { CallbackChannel, callbackReports, eventSourceUrl } from './jobs/callback-channel.js';
export type { CallbackChannelOptions } from './jobs/callback-channel.js';
export { defaultTrackerEnvironment, defaultTrackerTimers } from './jobs/tracker-environment.js';
