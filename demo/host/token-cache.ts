// STS temporary credentials kept on the host's server for their lifetime minus a margin, so that a page asking for
// credentials on every request (as `auth-url` does until the core caches them) costs one STS call per lifetime.

/** What {@link createTokenCache} caches: anything with an expiry in Unix seconds. */
export interface Expiring {
  expiredTime: number;
}

/** Options of {@link createTokenCache}. */
export interface TokenCacheOptions<T extends Expiring> {
  /** Asks STS for a new token. */
  fetch: () => Promise<T>;
  /**
   * Seconds before `expiredTime` a token stops being handed out, so that a page's signatures made with it stay
   * valid while requests are under way. @default 300
   */
  marginSeconds?: number;
  /** Unix seconds now. @default the system clock */
  now?: () => number;
}

/** The cached token, and how many times STS was asked (for tests and logs). */
export interface TokenCache<T> {
  get(): Promise<T>;
  readonly fetches: number;
}

/**
 * A single-flight cache of one token: callers while a fetch is under way share it; a failed fetch is not kept.
 *
 * @example
 * const sts = createTokenCache({ fetch: () => getFederationToken({ ... }) });
 * const token = await sts.get();
 */
export function createTokenCache<T extends Expiring>(options: TokenCacheOptions<T>): TokenCache<T> {
  const margin = options.marginSeconds ?? 300;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  let current: { promise: Promise<T>; expiredTime?: number } | undefined;
  let fetches = 0;
  return {
    get fetches() {
      return fetches;
    },
    get() {
      if (current && (current.expiredTime === undefined || current.expiredTime - margin > now())) return current.promise;
      fetches += 1;
      const entry: { promise: Promise<T>; expiredTime?: number } = {
        promise: options.fetch().then(
          (token) => {
            entry.expiredTime = token.expiredTime;
            return token;
          },
          (error: unknown) => {
            if (current === entry) current = undefined;
            throw error;
          },
        ),
      };
      current = entry;
      return entry.promise;
    },
  };
}
