import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAllowed } from '../auth/policy.js';
import { verifySignature } from '../auth/verify-signature.js';
import { submissionInputObject } from '../ci/job-submission.js';
import type { EmulatorEnv, EmulatorModule, Handler } from '../env.js';
import { EmulatorError, serviceError } from '../errors.js';
import type { Operation } from '../faults/fault-config.js';
import { corsReplyHeaders, preflightHeaders } from './cors.js';
import { hostAllowed, hostName, routeHost, type Route } from './host-routing.js';
import { IdleTimeout } from './idle-timeout.js';
import { ACTIONS, identifyOperation, resourceOf } from './operations.js';
import { newRequestId, reply, replyError, replyJson } from './reply.js';
import { stsSigned } from './sts-gate.js';
import { header, objectKey, queryParam, type RequestContext } from './request-context.js';

const INTERNAL_ERROR = 'We encountered an internal error. Please try again.';

function parseTarget(url: string): { rawPath: string; pathname: string; query: Map<string, string> } {
  const mark = url.indexOf('?');
  const rawPath = mark < 0 ? url : url.slice(0, mark);
  if (!rawPath.startsWith('/')) throw serviceError('InvalidURI', 'Could not parse the specified URI.');
  let pathname: string;
  try {
    pathname = decodeURIComponent(rawPath);
  } catch {
    throw serviceError('InvalidURI', 'Could not parse the specified URI.');
  }
  const query = new Map<string, string>();
  if (mark >= 0) for (const [name, value] of new URLSearchParams(url.slice(mark + 1))) query.set(name, value);
  return { rawPath, pathname, query };
}

/**
 * The emulator's request pipeline: check the `Host` (a name the emulator serves, else 403 `InvalidHost` and nothing
 * else happens), route by it, answer CORS preflights, identify the operation, verify the signature and the policy,
 * and only then inject faults (reading a `CreateMediaJobs` body for its key) and hand over to the operation's
 * handler. Every failure becomes the service's error reply; an unexpected exception becomes a 500 `InternalError`
 * that never quotes it.
 */
export function createRequestListener(
  env: EmulatorEnv,
  modules: readonly EmulatorModule[],
  admin: Handler,
): (req: IncomingMessage, res: ServerResponse) => void {
  const handlers: Partial<Record<Operation, Handler>> = Object.assign({}, ...modules.map((m) => m.handlers));
  const { baseDomain, allowedHosts, limits } = env.options;
  return (req, res) => {
    res.sendDate = false;
    const now = env.clock.now();
    const name = hostName(req.headers.host);
    const allowed = name !== undefined && hostAllowed(name, baseDomain, allowedHosts);
    const route: Route = (allowed && routeHost(req.headers.host)) || { kind: 'base' };
    const ctx: RequestContext = {
      req,
      res,
      requestId: newRequestId(now),
      route,
      method: (req.method ?? 'GET').toUpperCase(),
      pathname: '/',
      rawPath: '/',
      query: new Map(),
      now,
      corsHeaders: {},
      dropReply: false,
      cutReply: false,
      corruptCrc: false,
    };
    if (!allowed) {
      refuseHost(ctx, name);
      return;
    }
    const idle = new IdleTimeout(req, res, limits.idleTimeoutMs);
    handle(ctx, env, handlers, admin, idle).catch((error: unknown) => fail(ctx, error));
  };
}

/**
 * The answer to a request whose `Host` the emulator does not serve (a page on a rebound name, a LAN address):
 * 403 `InvalidHost`, the connection closed, its body never read.
 */
function refuseHost(ctx: RequestContext, name: string | undefined): void {
  const message =
    name === undefined
      ? 'The request has no valid Host header.'
      : `The Host "${name}" is not one this emulator serves (it answers its base domain, its subdomains and ` +
        `loopback names). To accept it, start the emulator with --allow-host ${name} (the allowedHosts option).`;
  replyJson(ctx, 403, { error: 'InvalidHost', message }, { Connection: 'close' }).catch(() => ctx.res.destroy());
}

async function handle(
  ctx: RequestContext,
  env: EmulatorEnv,
  handlers: Partial<Record<Operation, Handler>>,
  admin: Handler,
  idle: IdleTimeout,
): Promise<void> {
  Object.assign(ctx, parseTarget(ctx.req.url ?? '/'));
  const { route } = ctx;
  if (route.kind === 'base') return admin(ctx);
  if (route.kind !== 'sts') {
    const bucket = env.buckets.get(route.bucket);
    if (!bucket || bucket.region !== route.region) {
      throw serviceError('NoSuchBucket', 'The specified bucket does not exist.');
    }
    ctx.bucket = bucket;
    const origin = header(ctx, 'origin');
    if (ctx.method === 'OPTIONS') {
      const headers = preflightHeaders(
        bucket.cors,
        origin,
        header(ctx, 'access-control-request-method'),
        header(ctx, 'access-control-request-headers'),
      );
      if (!headers) {
        throw new EmulatorError(
          403,
          'AccessForbidden',
          'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, ' +
            'request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted ' +
            "by the resource's CORS spec.",
        );
      }
      return reply(ctx, 200, headers);
    }
    ctx.corsHeaders = corsReplyHeaders(bucket.cors, origin, ctx.method);
  }
  const operation = identifyOperation(ctx);
  const handler = operation && handlers[operation];
  if (!operation || !handler) {
    throw serviceError('MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
  ctx.operation = operation;

  // Who asks comes first: no fault is decided, and no body read, for a request that is not signed right.
  if (route.kind === 'sts') {
    if (!(await stsSigned(ctx, env))) return handler(ctx);
  } else {
    ctx.principal = await verifySignature(ctx, env.keyring, env.options.maxClockSkewSeconds);
    const policy = ctx.principal.policy;
    if (policy && !isAllowed(policy, ACTIONS[operation], resourceOf(ctx, route, env.options.appId, operation))) {
      throw serviceError('AccessDenied', 'Access Denied.');
    }
  }

  const decision = env.faults.decide(operation, await faultKey(ctx, operation));
  if (decision.latencyMs > 0) await idle.during(() => delay(ctx, decision.latencyMs));
  if (decision.dropBefore) {
    ctx.req.socket.destroy();
    return;
  }
  if (decision.error) throw decision.error;
  ctx.dropReply = decision.dropAfter;
  ctx.cutReply = decision.cutReply;
  ctx.corruptCrc = decision.corruptCrc;
  const throttle = decision.throttle;
  if (throttle) ctx.throttle = (bytes) => idle.during(() => throttle(bytes));
  await handler(ctx);
}

/**
 * The key fault rules' `keyPrefix` is matched against: a COS request's object key (a `ListMultipartUploads`'
 * `prefix`), a `CreateMediaJobs`' `Input.Object` (its small body is read here, and kept for the handler), a
 * `DescribeMediaJobs`' `inputObject` filter; other requests have none.
 */
async function faultKey(ctx: RequestContext, operation: Operation): Promise<string | undefined> {
  switch (operation) {
    case 'ListMultipartUploads':
      return ctx.query.get('prefix') ?? '';
    case 'CreateMediaJobs':
      return submissionInputObject(ctx);
    case 'DescribeMediaJobs': {
      // As the listing reads it: case-insensitive name, an empty value is no filter.
      const input = queryParam(ctx, 'inputObject');
      return input === '' ? undefined : input;
    }
    default:
      return ctx.route.kind === 'cos' ? objectKey(ctx) : undefined;
  }
}

/**
 * Waits `ms` before processing a request, unless its connection closes first (the client gave up, or the emulator
 * is closing): then the request is dropped, and no timer outlives it.
 */
async function delay(ctx: RequestContext, ms: number): Promise<void> {
  const socket = ctx.req.socket;
  if (socket.destroyed) throw new RequestDroppedError();
  const gone = new AbortController();
  const abort = (): void => gone.abort();
  socket.once('close', abort);
  try {
    await sleep(ms, undefined, { signal: gone.signal });
  } catch {
    throw new RequestDroppedError();
  } finally {
    socket.off('close', abort);
  }
}

/** A request whose connection closed before it was processed: nobody is left to answer. */
class RequestDroppedError extends Error {
  override name = 'RequestDroppedError';
}

function fail(ctx: RequestContext, error: unknown): void {
  if (ctx.res.headersSent || ctx.res.destroyed) {
    ctx.res.destroy();
    return;
  }
  const failure =
    error instanceof EmulatorError ? error : new EmulatorError(500, 'InternalError', INTERNAL_ERROR);
  // Let the rest of an unread body drain, so that the client reads this answer rather than a reset connection.
  if (!ctx.req.complete) ctx.req.resume();
  const sent =
    ctx.route.kind === 'sts'
      ? replyJson(ctx, failure.status, {
          Response: { Error: { Code: failure.code, Message: failure.message }, RequestId: ctx.requestId },
        })
      : ctx.route.kind === 'base'
        ? replyJson(ctx, failure.status, { error: failure.code, message: failure.message })
        : replyError(ctx, failure);
  sent.catch(() => ctx.res.destroy());
}
