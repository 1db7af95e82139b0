import type { Clock } from '../transport/clock.js';

/** Which Tencent Cloud service a request goes to: COS (objects) or CI (media jobs). */
export type Service = 'cos' | 'ci';

/**
 * What the host's `getAuthorization` receives for each request: everything needed to sign it or to decide
 * whether to allow it.
 */
export interface AuthorizationRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** The request's authority, `host[:port]`, exactly as signed. */
  host: string;
  /** The decoded path to sign, `/` + object key, or `/jobs`, `/jobs/<id>`. */
  pathname: string;
  /** The query parameters to sign (action parameters such as `uploads` have `''`). */
  query: Readonly<Record<string, string>>;
  /** The headers to sign, names lower-cased, `host` included. */
  headers: Readonly<Record<string, string>>;
  /** Bucket name with its APPID, `examplebucket-1250000000`. */
  bucket: string;
  /** Region, `ap-guangzhou`. */
  region: string;
  /** The object key the request touches, when it touches one (no leading `/`). */
  key?: string;
  service: Service;
  /** The CAM action, `name/cos:PutObject`, `ci:CreateMediaJobs`..., for hosts that check policy before signing. */
  action: string;
}

/** A signature ready to put on a request. */
export interface SignedAuthorization {
  /** The `Authorization` header value. */
  authorization: string;
  /** The STS session token, sent as `x-cos-security-token` (COS) or `x-ci-security-token` (CI). */
  securityToken?: string;
}

/** Signs requests. The transport calls it before every attempt; {@link CredentialProvider} is the implementation. */
export interface Authorizer {
  authorize(request: AuthorizationRequest, options?: { signal?: AbortSignal }): Promise<SignedAuthorization>;
  /**
   * Forgets cached credentials after the service said they expired, so that the next `authorize` asks the host
   * again. With `rejected` (the signature the service refused), credentials fetched since then are kept: when many
   * requests fail together, the host is asked once, not once per request.
   */
  invalidate(rejected?: SignedAuthorization): void;
  /**
   * The clock signatures are made with. A `ServiceClient` corrects this same clock when the service reports
   * skew, so that the retry is signed with the server's time.
   */
  readonly clock?: Clock;
}
