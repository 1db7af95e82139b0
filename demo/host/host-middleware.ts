// The example host backend, as connect middleware (Vite's dev server and @web/test-runner both take it). It holds
// the permanent key and gives the page what the widget's host contract asks for: temporary credentials scoped to
// an upload prefix and the bucket's jobs. A real host does the same on its own server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorEndpoints } from '../../src/emulator/index.js';
import { getFederationToken, uploadAndTranscodePolicy } from './sts-client.js';

/** Options of {@link createHostMiddleware}. */
export interface HostOptions {
  endpoints: EmulatorEndpoints;
  /** @default the emulator's first bucket */
  bucket?: string;
  /** Keys the page may write under. @default '' (the whole bucket) */
  prefix?: string;
  /** @default 1800 */
  durationSeconds?: number;
  /**
   * Where the two routes live (`${basePath}/config`, `${basePath}/credentials`), so that several instances with
   * different prefixes can be mounted side by side. @default '/api'
   */
  basePath?: string;
}

type Next = (error?: unknown) => void;

/**
 * Serves `GET <basePath>/config` (bucket, region, prefix and emulator domains: no secrets) and
 * `GET <basePath>/credentials` (STS temporary credentials in the form the widget's `getAuthorization` accepts, with a
 * policy limited to `prefix`). `?durationSeconds=` on the latter asks for a shorter lifetime (tests of expiry).
 * Every other request goes to `next()`, so that other instances (another `basePath`) and the server's own 404 see it.
 *
 * @example
 * server.middlewares.use(createHostMiddleware({ endpoints }));
 * server.middlewares.use(createHostMiddleware({ endpoints, basePath: '/api/narrow', prefix: 'narrow/' }));
 */
export function createHostMiddleware(options: HostOptions) {
  const { endpoints } = options;
  const bucket = endpoints.buckets.find((b) => b.name === options.bucket) ?? endpoints.buckets[0];
  if (!bucket) throw new Error('The emulator has no bucket');
  const prefix = options.prefix ?? '';
  const basePath = (options.basePath ?? '/api').replace(/\/+$/, '');
  const json = (res: ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(value));
  };
  return (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    if (req.method !== 'GET') return next();
    if (url.pathname === `${basePath}/config`) {
      return json(res, 200, {
        bucket: bucket.name,
        region: bucket.region,
        prefix,
        protocol: endpoints.protocol,
        domains: endpoints.domains,
        admin: endpoints.admin,
      });
    }
    if (url.pathname === `${basePath}/credentials`) {
      const requested = Number(url.searchParams.get('durationSeconds') ?? options.durationSeconds ?? 1800);
      getFederationToken({
        endpoint: endpoints.sts,
        secretId: endpoints.secretId,
        secretKey: endpoints.secretKey,
        durationSeconds: Number.isInteger(requested) && requested > 0 ? requested : 1800,
        region: bucket.region,
        policy: uploadAndTranscodePolicy({ appId: endpoints.appId, bucket: bucket.name, region: bucket.region, prefix }),
      }).then(
        (token) =>
          json(res, 200, {
            TmpSecretId: token.credentials.tmpSecretId,
            TmpSecretKey: token.credentials.tmpSecretKey,
            SecurityToken: token.credentials.sessionToken,
            StartTime: token.startTime,
            ExpiredTime: token.expiredTime,
          }),
        (error: unknown) => json(res, 502, { error: error instanceof Error ? error.message : 'STS failed' }),
      );
      return;
    }
    next();
  };
}
