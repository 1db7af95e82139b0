/**
 * `cos-transcoder`: the package entry. Importing it defines `<cos-transcoder>` and gives the element's class, its
 * events and their detail types. The protocol core is not loaded until the element starts work; for the core's
 * functions, import `cos-transcoder/core`.
 *
 * @packageDocumentation
 */
import './element/define.js';

export { CosTranscoder } from './element/cos-transcoder.js';
export {
  CosBeforeUploadEvent,
  CosCancelEvent,
  CosErrorEvent,
  CosEvent,
  CosJobChangeEvent,
  CosJobCompleteEvent,
  CosJobFailedEvent,
  CosJobSubmittedEvent,
  CosUploadCompleteEvent,
  CosUploadProgressEvent,
  CosUploadStartEvent,
} from './element/events.js';
export type {
  CosBeforeUploadDetail,
  CosCancelDetail,
  CosErrorDetail,
  CosJobChangeDetail,
  CosJobCompleteDetail,
  CosJobFailedDetail,
  CosJobSubmittedDetail,
  CosUploadCompleteDetail,
  CosUploadProgressDetail,
  CosUploadStartDetail,
  ProgressDetail,
} from './element/events.js';
export type { Strings } from './element/localize.js';
export type { ElementPhase } from './element/session-controller.js';
export type {
  AuthorizationRequest,
  AuthorizationResult,
  GetAuthorization,
  JobCallbackRelay,
  RelayStatus,
  JobOutputObject,
  JobSnapshot,
  MediaInfo,
  TranscoderError,
  TranscoderErrorCode,
  UploadResult,
  UploadSnapshot,
} from './core/index.js';
