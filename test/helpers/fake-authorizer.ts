import type { AuthorizationRequest, Authorizer, SignedAuthorization } from '../../src/core/signing/types.js';
import {
  canonicalize,
  computeSignature,
  createAuthorization,
  parseAuthorization,
} from '../../src/core/signing/authorization.js';
import { unixSeconds, type Clock } from '../../src/core/transport/clock.js';

/** Fixed, fake temporary credentials. */
export const FAKE_SECRET_ID = 'AKIDfakeTmpSecretId0000000000000000';
export const FAKE_SECRET_KEY = 'fakeTmpSecretKey000000000000000';

/**
 * An {@link Authorizer} that signs with `createAuthorization` and fixed keys over `[clock, clock + 900 s]`, exposes
 * its clock as a `CredentialProvider` does, and records what it was asked. Each `invalidate()` starts a new
 * credential generation, visible in the token (`token-1`, `token-2`...).
 */
export class FakeAuthorizer implements Authorizer {
  readonly calls: AuthorizationRequest[] = [];
  /** The argument of each `invalidate()` call: the signature the service refused. */
  readonly invalidated: (SignedAuthorization | undefined)[] = [];
  /** What each `authorize()` call returned, in order. */
  readonly signed: SignedAuthorization[] = [];
  readonly clock: Clock | undefined;
  readonly #signingClock: Clock;
  readonly #token: boolean;
  readonly #failures: unknown[] = [];
  #failure: unknown;

  /** `shareClock: false` hides the clock, as an authorizer that keeps its own time would. */
  constructor(options: { clock: Clock; token?: boolean; shareClock?: boolean }) {
    this.#signingClock = options.clock;
    this.clock = options.shareClock === false ? undefined : options.clock;
    this.#token = options.token ?? true;
  }

  get invalidations(): number {
    return this.invalidated.length;
  }

  /** Makes the next `authorize` calls throw `error`. */
  failWith(error: unknown): void {
    this.#failure = error;
  }

  /** Makes the next `authorize` call (only) throw `error`; queued calls fail in order. */
  failOnceWith(error: unknown): void {
    this.#failures.push(error);
  }

  get token(): string {
    return `token-${this.invalidations + 1}`;
  }

  async authorize(request: AuthorizationRequest): Promise<SignedAuthorization> {
    this.calls.push(request);
    if (this.#failures.length > 0) throw this.#failures.shift();
    if (this.#failure !== undefined) throw this.#failure;
    const start = unixSeconds(this.#signingClock);
    const authorization = await createAuthorization({
      secretId: FAKE_SECRET_ID,
      secretKey: FAKE_SECRET_KEY,
      method: request.method,
      pathname: request.pathname,
      query: request.query,
      headers: request.headers,
      keyTime: { start, end: start + 900 },
    });
    const signed = this.#token ? { authorization, securityToken: this.token } : { authorization };
    this.signed.push(signed);
    return signed;
  }

  invalidate(rejected?: SignedAuthorization): void {
    this.invalidated.push(rejected);
  }
}

/** What a server received: enough to check a signature the way COS does. */
export interface ReceivedRequest {
  method: string;
  /** The decoded path. */
  path: string;
  /** The decoded query. */
  query: Readonly<Record<string, string>>;
  /** The received headers, any case. */
  headers: Readonly<Record<string, string | undefined>>;
}

/**
 * Verifies the `Authorization` header of a received request as the service does: the listed headers and
 * parameters are taken from the request itself, then canonicalised and signed with the fake key.
 */
export async function verifySignature(received: ReceivedRequest, secretKey = FAKE_SECRET_KEY): Promise<boolean> {
  const lower: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(received.headers)) lower[name.toLowerCase()] = value;
  const parsed = parseAuthorization(lower.authorization ?? '');
  if (!parsed) return false;
  const headers: Record<string, string> = {};
  for (const name of parsed.headerList) headers[name] = lower[name] ?? '';
  const queryLower: Record<string, string> = {};
  for (const [name, value] of Object.entries(received.query)) queryLower[name.toLowerCase()] = value;
  const query: Record<string, string> = {};
  for (const name of parsed.urlParamList) query[name] = queryLower[name] ?? '';
  const canonical = canonicalize({ method: received.method, pathname: received.path, query, headers });
  return (await computeSignature(secretKey, parsed.keyTime, canonical.httpString)) === parsed.signature;
}
