import { TranscoderError } from '../errors.js';
import type { Authorizer, Service } from '../signing/types.js';
import { SkewCorrectedClock, type Clock } from './clock.js';
import { MAX_DELAY_MS, isDelayMs } from './delay.js';
import { BUCKET_PATTERN, DEFAULT_DOMAINS, REGION_PATTERN, resolveHost } from './endpoint.js';
import { resolveRetry, type RetryOptions, type RetryPolicy } from './retry.js';
import type { Transport } from './types.js';

/** Options of `ServiceClient`. */
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
   * The clock signatures are made with; the client corrects it when the service reports a skew. Leave it out to
   * use the authorizer's own (`authorizer.clock`), so that a correction reaches the signer and the retry is signed
   * with the server's time. A clock other than `authorizer.clock` is an error.
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

function invalidOptions(message: string): TranscoderError {
  return new TranscoderError(`Invalid client options: ${message}`, { code: 'invalid-options', phase: 'options' });
}

const isClock = (value: unknown): value is Clock =>
  typeof (value as Clock | null)?.now === 'function' && typeof (value as Clock | null)?.observe === 'function';

/**
 * Checks `options` and fills in the defaults. Throws an `invalid-options` {@link TranscoderError} for a missing
 * transport or authorizer, a bad bucket, region, protocol, domain, timeout, clock or retry policy, or a clock that
 * is not the authorizer's.
 */
export function resolveClientOptions(options: ServiceClientOptions): ClientSettings {
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
  if (!isDelayMs(timeout)) throw invalidOptions(`timeout must be milliseconds from 0 to ${MAX_DELAY_MS}`);
  const own = options.clock ?? undefined;
  const authorizers = authorizer.clock ?? undefined;
  if (own !== undefined && authorizers !== undefined && own !== authorizers) {
    // Two clocks would let a skew correction miss the signer: the retry would be signed with the same wrong time.
    throw invalidOptions('clock must be the authorizer\'s clock; leave it out to use authorizer.clock');
  }
  const clock = own ?? authorizers ?? new SkewCorrectedClock();
  if (!isClock(clock)) throw invalidOptions('clock must have now() and observe() methods');
  return {
    transport,
    authorizer,
    bucket,
    region,
    clock,
    retry: resolveRetry(options.retry),
    protocol,
    hosts: Object.freeze({
      cos: resolveHost(options.domains?.cos ?? DEFAULT_DOMAINS.cos, bucket, region),
      ci: resolveHost(options.domains?.ci ?? DEFAULT_DOMAINS.ci, bucket, region),
    }),
    timeout,
  };
}
