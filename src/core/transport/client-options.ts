import * as z from 'zod/mini';
import { callable, matching, milliseconds, oneOf, optionsError, parseOptions, withMethods } from '../options.js';
import { CredentialProvider } from '../signing/credential-provider.js';
import type { GetAuthorization } from '../signing/credentials.js';
import type { Authorizer, Service } from '../signing/types.js';
import { SkewCorrectedClock, type Clock } from './clock.js';
import { BUCKET_PATTERN, DEFAULT_DOMAINS, REGION_PATTERN, resolveHost } from './endpoint.js';
import { FetchTransport } from './fetch-transport.js';
import { RetryOptionsSchema, resolveRetry, type RetryOptions, type RetryPolicy } from './retry.js';
import type { Transport } from './types.js';
import { XhrTransport } from './xhr-transport.js';

/** Options of `ServiceClient`. */
export interface ServiceClientOptions {
  /**
   * Sends the requests.
   * @default an `XhrTransport` where `XMLHttpRequest` exists (upload progress), else a `FetchTransport`
   */
  transport?: Transport;
  /**
   * The host page's signing callback: a {@link CredentialProvider} is made from it (on `clock` when given). Give
   * either this or {@link authorizer}.
   */
  getAuthorization?: GetAuthorization;
  /** Signs each attempt; `CredentialProvider` is the implementation. Give either this or {@link getAuthorization}. */
  authorizer?: Authorizer;
  /** Bucket name with its APPID, `examplebucket-1250000000`. */
  bucket: string;
  /** Region, `ap-guangzhou`. */
  region: string;
  /**
   * The clock signatures are made with; the client corrects it when the service reports a skew. Leave it out to
   * use the authorizer's own (`authorizer.clock`), so that a correction reaches the signer and the retry is signed
   * with the server's time. A clock other than `authorizer.clock` is an error. With `getAuthorization`, the
   * credential provider made from it signs with this clock.
   *
   * @default authorizer.clock ?? new SkewCorrectedClock()
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
   * Milliseconds a request may go without progress before it fails with `timeout`, at most 2147483647; 0 disables
   * the limit. With `XhrTransport` every kind of progress counts (upload, headers, body). `FetchTransport` cannot
   * see the upload: with it, sending the whole body and getting the response headers must fit in this time.
   *
   * @default 60000
   */
  timeout?: number;
}

/** {@link ServiceClientOptions} checked, with the defaults filled in. */
export interface ClientSettings {
  readonly transport: Transport;
  readonly authorizer: Authorizer;
  readonly bucket: string;
  readonly region: string;
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  readonly protocol: 'https' | 'http';
  /** The `host[:port]` of each service. */
  readonly hosts: Readonly<Record<Service, string>>;
  readonly timeout: number;
}

const DEFAULT_TIMEOUT = 60_000;

/** Validates {@link ServiceClientOptions}. */
const ClientOptionsSchema = z.object({
  transport: z.optional(withMethods<Transport>(['send'], 'must have a send() method')),
  getAuthorization: z.optional(callable<GetAuthorization>()),
  authorizer: z.optional(
    withMethods<Authorizer>(['authorize', 'invalidate'], 'must have authorize() and invalidate() methods'),
  ),
  bucket: matching(BUCKET_PATTERN, 'must be a bucket name with its APPID, like "examplebucket-1250000000"'),
  region: matching(REGION_PATTERN, 'must be a region name, like "ap-guangzhou"'),
  clock: z.optional(withMethods<Clock>(['now', 'observe'], 'must have now() and observe() methods')),
  retry: z.optional(RetryOptionsSchema),
  protocol: z.optional(oneOf(['https', 'http'])),
  domains: z.optional(z.object({ cos: z.optional(z.string()), ci: z.optional(z.string()) })),
  timeout: z.optional(milliseconds()),
});

/** The transport of a client given none: XHR in browsers (it reports upload progress), fetch elsewhere. */
export function defaultTransport(): Transport {
  return typeof XMLHttpRequest === 'function' ? new XhrTransport() : new FetchTransport();
}

/**
 * Checks `options` and fills in the defaults. Throws an `invalid-options` {@link TranscoderError} for a bad
 * transport, a missing or doubled signer (`authorizer` / `getAuthorization`), a bad bucket, region, protocol,
 * domain, timeout, clock or retry policy, or a clock that is not the authorizer's.
 */
export function resolveClientOptions(options: ServiceClientOptions): ClientSettings {
  const parsed = parseOptions(ClientOptionsSchema, options, 'client');
  const { bucket, region, getAuthorization } = parsed;
  if ((parsed.authorizer === undefined) === (getAuthorization === undefined)) {
    throw optionsError('client', 'authorizer', 'or getAuthorization must be given, and not both');
  }
  const own = parsed.clock ?? undefined;
  const authorizer =
    parsed.authorizer ??
    new CredentialProvider({ getAuthorization: getAuthorization!, ...(own ? { clock: own } : {}) });
  const authorizers = authorizer.clock ?? undefined;
  if (own !== undefined && authorizers !== undefined && own !== authorizers) {
    // Two clocks would let a skew correction miss the signer: the retry would be signed with the same wrong time.
    throw optionsError('client', 'clock', "must be the authorizer's clock; leave it out to use authorizer.clock");
  }
  return {
    transport: parsed.transport ?? defaultTransport(),
    authorizer,
    bucket,
    region,
    clock: own ?? authorizers ?? new SkewCorrectedClock(),
    retry: resolveRetry(parsed.retry),
    protocol: parsed.protocol ?? 'https',
    hosts: Object.freeze({
      cos: resolveHost(parsed.domains?.cos ?? DEFAULT_DOMAINS.cos, bucket, region),
      ci: resolveHost(parsed.domains?.ci ?? DEFAULT_DOMAINS.ci, bucket, region),
    }),
    timeout: parsed.timeout ?? DEFAULT_TIMEOUT,
  };
}
