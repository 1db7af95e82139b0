import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Operation } from '../faults/fault-config.js';
import type { BucketConfig } from '../options.js';
import type { Principal } from '../auth/keyring.js';
import type { Route } from './host-routing.js';

/** Everything the handlers of one request share. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** `x-cos-request-id` / `x-ci-request-id` of the reply. */
  readonly requestId: string;
  readonly route: Route;
  /** Upper case. */
  readonly method: string;
  /** The decoded path, starting with `/`. */
  readonly pathname: string;
  /** The path as sent, encoded. */
  readonly rawPath: string;
  /** Query parameters, decoded, names as sent; the last of repeated names wins. */
  readonly query: ReadonlyMap<string, string>;
  /** The server time the request arrived at, in milliseconds (the clock offset applied). */
  readonly now: number;
  /** The operation, once identified. */
  operation?: Operation;
  /** The bucket the host names, once known to exist. */
  bucket?: BucketConfig;
  /** Who signed the request, once verified. */
  principal?: Principal;
  /** CORS headers for the reply of a cross-origin request that a rule allows. */
  corsHeaders: Record<string, string>;
  /** Set by a fault: the reply is replaced by closing the connection (the request was processed). */
  dropReply: boolean;
  /** A fault cuts the reply: its head and half its body are sent, then the connection is closed. */
  cutReply: boolean;
  /** Set by a fault: a `x-cos-hash-crc64ecma` in the reply is made wrong. */
  corruptCrc: boolean;
  /** Set by a fault: waits so that body bytes flow at the configured bandwidth. */
  throttle?: (bytes: number) => Promise<void>;
}

/** Case-insensitive lookup of a query parameter. */
export function queryParam(ctx: Pick<RequestContext, 'query'>, name: string): string | undefined {
  const direct = ctx.query.get(name);
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const [key, value] of ctx.query) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/** Whether a (valueless or not) query parameter is present, case-insensitively. */
export const hasQueryParam = (ctx: Pick<RequestContext, 'query'>, name: string): boolean =>
  queryParam(ctx, name) !== undefined;

/** The object key a COS request names: its decoded path without the leading `/`. */
export const objectKey = (ctx: Pick<RequestContext, 'pathname'>): string => ctx.pathname.slice(1);

/** A request header's value (the first, when repeated), or `undefined`. */
export function header(ctx: Pick<RequestContext, 'req'>, name: string): string | undefined {
  const value = ctx.req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
