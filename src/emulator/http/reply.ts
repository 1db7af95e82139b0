import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EmulatorError } from '../errors.js';
import type { RequestContext } from './request-context.js';
import { buildSafeXml } from './xml-safe.js';

/** An opaque, base64-like request id, as COS and CI issue them. */
export function newRequestId(now: number): string {
  return Buffer.from(`${Math.floor(now / 1000).toString(16)}_${randomBytes(9).toString('hex')}`).toString('base64');
}

/** What every reply of a service host carries: `Server`, `Date` (from the emulator's clock) and the request id. */
export function commonHeaders(ctx: RequestContext): Record<string, string> {
  const ci = ctx.route.kind === 'ci';
  return {
    Server: ci ? 'tencent-ci' : 'tencent-cos',
    Date: new Date(ctx.now).toUTCString(),
    [ci ? 'x-ci-request-id' : 'x-cos-request-id']: ctx.requestId,
    ...ctx.corsHeaders,
  };
}

/** A reply body: text, bytes, or a stream of bytes (which is throttled when a bandwidth fault is set). */
export type ReplyBody = string | Buffer | Readable;

/**
 * Sends a reply with the common headers. When a fault has marked the request `dropReply`, the connection is closed
 * instead: the request was processed but the client never learns it. When it has marked it `cutReply`, the head
 * and half of a text or bytes body are sent before the connection closes (other replies are dropped whole).
 */
export async function reply(
  ctx: RequestContext,
  status: number,
  headers: Record<string, string> = {},
  body?: ReplyBody,
): Promise<void> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.isBuffer(body) ? body : undefined;
  const cut = ctx.cutReply && bytes !== undefined && bytes.length > 1 && ctx.method !== 'HEAD';
  if (ctx.dropReply || (ctx.cutReply && !cut)) {
    if (body instanceof Readable) body.destroy();
    ctx.req.socket.destroy();
    return;
  }
  const all = { ...commonHeaders(ctx), ...headers };
  if (bytes !== undefined) {
    all['Content-Length'] = String(bytes.length);
  } else if (body === undefined && all['Content-Length'] === undefined) {
    all['Content-Length'] = '0';
  }
  if (cut) {
    ctx.res.writeHead(status, all);
    const socket = ctx.req.socket;
    ctx.res.write(bytes.subarray(0, bytes.length >> 1), () => socket.destroy());
    return;
  }
  try {
    ctx.res.writeHead(status, all);
  } catch (error) {
    if (body instanceof Readable) body.destroy();
    throw error;
  }
  if (ctx.method === 'HEAD' || body === undefined) {
    if (body instanceof Readable) body.destroy();
    ctx.res.end();
    return;
  }
  if (!(body instanceof Readable)) {
    await throttleBytes(ctx, body.length);
    ctx.res.end(body);
    return;
  }
  const throttle = ctx.throttle;
  const source = throttle ? Readable.from(throttled(body, throttle)) : body;
  await pipeline(source, ctx.res).catch(() => ctx.res.destroy());
}

async function throttleBytes(ctx: RequestContext, bytes: number): Promise<void> {
  if (ctx.throttle && bytes > 0) await ctx.throttle(bytes);
}

async function* throttled(source: Readable, throttle: (bytes: number) => Promise<void>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const bytes = chunk as Buffer;
    await throttle(bytes.length);
    yield bytes;
  }
}

/**
 * Sends an XML document (`application/xml`) built from a plain object tree with the shared XML builder, made safe
 * for XML 1.0 (see `xmlSafe`).
 */
export function replyXml(
  ctx: RequestContext,
  status: number,
  document: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<void> {
  return reply(ctx, status, { 'Content-Type': 'application/xml', ...headers }, buildSafeXml(document));
}

/**
 * Sends an `<Error>` document as COS writes it (with `Resource`), or as CI writes it (without), plus the
 * `x-cos-trace-id` header of failures.
 */
export function replyError(ctx: RequestContext, error: EmulatorError): Promise<void> {
  const traceId = randomBytes(24).toString('base64');
  const fields: Record<string, string> = { Code: error.code, Message: error.message };
  if (ctx.route.kind === 'cos') fields['Resource'] = `${ctx.req.headers.host ?? ''}${ctx.rawPath}`;
  fields['RequestId'] = ctx.requestId;
  fields['TraceId'] = traceId;
  const xml = `<?xml version='1.0' encoding='utf-8' ?>\n${buildSafeXml({ Error: fields })}`;
  return reply(
    ctx,
    error.status,
    { 'Content-Type': 'application/xml', 'x-cos-trace-id': traceId, ...error.headers },
    xml,
  );
}

/** Sends a JSON document (`application/json`), as STS and the admin endpoint answer. */
export function replyJson(
  ctx: RequestContext,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): Promise<void> {
  return reply(ctx, status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(value));
}
