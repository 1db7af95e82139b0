/**
 * The headless pipeline: one object that uploads a file, submits a CI job on it and follows the job to its end.
 *
 * @module
 */

export { SESSION_PHASE_TRANSITIONS, SessionPhase } from './session-phase.js';
export { listSessions } from './session-storage.js';
export type { JobRecordInfo, ListSessionsOptions, SessionRecordInfo, UploadRecordInfo } from './session-storage.js';
export { createTranscodeSession } from './transcode-session.js';
export type {
  PresignOptions,
  PresignTarget,
  SessionJob,
  SessionListener,
  SessionResult,
  SessionSnapshot,
  SessionStorageOption,
  SessionUploadOptions,
  TranscodeSession,
  TranscodeSessionOptions,
} from './session-types.js';
