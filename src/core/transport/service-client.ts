import { TranscoderError, isTranscoderError, type Phase } from '../errors.js';
import type { Authorizer, Service, SignedAuthorization } from '../signing/types.js';
import type { Clock } from './clock.js';
import { resolveClientOptions, type ServiceClientOptions } from './client-options.js';
import { abortError, delay } from './delay.js';
import { buildUrl, requestPathname, urlWithoutQuery } from './endpoint.js';
import { errorFromResponse, parseErrorBody, requestIdOf, type ErrorBody } from './error-response.js';
import { SECURITY_TOKEN_HEADER, SECURITY_TOKEN_HEADERS, headersToSign } from './headers.js';
import { prepareRequest, type PreparedRequest } from './prepare-request.js';
import {
  MAX_CLOCK_SKEW_RETRIES,
  isCertainlyUnprocessed,
  isExpiredCredentialsError,
  skewCorrection,
} from './recovery.js';
import { isRetryableError, parseRetryAfter, retryDelay, type RetryPolicy } from './retry.js';
import { describeRequest, sanitizedCause } from './transport-errors.js';
import type { HttpRequest, HttpResponse, Transport } from './types.js';

export type { ServiceClientOptions } from './client-options.js';

/** One operation for {@link ServiceClient.request}. */
export interface ServiceRequest {
  /** `cos` for objects, `ci` for media jobs: picks the host and the token header. */
  service: Service;
  /** `GET`, `HEAD`, `PUT`, `POST` or `DELETE` (any case). */
  method: string;
  /** The object key, without a leading `/` (`''` is the bucket). Give `key` or `pathname`. */
  key?: string;
  /** The decoded path for requests that do not name an object, `/jobs/abc`. @default '/' */
  pathname?: string;
  /** Query parameters, decoded; all are sent and signed. An action parameter (`uploads`) has the value `''`. */
  query?: Readonly<Record<string, string>>;
  /**
   * Headers to send, values in printable ASCII (percent-encode the rest, `x-cos-meta-name: %E8%85%BE.mp4`), leading
   * and trailing spaces dropped. `Content-Length` is computed from `body` (a given one is ignored); the session
   * token and `Authorization` are added by the client.
   */
  headers?: Readonly<Record<string, string>>;
  /** The body; not allowed with `GET` and `HEAD`. Sent again as is on a retry. */
  body?: HttpRequest['body'];
  /** The CAM action the request performs, `name/cos:PutObject`, passed to the authorizer. */
  action: string;
  /** The step this request belongs to; errors carry it. */
  phase: Phase;
  /**
   * Whether sending the request twice has the effect of sending it once. When `false`, a failure after which the
   * service may have acted (a network error, a timeout, a 5xx) is not retried but thrown with `retryable: true`, so
   * that the caller can look up what happened first. Failures before sending (signing) and refusals the service
   * makes before acting (429, 503 `SlowDown`, clock skew, expired credentials) are retried all the same.
   *
   * `POST` is not idempotent by default: a resent `POST /jobs` submits a second job. CompleteMultipartUpload is a
   * `POST` too; pass `true` to have it resent, knowing that a resend after a lost answer may fail with 404
   * `NoSuchUpload` although the first one succeeded (check the object before reporting a failure).
   *
   * @default method !== 'POST'
   */
  idempotent?: boolean;
  /** Aborts the request, its signing and any wait before a retry; the request then rejects with `aborted`. */
  signal?: AbortSignal;
  /** Overrides {@link ServiceClientOptions.timeout} for this request. */
  timeout?: number;
  /** Bytes of the body sent so far, per attempt (a retry starts again from 0). */
  onUploadProgress?: (sentBytes: number, totalBytes: number) => void;
}

/** A 2xx response, with the request id and the number of attempts it took. */
export interface ServiceResponse extends HttpResponse {
  /** `x-cos-request-id` or `x-ci-request-id`, when exposed. */
  requestId?: string;
  /** Attempts made, this successful one included. */
  attempts: number;
}

/** How one attempt failed. */
interface Failure {
  error: TranscoderError;
  /** Whether the request may have reached the service. */
  sent: boolean;
  /** Thrown at once, whatever the retry policy says. */
  final?: boolean;
  /** The error response, when one arrived, with its parsed body and the signature it was sent with. */
  reply?: { response: HttpResponse; body: ErrorBody; signed: SignedAuthorization };
}

/**
 * The signed request pipeline for COS and CI: builds the URL, signs every attempt through the {@link Authorizer},
 * adds the session token, sends through the {@link Transport}, and recovers from what can be recovered:
 *
 * - a clock the service says is off (`RequestTimeTooSkewed`, `AccessDenied`/`Request has expired` with a `Date`
 *   30 s or more away): the clock, shared with the authorizer, is corrected and the request re-signed at once, at
 *   most twice;
 * - expired credentials (a 400 or 403, see `isExpiredCredentialsError`): the authorizer is told which signature
 *   was refused, and the request re-signed once;
 * - network errors, timeouts, 5xx, 429 and retryable signing failures: retried after the policy's delays or the
 *   server's `Retry-After`, unless the request is not idempotent and may have been processed.
 *
 * Every other failure is thrown at once as a {@link TranscoderError} with `attempts` set. 2xx responses are
 * returned as they are: the client never reads their bodies.
 *
 * @example
 * ```ts
 * // The transport defaults to XHR in browsers (fetch in Node); getAuthorization is wrapped in a CredentialProvider.
 * const client = new ServiceClient({ bucket: 'examplebucket-1250000000', region: 'ap-guangzhou', getAuthorization });
 * const { headers } = await client.request({
 *   service: 'cos', method: 'PUT', key: 'input/a b.mp4', body: file,
 *   headers: { 'content-type': file.type }, action: 'name/cos:PutObject', phase: 'upload',
 *   onUploadProgress: (sent, total) => (meter.value = sent / total),
 * });
 * ```
 */
export class ServiceClient {
  /** The clock signatures are made with: the authorizer's, corrected from the service's `Date`. */
  readonly clock: Clock;
  /** The bucket every request goes to, `examplebucket-1250000000`. */
  readonly bucket: string;
  /** The bucket's region, `ap-guangzhou`. */
  readonly region: string;
  /** The retry policy in force, defaults filled in: callers that retry at a higher level wait as long. */
  readonly retry: RetryPolicy;
  readonly #transport: Transport;
  readonly #authorizer: Authorizer;
  readonly #protocol: 'https' | 'http';
  readonly #hosts: Readonly<Record<Service, string>>;
  readonly #timeout: number;

  /** @throws {TranscoderError} `invalid-options` when an option is invalid. */
  constructor(options: ServiceClientOptions) {
    const settings = resolveClientOptions(options);
    this.#hosts = settings.hosts;
    this.retry = settings.retry;
    this.#transport = settings.transport;
    this.#authorizer = settings.authorizer;
    this.#protocol = settings.protocol;
    this.#timeout = settings.timeout;
    this.clock = settings.clock;
    this.bucket = settings.bucket;
    this.region = settings.region;
  }

  /**
   * The unsigned URL of an object or path, query included.
   *
   * @example
   * ```ts
   * client.urlFor({ service: 'cos', key: 'output/a b.mp4' });
   * // 'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/output/a%20b.mp4'
   * ```
   */
  urlFor(target: {
    service: Service;
    key?: string;
    pathname?: string;
    query?: Readonly<Record<string, string>>;
  }): string {
    const host = Object.hasOwn(this.#hosts, target.service) ? this.#hosts[target.service] : undefined;
    if (host === undefined) {
      const message = `Unknown service "${String(target.service)}"`;
      throw new TranscoderError(message, { code: 'invalid-request', phase: 'request' });
    }
    return buildUrl({ protocol: this.#protocol, host, pathname: requestPathname(target), query: target.query });
  }

  /**
   * Sends a signed request, with the recoveries and retries described on {@link ServiceClient}. Resolves with
   * the first 2xx response; rejects with a {@link TranscoderError}.
   */
  async request(request: ServiceRequest): Promise<ServiceResponse> {
    const { phase, signal } = request;
    if (signal?.aborted) throw abortError(signal, phase);
    const prepared = prepareRequest(request, {
      hosts: this.#hosts,
      protocol: this.#protocol,
      timeout: this.#timeout,
    });
    let retries = 0;
    let skewRetries = 0;
    let credentialsRenewed = false;
    for (let attempts = 1; ; attempts += 1) {
      const outcome = await this.#attempt(prepared);
      if (!('error' in outcome)) return { ...outcome, attempts };
      const { error, reply } = outcome;
      if (outcome.final) throw error.with({ attempts });
      if (reply) {
        const serverTime =
          skewRetries < MAX_CLOCK_SKEW_RETRIES ? skewCorrection(reply.response, reply.body, this.clock) : undefined;
        if (serverTime !== undefined) {
          this.clock.observe(serverTime);
          skewRetries += 1;
          continue;
        }
        if (!credentialsRenewed && isExpiredCredentialsError(reply.response.status, reply.body)) {
          this.#authorizer.invalidate(reply.signed);
          credentialsRenewed = true;
          continue;
        }
      }
      retries += 1;
      const retryAfter = reply && parseRetryAfter(reply.response.headers['retry-after'], this.clock.now());
      if (!this.#mayRetry(outcome, prepared, retries)) {
        throw error.with({ attempts, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }) });
      }
      await delay(retryDelay(this.retry, retries, retryAfter) ?? 0, signal).catch(() => {
        throw abortError(signal, phase).with({ attempts });
      });
    }
  }

  /** Signs and sends once. Resolves with a 2xx response or with how the attempt failed. */
  async #attempt(prepared: PreparedRequest): Promise<Omit<ServiceResponse, 'attempts'> | Failure> {
    const { signal, phase, body, onUploadProgress } = prepared.source;
    let signed: SignedAuthorization;
    try {
      signed = await this.#authorize(prepared);
    } catch (caught) {
      if (signal?.aborted) return { error: abortError(signal, phase), sent: false, final: true };
      const error = signError(caught, prepared.operation);
      return { error, sent: false, final: !error.retryable };
    }
    let response: HttpResponse;
    try {
      response = await this.#transport.send({
        method: prepared.method,
        url: prepared.url,
        headers: signedHeaders(prepared, signed),
        ...(body === undefined ? {} : { body }),
        timeout: prepared.timeout,
        ...(signal ? { signal } : {}),
        ...(onUploadProgress ? { onUploadProgress } : {}),
      });
    } catch (caught) {
      if (signal?.aborted) return { error: abortError(signal, phase), sent: false, final: true };
      const error = transportError(caught, prepared);
      return { error, sent: error.code !== 'invalid-request', final: error.code === 'invalid-request' };
    }
    if (response.status >= 200 && response.status <= 299) {
      const requestId = requestIdOf(response);
      return { ...response, ...(requestId === undefined ? {} : { requestId }) };
    }
    const errorBody = parseErrorBody(response.body);
    const context = { operation: prepared.operation, method: prepared.method, url: prepared.url, phase };
    const error = errorFromResponse(response, context, errorBody);
    return { error, sent: true, reply: { response, body: errorBody, signed } };
  }

  /** Signs one attempt. */
  async #authorize(prepared: PreparedRequest): Promise<SignedAuthorization> {
    const { source } = prepared;
    const signed = await this.#authorizer.authorize(
      {
        method: prepared.method,
        host: prepared.host,
        pathname: prepared.pathname,
        query: prepared.query,
        headers: headersToSign(prepared.headers, prepared.host),
        bucket: this.bucket,
        region: this.region,
        ...(source.key === undefined ? {} : { key: source.key }),
        service: source.service,
        action: source.action,
      },
      source.signal ? { signal: source.signal } : {},
    );
    if (typeof signed?.authorization !== 'string' || signed.authorization === '') {
      throw new TranscoderError(`Could not sign ${prepared.operation}: the authorizer returned no Authorization`, {
        code: 'sign-failed',
        phase: 'sign',
      });
    }
    return signed;
  }

  #mayRetry(failure: Failure, prepared: PreparedRequest, retry: number): boolean {
    const { error } = failure;
    if (retry > this.retry.delays.length) return false;
    if (failure.sent && !prepared.idempotent && !isCertainlyUnprocessed(error, failure.reply?.body)) return false;
    const { shouldRetry } = this.retry;
    if (!shouldRetry) return isRetryableError(error);
    try {
      const request = { method: prepared.method, url: urlWithoutQuery(prepared.url) };
      return shouldRetry({ error, attempt: retry, request }) === true;
    } catch (cause) {
      const phase = prepared.source.phase;
      throw new TranscoderError('The retry.shouldRetry hook threw', { code: 'invalid-options', phase, cause });
    }
  }
}

/** The headers to send: the request's, `host`, `authorization` and the session token (added after signing). */
function signedHeaders(prepared: PreparedRequest, signed: SignedAuthorization): Record<string, string> {
  const headers: Record<string, string> = { ...prepared.headers, host: prepared.host };
  for (const name of SECURITY_TOKEN_HEADERS) delete headers[name];
  headers.authorization = signed.authorization;
  if (signed.securityToken) headers[SECURITY_TOKEN_HEADER[prepared.source.service]] = signed.securityToken;
  return headers;
}

/** A failure of the authorizer, as a `sign-failed` error unless it is a {@link TranscoderError} already. */
function signError(caught: unknown, operation: string): TranscoderError {
  if (isTranscoderError(caught)) return caught;
  return new TranscoderError(`Could not sign ${operation}: the authorizer failed`, {
    code: 'sign-failed',
    phase: 'sign',
    cause: caught,
  });
}

/**
 * A failure of the transport, named after the operation and carrying the request's phase. Anything but a
 * `TranscoderError` breaks the {@link Transport} contract and is taken as a network error, its message dropped.
 */
function transportError(caught: unknown, prepared: PreparedRequest): TranscoderError {
  const { operation, method, url } = prepared;
  const phase = prepared.source.phase;
  if (!isTranscoderError(caught)) {
    return new TranscoderError(`${operation} failed: ${describeRequest(method, url)} got no response`, {
      code: 'network',
      phase,
      retryable: true,
      cause: sanitizedCause(caught, 'the transport'),
    });
  }
  return new TranscoderError(`${operation} failed: ${caught.message}`, {
    code: caught.code,
    phase,
    status: caught.status,
    retryable: caught.retryable,
    cause: caught.cause,
  });
}
