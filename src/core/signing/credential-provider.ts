import * as z from 'zod/mini';
import { TranscoderError } from '../errors.js';
import { callable, milliseconds, parseOptions, wholeNumber, withMethods } from '../options.js';
import { CLOCK_SKEW_THRESHOLD_MS, SkewCorrectedClock, unixSeconds, type Clock } from '../transport/clock.js';
import {
  createAuthorizationWithSignKey,
  deriveSignKey,
  formatKeyTime,
  parseAuthorization,
  type KeyTime,
} from './authorization.js';
import {
  normalizeAuthorizationResult,
  type GetAuthorization,
  type NormalizedAuthorization,
  type NormalizedCredentials,
} from './credentials.js';
import { HostCall, signingAborted } from './host-call.js';
import type { AuthorizationRequest, Authorizer, SignedAuthorization } from './types.js';

/** Options of {@link CredentialProvider}. */
export interface CredentialProviderOptions {
  /** The host page's signing callback. */
  getAuthorization: GetAuthorization;
  /**
   * The clock signatures are timed with. Share it with the transport, which corrects it from `Date` headers.
   * @default new SkewCorrectedClock()
   */
  clock?: Clock;
  /**
   * Milliseconds `getAuthorization` may take before the signing fails with `sign-failed`.
   * @default 15000
   */
  timeout?: number;
  /**
   * Seconds before `ExpiredTime` from which cached credentials sign nothing new and the host is asked again.
   * Credentials that arrive with less than twice this left are kept for half of what they have left instead, so
   * short-lived credentials are still reused.
   * @default 60
   */
  refreshAhead?: number;
  /**
   * Seconds a signature made in the browser stays valid (never past `ExpiredTime`). At least 60.
   * @default 900
   */
  signatureLifetime?: number;
}

/** Validates {@link CredentialProviderOptions}. */
const CredentialProviderOptionsSchema = z.object({
  getAuthorization: callable<GetAuthorization>(),
  clock: z.optional(withMethods<Clock>(['now', 'observe'], 'must be a Clock, with now() and observe()')),
  // The ceiling is what setTimeout can wait.
  timeout: z.optional(milliseconds(1)),
  refreshAhead: z.optional(wholeNumber(0, Number.MAX_SAFE_INTEGER, 'must be a whole number of seconds, 0 or more')),
  signatureLifetime: z.optional(
    wholeNumber(60, Number.MAX_SAFE_INTEGER, 'must be a whole number of seconds, 60 or more'),
  ),
});

/**
 * How far back a local signature's window starts: the service rejects a window that starts in its future, and a
 * clock is only corrected once it is more than `CLOCK_SKEW_THRESHOLD_MS` off. The Python SDK backdates by as much.
 */
const BACKDATE_SECONDS = 60;

/** A key time and the SignKey derived for it: what signing needs, without the secret key. */
interface SigningKey {
  keyTime: KeyTime;
  signKey: Promise<string>;
}

interface CachedCredentials {
  credentials: NormalizedCredentials;
  /** Unix seconds from which the credentials sign nothing new. */
  staleAt: number;
  /** The last key time these credentials signed over, reused by the next signatures while it is good enough. */
  signingKey?: SigningKey;
}

/** Whether `signed` was made with `credentials`: by its key id, or by the session token sent with it. */
function signedWith(signed: SignedAuthorization, credentials: NormalizedCredentials): boolean {
  const { authorization, securityToken } = signed;
  const secretId = typeof authorization === 'string' ? parseAuthorization(authorization)?.secretId : undefined;
  if (secretId === credentials.secretId) return true;
  return securityToken !== undefined && securityToken === credentials.securityToken;
}

const isShareable = (result: NormalizedAuthorization): result is NormalizedCredentials =>
  result.kind === 'credentials' && result.scopeLimit !== true;

/**
 * Signs every request of the widget through the host's `getAuthorization`, implementing {@link Authorizer}.
 *
 * - Temporary credentials are cached and sign requests in the browser until `refreshAhead` seconds before they
 *   expire; then the host is asked again before signing.
 * - Calls made while credentials are being fetched wait for that one fetch (single flight).
 * - `invalidate(rejected)` drops the cached credentials only if they made `rejected`, and lets a fetch already
 *   running go on: when many requests fail together with expired credentials, the host is asked once.
 * - Requests signed over the same key time share one derived SignKey, kept with the cached credentials and dropped
 *   with them.
 * - A ready signature is good for its own request only: it is never cached nor shared. The first call a provider
 *   makes cannot know which kind the host returns, so it carries its own request; if the answer is a signature,
 *   the calls that waited for it each ask the host with their own request, and so do all later calls until the
 *   host answers with credentials again. Credentials marked `ScopeLimit` are handled the same way.
 * - Each call may stop waiting on its own `signal` (`aborted`); the host's call is cancelled (its `signal` aborted)
 *   only when nobody waits for it any more, or after `timeout`.
 * - The clock is set to `StartTime` when that is ahead of it by more than `CLOCK_SKEW_THRESHOLD_MS`, or when the
 *   credentials look expired on arrival: either way the clock must be wrong.
 *
 * Secrets stay in private fields of the provider and go when it does: nothing is logged, stored, shared between
 * providers or visible to `JSON.stringify`.
 *
 * @example
 * ```ts
 * const authorizer = new CredentialProvider({
 *   getAuthorization: async (request, { signal }) => (await fetch('/sts', { signal })).json(),
 * });
 * const { authorization, securityToken } = await authorizer.authorize(request, { signal });
 * ```
 */
export class CredentialProvider implements Authorizer {
  readonly #getAuthorization: GetAuthorization;
  readonly #clock: Clock;
  readonly #timeout: number;
  readonly #refreshAhead: number;
  readonly #signatureLifetime: number;
  #cached: CachedCredentials | undefined;
  /** The credential fetch later calls wait for, while it runs. */
  #inflight: HostCall<NormalizedAuthorization> | undefined;
  /** Whether the host's last answer was only good for the request it was asked for. */
  #perRequest = false;
  /** Bumped by `invalidate()`, so that a fetch started before it caches nothing. */
  #generation = 0;

  /** @throws {TranscoderError} `invalid-options` when an option is invalid. */
  constructor(options: CredentialProviderOptions) {
    const parsed = parseOptions(CredentialProviderOptionsSchema, options, 'CredentialProvider');
    this.#getAuthorization = parsed.getAuthorization;
    this.#clock = parsed.clock ?? new SkewCorrectedClock();
    this.#timeout = parsed.timeout ?? 15_000;
    this.#refreshAhead = parsed.refreshAhead ?? 60;
    this.#signatureLifetime = parsed.signatureLifetime ?? 900;
  }

  /** The clock signatures are timed with: the one given in the options, or the provider's own. */
  get clock(): Clock {
    return this.#clock;
  }

  /**
   * Signs `request`: with cached credentials when they are fresh enough, otherwise through the host.
   *
   * @throws {TranscoderError} `sign-failed` when the host throws, times out or answers with something unusable;
   * `aborted` when `signal` aborts first.
   */
  async authorize(request: AuthorizationRequest, options: { signal?: AbortSignal } = {}): Promise<SignedAuthorization> {
    const { signal } = options;
    if (signal?.aborted) throw signingAborted(signal);
    const cached = this.#fresh();
    if (cached) return this.#sign(request, cached);

    if (!this.#perRequest) {
      const running = this.#inflight;
      if (!running) return this.#use(request, await this.#call(request, true).wait(signal));
      const result = await running.wait(signal);
      if (isShareable(result)) return this.#sign(request, result);
      // That answer was for the request the fetch was started with; this request needs its own.
    }
    return this.#use(request, await this.#call(request, false).wait(signal));
  }

  /**
   * Drops cached credentials, so that the next `authorize` asks the host again.
   *
   * @param rejected The signature the service refused. Given, only the credentials that made it are dropped (by
   * key id or session token), and a fetch already running goes on: it started after them. Without it, everything
   * goes, and a fetch already running caches nothing.
   */
  invalidate(rejected?: SignedAuthorization): void {
    if (rejected != null) {
      if (this.#cached && signedWith(rejected, this.#cached.credentials)) this.#cached = undefined;
      return;
    }
    this.#cached = undefined;
    this.#inflight = undefined;
    this.#generation += 1;
  }

  #fresh(): NormalizedCredentials | undefined {
    const cached = this.#cached;
    return cached && unixSeconds(this.#clock) < cached.staleAt ? cached.credentials : undefined;
  }

  #call(request: AuthorizationRequest, shared: boolean): HostCall<NormalizedAuthorization> {
    const generation = this.#generation;
    const getAuthorization = this.#getAuthorization;
    const call: HostCall<NormalizedAuthorization> = new HostCall(
      (signal) => getAuthorization(request, { signal }),
      (answer) => this.#accept(answer, generation),
      this.#timeout,
      () => {
        if (this.#inflight === call) this.#inflight = undefined;
      },
    );
    if (shared) this.#inflight = call;
    return call;
  }

  /** Validates an answer, corrects the clock, and caches credentials; runs once per host call. */
  #accept(answer: unknown, generation: number): NormalizedAuthorization {
    const result = normalizeAuthorizationResult(answer);
    this.#perRequest = !isShareable(result);
    if (result.kind === 'signature') return result;

    this.#correctClock(result);
    const left = result.expiredTime - unixSeconds(this.#clock);
    if (left <= 0) {
      throw new TranscoderError(
        `getAuthorization returned credentials that expired ${-left} s ago by the corrected clock` +
          (result.startTime === undefined ? '; return "StartTime" too so that the clock can be corrected' : ''),
        { code: 'sign-failed', phase: 'sign' },
      );
    }
    if (isShareable(result) && generation === this.#generation) {
      // Half of what is left, for credentials shorter-lived than twice refreshAhead: else every call would refetch.
      const margin = Math.min(this.#refreshAhead, Math.floor(left / 2));
      this.#cached = { credentials: result, staleAt: result.expiredTime - margin };
    }
    return result;
  }

  /**
   * StartTime is the service's clock when the credentials were issued: qcloud-cos-sts computes it as STS's
   * `ExpiredTime` minus the duration it asked for. It is not the service's *now*, though: a backend that caches
   * credentials hands out a StartTime minutes old, and taking that for now would break every signature. What it
   * proves is a range: the service's now is at or after StartTime and, as the host hands out live credentials,
   * before ExpiredTime. So the clock is corrected, to StartTime, only when it falls outside that range by more than
   * the clock's noise threshold; inside it the `Date` header of a response is the better witness.
   */
  #correctClock({ startTime, expiredTime }: NormalizedCredentials): void {
    if (startTime === undefined) return;
    const now = this.#clock.now();
    const start = startTime * 1000;
    const behind = start - now > CLOCK_SKEW_THRESHOLD_MS;
    const ahead = now >= expiredTime * 1000 && now - start > CLOCK_SKEW_THRESHOLD_MS;
    if (behind || ahead) this.#clock.observe(start);
  }

  #use(request: AuthorizationRequest, result: NormalizedAuthorization): Promise<SignedAuthorization> {
    if (result.kind === 'credentials') return this.#sign(request, result);
    const { authorization, securityToken } = result;
    return Promise.resolve(securityToken === undefined ? { authorization } : { authorization, securityToken });
  }

  /**
   * The signature's validity window and its SignKey. The window is backdated, but not before StartTime (so it stays
   * inside the credentials' lifetime) and not after now (a StartTime from a host whose clock runs ahead of the
   * service's would start the window in the service's future).
   */
  #signingKey(credentials: NormalizedCredentials): SigningKey {
    const now = unixSeconds(this.#clock);
    const start = Math.min(now, Math.max(credentials.startTime ?? 0, now - BACKDATE_SECONDS));
    const end = Math.max(start, Math.min(now + this.#signatureLifetime, credentials.expiredTime));
    // Only cached credentials keep a SignKey: one-off credentials (ScopeLimit, or fetched before an invalidate)
    // leave nothing behind once their request is signed.
    const cached = this.#cached?.credentials === credentials ? this.#cached : undefined;
    const last = cached?.signingKey;
    // Requests signed over one key time share its derived SignKey, one HMAC fewer for each part of an upload. The
    // last window serves while it starts no later than a new one would (a clock corrected backwards ends that) and
    // still has half its life left, or lasts as long as a new one anyway.
    if (
      last &&
      last.keyTime.start <= start &&
      (last.keyTime.end - now >= this.#signatureLifetime / 2 || last.keyTime.end >= end)
    ) {
      return last;
    }
    const keyTime = { start, end };
    const next: SigningKey = { keyTime, signKey: deriveSignKey(credentials.secretKey, formatKeyTime(keyTime)) };
    if (cached) {
      cached.signingKey = next;
      next.signKey.catch(() => {
        if (cached.signingKey === next) cached.signingKey = undefined;
      });
    }
    return next;
  }

  async #sign(request: AuthorizationRequest, credentials: NormalizedCredentials): Promise<SignedAuthorization> {
    const { keyTime, signKey } = this.#signingKey(credentials);
    const authorization = await createAuthorizationWithSignKey({
      secretId: credentials.secretId,
      signKey: await signKey,
      method: request.method,
      pathname: request.pathname,
      query: request.query,
      headers: request.headers,
      keyTime,
    });
    return { authorization, securityToken: credentials.securityToken };
  }
}
