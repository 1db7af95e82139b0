// The example host's two signing routes, as connect middleware. Both take the widget's signing request (the core's
// `AuthorizationRequest`) as a JSON POST, which is what `<cos-transcoder auth-url>` sends:
// - `/sts` answers STS temporary credentials with the least-privilege policy of widget-policy.ts (cached on the
//   server for their lifetime minus a margin), and the page signs every request with them;
// - `/sign` checks the one request against that same policy and answers a ready signature made here with the
//   permanent key, so the page never holds any key.
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod/mini';
import { createAuthorization } from '../../src/core/signing/authorization.js';
import type { AuthorizationRequest } from '../../src/core/signing/types.js';
import { readBoundedBody, sendJson } from './http-io.js';
import { getFederationToken, type FederationToken } from './sts-client.js';
import { createTokenCache } from './token-cache.js';
import { refusal, widgetPolicy, type WidgetScope } from './widget-policy.js';

/** Options of {@link createSigningRoutes}. */
export interface SigningRoutesOptions {
  scope: WidgetScope;
  /** The bucket's COS and CI hosts (`host[:port]`), which signed requests must name. */
  hosts: { cos: string; ci: string };
  /** The permanent key: it calls STS and signs `/sign` requests; it never leaves the server. */
  secretId: string;
  secretKey: string;
  /** The STS endpoint, `https://sts.tencentcloudapi.com/` in the cloud. */
  stsEndpoint: string;
  /** Where the routes live: `${basePath}/sts` and `${basePath}/sign`. @default '/api' */
  basePath?: string;
  /** Lifetime of STS credentials. @default 1800 */
  durationSeconds?: number;
  /** Seconds before expiry cached STS credentials stop being handed out (at most half their lifetime). @default 300 */
  marginSeconds?: number;
  /** Seconds a `/sign` signature stays valid. @default 600 */
  signatureSeconds?: number;
  /** Largest request body accepted (413 beyond). @default 16384 */
  maxBodyBytes?: number;
}

/** The signing routes, and how many STS calls they made. */
export interface SigningRoutes {
  (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  /** STS `GetFederationToken` calls made for `/sts` so far. */
  readonly stsCalls: number;
}

const Text = (max: number) => z.string().check(z.maxLength(max));
const StringRecord = z.record(Text(256), Text(4096));

/** The core's {@link AuthorizationRequest}, as the host accepts it from the network. */
export const AuthorizationRequestSchema = z.object({
  method: z.string().check(z.regex(/^[A-Z]{3,7}$/)),
  host: Text(255),
  pathname: z.string().check(z.regex(/^\//), z.maxLength(2048)),
  query: StringRecord,
  headers: StringRecord,
  bucket: Text(64),
  region: Text(64),
  key: z.optional(Text(2047)),
  service: z.enum(['cos', 'ci']),
  action: Text(128),
});

/** STS credentials in the form `cos-js-sdk-v5`'s `getAuthorization` takes (the widget accepts it as it comes). */
export function cosSdkCredentials(token: FederationToken): Record<string, string | number> {
  return {
    TmpSecretId: token.credentials.tmpSecretId,
    TmpSecretKey: token.credentials.tmpSecretKey,
    SecurityToken: token.credentials.sessionToken,
    StartTime: token.startTime,
    ExpiredTime: token.expiredTime,
  };
}

/**
 * Serves `POST ${basePath}/sts` and `POST ${basePath}/sign` (405 for other methods on them); every other path goes
 * to `next()`. Both read a JSON {@link AuthorizationRequest} of at most `maxBodyBytes` (413 beyond, 400 when it is not
 * one) and answer JSON:
 *
 * - `/sts`: `{ TmpSecretId, TmpSecretKey, SecurityToken, StartTime, ExpiredTime }` for the scope's bucket (403
 *   `{ error }` for another bucket), 502 when STS fails;
 * - `/sign`: `{ Authorization }` for exactly that request, or 403 `{ error }` saying which rule refused it (see
 *   {@link refusal}).
 *
 * Nothing here authenticates the page: a real host first checks who is asking, and narrows the prefix to them.
 *
 * @example
 * server.middlewares.use(createSigningRoutes({ scope, hosts, secretId, secretKey, stsEndpoint }));
 * // <cos-transcoder auth-url="/api/sign" ...>
 */
export function createSigningRoutes(options: SigningRoutesOptions): SigningRoutes {
  const { scope, hosts } = options;
  const basePath = (options.basePath ?? '/api').replace(/\/+$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024;
  const signatureSeconds = options.signatureSeconds ?? 600;
  const durationSeconds = options.durationSeconds ?? 1800;
  const sts = createTokenCache({
    // Short-lived credentials (tests of expiry) are still reused for half their life.
    marginSeconds: Math.min(options.marginSeconds ?? 300, Math.floor(durationSeconds / 2)),
    fetch: () =>
      getFederationToken({
        endpoint: options.stsEndpoint,
        secretId: options.secretId,
        secretKey: options.secretKey,
        durationSeconds,
        region: scope.region,
        policy: widgetPolicy(scope),
      }),
  });

  const answerSts = async (res: ServerResponse, request: AuthorizationRequest): Promise<void> => {
    if (request.bucket !== scope.bucket || request.region !== scope.region) {
      return sendJson(res, 403, { error: 'The bucket or region is not the one this host signs for' });
    }
    try {
      sendJson(res, 200, cosSdkCredentials(await sts.get()));
    } catch (error) {
      sendJson(res, 502, { error: error instanceof Error ? error.message : 'STS failed' });
    }
  };

  const answerSign = async (res: ServerResponse, request: AuthorizationRequest): Promise<void> => {
    const refused = refusal(request, scope, hosts);
    if (refused !== undefined) return sendJson(res, 403, { error: refused });
    // Backdated a little: the service refuses a window that starts in its future, and clocks differ.
    const now = Math.floor(Date.now() / 1000);
    const authorization = await createAuthorization({
      secretId: options.secretId,
      secretKey: options.secretKey,
      method: request.method,
      pathname: request.pathname,
      query: request.query,
      headers: request.headers,
      keyTime: { start: now - 60, end: now + signatureSeconds },
    });
    sendJson(res, 200, { Authorization: authorization });
  };

  const routes = new Map([
    [`${basePath}/sts`, answerSts],
    [`${basePath}/sign`, answerSign],
  ]);

  const middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    const route = routes.get(new URL(req.url ?? '/', 'http://host.invalid').pathname);
    if (!route) return next();
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'Use POST' }, { allow: 'POST' });
    readBoundedBody(req, res, maxBodyBytes, `The signing request must be at most ${maxBodyBytes} bytes`)
      .then(async (text) => {
        if (text === undefined) return;
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return sendJson(res, 400, { error: 'The body is not JSON' });
        }
        const parsed = AuthorizationRequestSchema.safeParse(body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return sendJson(res, 400, { error: `Not a signing request: ${issue?.path.join('.') || 'body'} is invalid` });
        }
        await route(res, parsed.data);
      })
      .catch(() => {
        if (!res.headersSent) sendJson(res, 500, { error: 'Signing failed' });
        else res.destroy();
      });
  };
  return Object.defineProperty(middleware, 'stsCalls', { get: () => sts.fetches }) as SigningRoutes;
}
