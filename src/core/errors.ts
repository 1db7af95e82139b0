/**
 * What went wrong, as a stable string a host can branch on.
 *
 * - `invalid-options`: options given to the widget or a core function are invalid; nothing was sent.
 * - `invalid-request`: a job request or other input failed validation before it was sent.
 * - `sign-failed`: the host's `getAuthorization` threw, timed out, or returned something unusable.
 * - `network`: the connection failed (DNS, refused, reset, CORS) before any HTTP status arrived.
 * - `timeout`: the request or a callback took longer than allowed.
 * - `service`: the service answered with an error status or an `<Error>` body.
 * - `invalid-response`: the service (or a proxy) answered with something that is not the expected document.
 * - `integrity`: a checksum the client computed does not match the one the service reported.
 * - `job-failed`: a media job ended in `Failed`.
 * - `aborted`: the caller aborted the work.
 */
export type TranscoderErrorCode =
  | 'invalid-options'
  | 'invalid-request'
  | 'sign-failed'
  | 'network'
  | 'timeout'
  | 'service'
  | 'invalid-response'
  | 'integrity'
  | 'job-failed'
  | 'aborted';

/** The step of the work that failed. */
export type Phase =
  | 'options'
  | 'sign'
  | 'request'
  | 'upload'
  | 'complete'
  | 'submit'
  | 'track'
  | 'cancel'
  | 'callback';

/** Fields of a {@link TranscoderError}, all but `code` and `phase` optional. */
export interface TranscoderErrorInit {
  code: TranscoderErrorCode;
  phase: Phase;
  /** HTTP status, when a response arrived. */
  status?: number;
  /** The service's `<Code>` (for example `NoSuchUpload`, `SignatureDoesNotMatch`). */
  serviceCode?: string;
  /** `x-cos-request-id`, `x-ci-request-id` or the body's `<RequestId>`: quote it to Tencent support. */
  requestId?: string;
  /** Whether trying the same operation again may succeed. @default false */
  retryable?: boolean;
  /** How many attempts were made before giving up. @default 1 */
  attempts?: number;
  /**
   * Milliseconds the service asked the caller to wait (`Retry-After` of a 429 or 503) before trying again, when the
   * last answer said so. Callers that try again later (the job tracker's next poll) wait at least this long.
   */
  retryAfterMs?: number;
  /** The lower-level failure (a `ZodError`, a `DOMException`, the thrown host error...). */
  cause?: unknown;
}

const BRAND = Symbol.for('cos-transcoder.TranscoderError');

/**
 * The one error type of cos-transcoder. Every rejection and every error event carries one.
 *
 * Messages name the operation, status, service code and request id; they never contain a query string, a
 * signature, a secret key or a session token.
 *
 * @example
 * ```ts
 * try { await upload.start(); }
 * catch (e) { if (isTranscoderError(e) && e.code === 'service') console.warn(e.serviceCode, e.requestId); }
 * ```
 */
export class TranscoderError extends Error {
  override name = 'TranscoderError' as const;
  readonly code: TranscoderErrorCode;
  readonly phase: Phase;
  readonly status: number | undefined;
  readonly serviceCode: string | undefined;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  readonly attempts: number;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, init: TranscoderErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.phase = init.phase;
    this.status = init.status;
    this.serviceCode = init.serviceCode;
    this.requestId = init.requestId;
    this.retryable = init.retryable ?? false;
    this.attempts = init.attempts ?? 1;
    this.retryAfterMs = init.retryAfterMs;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A copy with some fields changed (for example `attempts` after a retry loop gives up). */
  with(changes: Partial<TranscoderErrorInit>): TranscoderError {
    return new TranscoderError(this.message, {
      code: this.code,
      phase: this.phase,
      status: this.status,
      serviceCode: this.serviceCode,
      requestId: this.requestId,
      retryable: this.retryable,
      attempts: this.attempts,
      retryAfterMs: this.retryAfterMs,
      cause: this.cause,
      ...changes,
    });
  }
}

/**
 * Whether `error` is a {@link TranscoderError}, also when it comes from another realm (an iframe, a second copy of
 * the package) where `instanceof` fails.
 */
export const isTranscoderError = (error: unknown): error is TranscoderError =>
  error instanceof TranscoderError ||
  (typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true);
