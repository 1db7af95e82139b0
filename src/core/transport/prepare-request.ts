import { TranscoderError, isTranscoderError, type Phase } from '../errors.js';
import type { Service } from '../signing/types.js';
import { MAX_DELAY_MS, isDelayMs } from './delay.js';
import { buildUrl, requestPathname } from './endpoint.js';
import { bodyByteLength, normalizeHeaders } from './headers.js';
import type { ServiceRequest } from './service-client.js';

/** A {@link ServiceRequest} checked and resolved once, then signed and sent by each attempt. */
export interface PreparedRequest {
  readonly source: ServiceRequest;
  /** Upper-case method. */
  readonly method: string;
  /** Absolute URL, encoded query included. */
  readonly url: string;
  /** The URL's authority as the browser sends it in `Host` (a default port dropped). */
  readonly host: string;
  /** Decoded path, as signed. */
  readonly pathname: string;
  readonly query: Readonly<Record<string, string>>;
  /** Headers with lower-cased names, `content-length` computed from the body. */
  readonly headers: Readonly<Record<string, string>>;
  /** The CAM action without its `name/` prefix, `cos:PutObject`, for messages. */
  readonly operation: string;
  readonly idempotent: boolean;
  readonly timeout: number;
}

/** The client settings a request is prepared with. */
export interface PrepareContext {
  hosts: Readonly<Record<Service, string>>;
  protocol: 'https' | 'http';
  /** The client's default timeout, ms. */
  timeout: number;
}

/**
 * The methods a {@link ServiceRequest} may use: those of COS and CI. Each is one the signer accepts; `OPTIONS`
 * (CORS preflight) is never signed.
 */
export const REQUEST_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);

function invalidRequest(message: string, phase: Phase): TranscoderError {
  return new TranscoderError(message, { code: 'invalid-request', phase });
}

/**
 * Checks a request and computes what every attempt shares: method, URL, host, decoded path, headers. Throws an
 * `invalid-request` {@link TranscoderError} (nothing is sent) for an unknown method or service, a missing action,
 * a body on `GET`/`HEAD`, a bad key, path, header, query value or timeout.
 */
export function prepareRequest(request: ServiceRequest, context: PrepareContext): PreparedRequest {
  const { phase } = request;
  const method = typeof request.method === 'string' ? request.method.toUpperCase() : '';
  if (!REQUEST_METHODS.has(method)) throw invalidRequest(`Unsupported HTTP method "${String(request.method)}"`, phase);
  const host = Object.hasOwn(context.hosts, request.service) ? context.hosts[request.service] : undefined;
  if (host === undefined) throw invalidRequest(`Unknown service "${String(request.service)}"`, phase);
  if (typeof request.action !== 'string' || request.action === '') {
    throw invalidRequest('A request needs its CAM action, like "name/cos:PutObject"', phase);
  }
  if (request.body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw invalidRequest(`A ${method} request cannot have a body`, phase);
  }
  const timeout = request.timeout ?? context.timeout;
  if (!isDelayMs(timeout)) throw invalidRequest(`timeout must be milliseconds from 0 to ${MAX_DELAY_MS}`, phase);
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (typeof value !== 'string') throw invalidRequest(`Query parameter "${name}" must be a string`, phase);
    query[name] = value;
  }
  let pathname: string;
  let headers: Record<string, string>;
  try {
    pathname = requestPathname(request);
    headers = normalizeHeaders(request.headers);
  } catch (error) {
    throw isTranscoderError(error) ? error.with({ phase }) : error;
  }
  // The browser computes Content-Length from the body itself: a given value could only disagree with it.
  delete headers['content-length'];
  if (request.body !== undefined) headers['content-length'] = String(bodyByteLength(request.body));
  const url = buildUrl({ protocol: context.protocol, host, pathname, query });
  return {
    source: request,
    method,
    url,
    // `URL` drops a default port (`:443`) as the browser's Host header does, so the signed host matches.
    host: new URL(url).host,
    pathname,
    query,
    headers,
    operation: request.action.replace(/^name\//, ''),
    idempotent: request.idempotent ?? method !== 'POST',
    timeout,
  };
}
