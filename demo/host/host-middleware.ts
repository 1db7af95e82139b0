// The example host backend, as connect middleware (Vite's dev server and @web/test-runner both take it). It holds
// the permanent key and gives the page what the widget's host contract asks for: temporary credentials scoped to
// an upload prefix and the bucket's jobs, and a relay of CI's job callbacks. A real host does the same on its own
// server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorEndpoints } from '../../src/emulator/index.js';
import { sendJson } from './http-io.js';
import { createCallbackRelay, type CallbackRelay, type CallbackRelayOptions } from './callback-relay.js';
import { createSigningRoutes, cosSdkCredentials, type SigningRoutes } from './signing-routes.js';
import { getFederationToken } from './sts-client.js';
import { widgetPolicy } from './widget-policy.js';

/** Options of {@link createHostMiddleware}. */
export interface HostOptions {
  endpoints: EmulatorEndpoints;
  /** @default the emulator's first bucket */
  bucket?: string;
  /** Keys the page may write and read under. @default '' (the whole bucket) */
  prefix?: string;
  /** Lifetime of STS credentials. @default 1800 */
  durationSeconds?: number;
  /** Seconds before expiry the credentials `/sts` caches stop being handed out. @default 300 */
  marginSeconds?: number;
  /** Seconds a `/sign` signature stays valid. @default 600 */
  signatureSeconds?: number;
  /**
   * Where the routes live (`${basePath}/config`, `${basePath}/credentials`, `${basePath}/sts`, `${basePath}/sign`,
   * and the callback relay's `${basePath}/ci-callback` and `${basePath}/job-events`), so that several instances with
   * different prefixes can be mounted side by side. @default '/api'
   */
  basePath?: string;
  /** Options of the callback relay (its limits and heartbeat); see {@link createCallbackRelay}. */
  callbacks?: Omit<CallbackRelayOptions, 'basePath'>;
}

type Next = (error?: unknown) => void;

/** The host backend's middleware, its callback relay, and a way to end the relay's streams. */
export interface HostMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: Next): void;
  /** The relay mounted under the same `basePath`. */
  readonly relay: CallbackRelay;
  /** The `/sts` and `/sign` routes mounted under the same `basePath`. */
  readonly signing: SigningRoutes;
  /** Closes the relay (ends its event streams); call it when the server stops. */
  close(): void;
}

/** Host names (with an optional port) the config builds a callback URL from; anything else gets none. */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$/;

/**
 * Serves:
 *
 * - `GET <basePath>/config`: bucket, region, prefix and emulator domains (no secrets), plus `callbackUrl`, the
 *   absolute `http://<Host>${basePath}/ci-callback` URL to give jobs as `CallBack` (built from the request's `Host`
 *   header; absent when that header is not a plain host name with an optional port), and `jobEventsUrl`, the
 *   relative `${basePath}/job-events?jobId={jobId}` template of the callbacks' event stream;
 * - `GET <basePath>/credentials`: STS temporary credentials in the form the widget's `getAuthorization` accepts,
 *   with the policy of `widgetPolicy` limited to `prefix` (plus `ListMultipartUploads`, for tests that look for
 *   pending uploads), fetched anew each time; `?durationSeconds=` asks for a
 *   shorter lifetime (tests of expiry);
 * - `POST <basePath>/sts` and `POST <basePath>/sign`, for `<cos-transcoder auth-url>`: cached STS credentials
 *   with the same policy, or a signature of one request checked against it and made here with the permanent key
 *   (see {@link createSigningRoutes});
 * - the callback relay's `POST <basePath>/ci-callback` and `GET <basePath>/job-events?jobId=` (see
 *   {@link createCallbackRelay}).
 *
 * Every other request goes to `next()`, so that other instances (another `basePath`) and the server's own 404 see it.
 *
 * @example
 * server.middlewares.use(createHostMiddleware({ endpoints }));
 * server.middlewares.use(createHostMiddleware({ endpoints, basePath: '/api/narrow', prefix: 'narrow/' }));
 */
export function createHostMiddleware(options: HostOptions): HostMiddleware {
  const { endpoints } = options;
  const bucket = endpoints.buckets.find((b) => b.name === options.bucket) ?? endpoints.buckets[0];
  if (!bucket) throw new Error('The emulator has no bucket');
  const prefix = options.prefix ?? '';
  const basePath = (options.basePath ?? '/api').replace(/\/+$/, '');
  const relay = createCallbackRelay({ ...options.callbacks, basePath });
  const scope = { appId: endpoints.appId, bucket: bucket.name, region: bucket.region, prefix };
  const fill = (template: string) => template.replace('{Bucket}', bucket.name).replace('{Region}', bucket.region);
  const signing = createSigningRoutes({
    scope,
    hosts: { cos: fill(endpoints.domains.cos), ci: fill(endpoints.domains.ci) },
    secretId: endpoints.secretId,
    secretKey: endpoints.secretKey,
    stsEndpoint: endpoints.sts,
    basePath,
    ...(options.durationSeconds !== undefined ? { durationSeconds: options.durationSeconds } : {}),
    ...(options.marginSeconds !== undefined ? { marginSeconds: options.marginSeconds } : {}),
    ...(options.signatureSeconds !== undefined ? { signatureSeconds: options.signatureSeconds } : {}),
  });
  const middleware = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    if (req.method !== 'GET') return signing(req, res, () => relay(req, res, next));
    if (url.pathname === `${basePath}/config`) {
      const host = req.headers.host;
      return sendJson(res, 200, {
        bucket: bucket.name,
        region: bucket.region,
        prefix,
        protocol: endpoints.protocol,
        domains: endpoints.domains,
        ...(host !== undefined && HOST.test(host) ? { callbackUrl: `http://${host}${basePath}/ci-callback` } : {}),
        jobEventsUrl: `${basePath}/job-events?jobId={jobId}`,
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
        policy: widgetPolicy(scope, ['name/cos:ListMultipartUploads']),
      }).then(
        (token) => sendJson(res, 200, cosSdkCredentials(token)),
        (error: unknown) => sendJson(res, 502, { error: error instanceof Error ? error.message : 'STS failed' }),
      );
      return;
    }
    signing(req, res, () => relay(req, res, next));
  };
  return Object.assign(middleware, { relay, signing, close: () => relay.close() });
}
