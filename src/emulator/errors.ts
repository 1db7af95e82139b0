/**
 * A failure the emulator answers with an `<Error>` document, as COS and CI do: an HTTP status, a service code and a
 * message. Handlers throw it; the server turns it into the reply.
 */
export class EmulatorError extends Error {
  override name = 'EmulatorError';
  /** The HTTP status of the reply. */
  readonly status: number;
  /** The service's error code, `NoSuchKey`, `SignatureDoesNotMatch`... */
  readonly code: string;
  /** Extra response headers (`Retry-After` on a 503, for example). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/**
 * HTTP status of each COS / CI error code the emulator answers with (COS error code table; CI mirrors COS for
 * signature and permission errors).
 */
export const ERROR_STATUS = {
  BadDigest: 400,
  EntitySizeNotMatch: 400,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  ExpiredToken: 400,
  IncompleteBody: 400,
  InvalidArgument: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRequest: 400,
  InvalidURI: 400,
  InvalidObjectName: 400,
  KeyTooLong: 400,
  MalformedXML: 400,
  MissingContent: 400,
  MissingRequestBodyError: 400,
  RequestTimeout: 400,
  ResourceNotFound: 400,
  InvalidHost: 400,
  AccessDenied: 403,
  InvalidAccessKeyId: 403,
  InvalidSecurityToken: 403,
  SignatureDoesNotMatch: 403,
  RequestTimeTooSkewed: 403,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NoSuchCORSConfiguration: 404,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  PreconditionFailed: 412,
  InvalidRange: 416,
  InternalError: 500,
  ServiceUnavailable: 503,
  SlowDown: 503,
} as const;

/** An error code the emulator knows the status of. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** An {@link EmulatorError} with the status the service gives `code`. */
export function serviceError(code: ErrorCode, message: string, headers?: Record<string, string>): EmulatorError {
  return new EmulatorError(ERROR_STATUS[code], code, message, headers);
}
