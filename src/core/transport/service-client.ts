import { TranscoderError, isTranscoderError, type Phase } from '../errors.js';
import type { Authorizer, Service } from '../signing/types.js';
import { SkewCorrectedClock, type Clock } from './clock.js';
import { abortError, delay } from './delay.js';
import {
  BUCKET_PATTERN,
  DEFAULT_DOMAINS,
  REGION_PATTERN,
  buildUrl,
  requestPathname,
  resolveHost,
  urlWithoutQuery,
} from './endpoint.js';
import { errorFromResponse, parseErrorBody, requestIdOf, type ErrorBody } from './error-response.js';
import { headersToSign } from './headers.js';
import {
  MAX_CLOCK_SKEW_RETRIES,
  isCertainlyUnprocessed,
  isExpiredCredentialsError,
  skewCorrection,
} from './recovery.js';
import { isTimeout, prepareRequest, type PreparedRequest } from './prepare-request.js';
import {
  isRetryableError,
  parseRetryAfter,
  resolveRetry,
  retryDelay,
  type RetryOptions,
  type RetryPolicy,
} from './retry.js';
import { describeRequest } from './transport-errors.js';
import type { HttpRequest, HttpResponse, Transport } from './types.js';

/** Options of {@link ServiceClient}. */
export interface ServiceClientOptions {
  /** Sends the requests: an `XhrTransport` in browsers (upload progress), a `FetchTransport` in Node. */
  transport: Transport;
  /** Signs each attempt; `CredentialProvider` is the implementation. */
  authorizer: Authorizer;
  /** Bucket name with its APPID, `examplebucket-1250000000`. */
  bucket: string;
  /** Region, `ap-guangzhou`. */
  region: string;
  /**
   * The clock signatures are made with. The client corrects it when the service reports a skew, so give the
   * authorizer the same instance.
   *
   * @default new SkewCorrectedClock()
   */
  clock?: Clock;
  /** How failed requests are retried; see {@link RetryOptions} for the defaults. */
  retry?: RetryOptions;
  /** @default 'https' */
  protocol?: 'https' | 'http';
  /**
   * Host templates per service, `{Bucket}` and `{Region}` replaced, with an optional port
   * (`{Bucket}.cos.{Region}.localhost:8700` for the emulator).
   *
   * @default { cos: '{Bucket}.cos.{Region}.myqcloud.com', ci: '{Bucket}.ci.{Region}.myqcloud.com' }
   */
  domains?: { cos?: string; ci?: string };
  /**
   * Milliseconds a request may go without any progress (upload, headers, body) before it fails with `timeout`;
   * 0 disables the limit.
   *
   * @default 60000
   */
  timeout?: number;
}

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
   * Headers to send. `Content-Length` is computed from `body` (a given one is ignored); the session token and
   * `Authorization` are added by the client.
   */
  headers?: Readonly<Record<string, string>>;
  /** The body; not allowed with `GET` and `HEAD`. Sent again as is on a retry. */
  body?: HttpRequest['body'];
  /** The CAM action the request performs, `name/cos:PutObject`, passed to the authorizer. */
  action: string;
  /** The step this request belongs to; errors carry it. */
  phase: Phase;
  /**
   * Whether sending the request twice has the effect of sending it once. When `false` (`POST /jobs`), a failure
   * after which the service may have acted (a network error, a timeout, a 5xx) is not retried but thrown with
   * `retryable: true`, so that the caller can look up what happened first.
   *
   * @default true
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

const DEFAULT_TIMEOUT = 60_000;

function invalidOptions(message: string): TranscoderError {
  return new TranscoderError(`Invalid client options: ${message}`, { code: 'invalid-options', phase: 'options' });
}

/**
 * The signed request pipeline for COS and CI: builds the URL, signs every attempt through the {@link Authorizer},
 * adds the session token, sends through the {@link Transport}, and recovers from what can be recovered:
 *
 * - a clock the service says is off (`RequestTimeTooSkewed`, `AccessDenied`/`Request has expired` with a `Date`
 *   30 s or more away): the clock is corrected and the request re-signed at once, at most twice;
 * - expired credentials (see `isExpiredCredentialsError`): the authorizer is invalidated and the request re-signed
 *   once;
 * - network errors, timeouts, 5xx and 429: retried after the policy's delays or the server's `Retry-After`, unless
 *   the request is not idempotent and may have been processed.
 *
 * Every other failure is thrown at once as a {@link TranscoderError} with `attempts` set. 2xx responses are
 * returned as they are: the client never reads their bodies.
 *
 * @example
 * ```ts
 * const clock = new SkewCorrectedClock();
 * const client = new ServiceClient({
 *   transport: new XhrTransport(),
 *   authorizer: new CredentialProvider({ getAuthorization, clock }),
 *   bucket: 'examplebucket-1250000000',
 *   region: 'ap-guangzhou',
 *   clock,
 * });
 * const { headers } = await client.request({
 *   service: 'cos', method: 'PUT', key: 'input/a b.mp4', body: file,
 *   headers: { 'content-type': file.type }, action: 'name/cos:PutObject', phase: 'upload',
 *   onUploadProgress: (sent, total) => console.log(sent / total),
 * });
 * ```
 */
export class ServiceClient {
  /** The corrected clock; share it with the authorizer. */
  readonly clock: Clock;
  /** The bucket every request goes to, `examplebucket-1250000000`. */
  readonly bucket: string;
  /** The bucket's region, `ap-guangzhou`. */
  readonly region: string;
  readonly #transport: Transport;
  readonly #authorizer: Authorizer;
  readonly #retry: RetryPolicy;
  readonly #protocol: 'https' | 'http';
  readonly #hosts: Readonly<Record<Service, string>>;
  readonly #timeout: number;

  constructor(options: ServiceClientOptions) {
    if (options === null || typeof options !== 'object') throw invalidOptions('expected an object');
    const { transport, authorizer, bucket, region } = options;
    if (typeof transport?.send !== 'function') throw invalidOptions('transport must have a send() method');
    if (typeof authorizer?.authorize !== 'function' || typeof authorizer.invalidate !== 'function') {
      throw invalidOptions('authorizer must have authorize() and invalidate() methods');
    }
    if (typeof bucket !== 'string' || !BUCKET_PATTERN.test(bucket)) {
      throw invalidOptions('bucket must be a bucket name with its APPID, like "examplebucket-1250000000"');
    }
    if (typeof region !== 'string' || !REGION_PATTERN.test(region)) {
      throw invalidOptions('region must be a region name, like "ap-guangzhou"');
    }
    const protocol = options.protocol ?? 'https';
    if (protocol !== 'https' && protocol !== 'http') throw invalidOptions('protocol must be "https" or "http"');
    const timeout = options.timeout ?? DEFAULT_TIMEOUT;
    if (!isTimeout(timeout)) throw invalidOptions('timeout must be non-negative milliseconds');
    const clock = options.clock ?? new SkewCorrectedClock();
    if (typeof clock.now !== 'function' || typeof clock.observe !== 'function') {
      throw invalidOptions('clock must have now() and observe() methods');
    }
    this.#hosts = Object.freeze({
      cos: resolveHost(options.domains?.cos ?? DEFAULT_DOMAINS.cos, bucket, region),
      ci: resolveHost(options.domains?.ci ?? DEFAULT_DOMAINS.ci, bucket, region),
    });
    this.#retry = resolveRetry(options.retry);
    this.#transport = transport;
    this.#authorizer = authorizer;
    this.#protocol = protocol;
    this.#timeout = timeout;
    this.clock = clock;
    this.bucket = bucket;
    this.region = region;
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
    const phase = request.phase;
    if (request.signal?.aborted) throw abortError(request.signal, phase);
    const prepared = prepareRequest(request, {
      hosts: this.#hosts,
      protocol: this.#protocol,
      timeout: this.#timeout,
    });
    const { signal } = request;
    let attempts = 0;
    let retries = 0;
    let skewRetries = 0;
    let credentialsRenewed = false;
    for (;;) {
      attempts += 1;
      const headers = await this.#sign(prepared).catch((caught: unknown) => {
        throw (signal?.aborted ? abortError(signal, phase) : signError(caught, prepared.operation)).with({ attempts });
      });
      let error: TranscoderError;
      let body: ErrorBody | undefined;
      let retryAfter: number | undefined;
      try {
        const response = await this.#transport.send({
          method: prepared.method,
          url: prepared.url,
          headers,
          ...(request.body === undefined ? {} : { body: request.body }),
          timeout: prepared.timeout,
          ...(signal ? { signal } : {}),
          ...(request.onUploadProgress ? { onUploadProgress: request.onUploadProgress } : {}),
        });
        if (response.status >= 200 && response.status <= 299) {
          const requestId = requestIdOf(response);
          return { ...response, ...(requestId === undefined ? {} : { requestId }), attempts };
        }
        body = parseErrorBody(response.body);
        const context = { operation: prepared.operation, method: prepared.method, url: prepared.url, phase };
        error = errorFromResponse(response, context, body);
        const serverTime =
          skewRetries < MAX_CLOCK_SKEW_RETRIES ? skewCorrection(response, body, this.clock) : undefined;
        if (serverTime !== undefined) {
          this.clock.observe(serverTime);
          skewRetries += 1;
          continue;
        }
        if (!credentialsRenewed && isExpiredCredentialsError(body)) {
          this.#authorizer.invalidate();
          credentialsRenewed = true;
          continue;
        }
        retryAfter = parseRetryAfter(response.headers['retry-after'], this.clock.now());
      } catch (caught) {
        if (signal?.aborted) throw abortError(signal, phase).with({ attempts });
        error = transportError(caught, prepared);
      }
      retries += 1;
      if (!this.#mayRetry(error, body, prepared, retries)) throw error.with({ attempts });
      const wait = retryDelay(this.#retry, retries, retryAfter) ?? 0;
      await delay(wait, signal).catch(() => {
        throw abortError(signal, phase).with({ attempts });
      });
    }
  }

  /** Signs one attempt and returns the headers to send: the request's, `host`, `authorization`, the token. */
  async #sign(prepared: PreparedRequest): Promise<Record<string, string>> {
    const { source } = prepared;
    const authorization = await this.#authorizer.authorize(
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
    if (typeof authorization?.authorization !== 'string' || authorization.authorization === '') {
      throw new TranscoderError(`Could not sign ${prepared.operation}: the authorizer returned no Authorization`, {
        code: 'sign-failed',
        phase: 'sign',
      });
    }
    const headers: Record<string, string> = { ...prepared.headers, host: prepared.host };
    delete headers['x-cos-security-token'];
    delete headers['x-ci-security-token'];
    headers.authorization = authorization.authorization;
    // Added after signing, never signed; the name follows the host, as in the official browser SDK.
    if (authorization.securityToken) headers[`x-${source.service}-security-token`] = authorization.securityToken;
    return headers;
  }

  #mayRetry(error: TranscoderError, body: ErrorBody | undefined, prepared: PreparedRequest, retry: number): boolean {
    if (retry > this.#retry.delays.length) return false;
    if (!prepared.idempotent && !isCertainlyUnprocessed(error, body)) return false;
    const { shouldRetry } = this.#retry;
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
 * `TranscoderError` breaks the {@link Transport} contract and is taken as a network error.
 */
function transportError(caught: unknown, prepared: PreparedRequest): TranscoderError {
  const { operation, method, url } = prepared;
  const phase = prepared.source.phase;
  if (!isTranscoderError(caught)) {
    return new TranscoderError(`${operation} failed: ${describeRequest(method, url)} got no response`, {
      code: 'network',
      phase,
      retryable: true,
      cause: caught,
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
