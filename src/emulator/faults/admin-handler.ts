import { createHash, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import type { EmulatorEndpoints } from '../emulator.js';
import type { EmulatorEnv, EmulatorModule, Handler } from '../env.js';
import { EmulatorError } from '../errors.js';
import { replyJson } from '../http/reply.js';
import { header, type RequestContext } from '../http/request-context.js';
import { FaultConfigSchema, FaultRuleSchema, JobFailureSchema } from './fault-config.js';

/** Path prefix of the admin endpoint on the emulator's base host. */
export const ADMIN_PREFIX = '/_emulator';

/** Largest fault configuration accepted, in bytes. */
export const MAX_ADMIN_BODY = 64 * 1024;

/** The request header carrying the admin token, which every change through the admin endpoint needs. */
export const ADMIN_TOKEN_HEADER = 'x-emulator-admin-token';

/** Methods that only read. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

const adminError = (status: number, error: string, message: string): EmulatorError =>
  new EmulatorError(status, error, message);

async function readBody(ctx: RequestContext): Promise<string> {
  const declared = Number(ctx.req.headers['content-length']);
  if (declared > MAX_ADMIN_BODY) throw adminError(413, 'EntityTooLarge', `The body exceeds ${MAX_ADMIN_BODY} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > MAX_ADMIN_BODY) throw adminError(413, 'EntityTooLarge', `The body exceeds ${MAX_ADMIN_BODY} bytes.`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const english = z.locales.en();

/** Fields the schema would silently drop: a misspelt `errorrate` is an error, not a rule that does nothing. */
function unknownFields(value: unknown): string[] {
  const extra = (object: unknown, known: Record<string, unknown>, path: string): string[] =>
    typeof object === 'object' && object !== null
      ? Object.keys(object)
          .filter((key) => !Object.hasOwn(known, key))
          .map((key) => `${path}${key}: unknown field`)
      : [];
  const config = value as { rules?: unknown[]; failJobs?: unknown };
  return [
    ...extra(config, FaultConfigSchema.def.shape, ''),
    ...(config.rules ?? []).flatMap((rule, index) => extra(rule, FaultRuleSchema.def.shape, `rules.${index}.`)),
    ...extra(config.failJobs, JobFailureSchema.def.shape, 'failJobs.'),
  ];
}

async function parseFaults(ctx: RequestContext): Promise<z.output<typeof FaultConfigSchema>> {
  const text = await readBody(ctx);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw adminError(400, 'InvalidFaults', 'The body must be a JSON fault configuration.');
  }
  const parsed = z.safeParse(FaultConfigSchema, value, { error: english.localeError });
  const issues = parsed.success
    ? unknownFields(value)
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'faults'}: ${issue.message}`);
  if (!parsed.success || issues.length > 0) throw adminError(400, 'InvalidFaults', issues.join('; '));
  return parsed.data;
}

/** The route under the admin prefix (`/`, `/faults`...), without a trailing slash; `undefined` outside it. */
function adminPath(pathname: string): string | undefined {
  if (pathname === ADMIN_PREFIX) return '/';
  if (!pathname.startsWith(`${ADMIN_PREFIX}/`)) return undefined;
  const rest = pathname.slice(ADMIN_PREFIX.length);
  return rest.length > 1 && rest.endsWith('/') ? rest.slice(0, -1) : rest;
}

function publicEndpoints(endpoints: EmulatorEndpoints): Omit<EmulatorEndpoints, 'secretKey' | 'adminToken'> {
  const copy: Partial<EmulatorEndpoints> = { ...endpoints };
  delete copy.secretKey;
  delete copy.adminToken;
  return copy as Omit<EmulatorEndpoints, 'secretKey' | 'adminToken'>;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/** A URL without its userinfo, and without its query and fragment (`?…` in their place). */
function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.search === '' && url.hash === '' && url.username === '' && url.password === '') return text;
  const rest = url.search !== '' || url.hash !== '' ? '?…' : '';
  return `${url.protocol}//${url.host}${url.pathname}${rest}`;
}

/**
 * A JSON value with every URL inside its strings redacted: callback URLs often carry a token in their query or
 * userinfo, and the admin state is readable without the admin token.
 */
export function redactUrls(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(URL_IN_TEXT, redactUrl);
  if (Array.isArray(value)) return value.map(redactUrls);
  if (typeof value === 'object' && value !== null) {
    const source = (value as { toJSON?: () => unknown }).toJSON?.() ?? value;
    if (source !== value) return redactUrls(source);
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactUrls(item)]));
  }
  return value;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Why a request may not use the admin endpoint, or `undefined`: a browser page of another origin (its `Origin` is
 * not `http://<Host>`, or its `Sec-Fetch-Site` says another site), or a change without the admin token.
 */
function refusal(ctx: RequestContext, token: Buffer): EmulatorError | undefined {
  const origin = header(ctx, 'origin');
  const own = `http://${header(ctx, 'host') ?? ''}`.toLowerCase();
  const site = header(ctx, 'sec-fetch-site')?.toLowerCase();
  const otherOrigin = origin !== undefined && origin.toLowerCase() !== own;
  const otherSite = site !== undefined && site !== 'same-origin' && site !== 'none';
  if (otherOrigin || otherSite) {
    return adminError(
      403,
      'CrossOriginRefused',
      'The admin endpoint answers same-origin and non-browser clients only; call it from a local tool, not a page.',
    );
  }
  if (READS.has(ctx.method)) return undefined;
  const given = header(ctx, ADMIN_TOKEN_HEADER);
  if (given !== undefined && timingSafeEqual(digest(given), token)) return undefined;
  return adminError(
    401,
    'AdminTokenRequired',
    `Changes need the header ${ADMIN_TOKEN_HEADER} with the admin token: the adminToken the emulator printed in ` +
      'its start line (endpoints.adminToken), or the one passed as --admin-token.',
  );
}

/**
 * The emulator's admin endpoint, on its base host (`http://localhost:<port>/_emulator/...`): a local developer tool
 * for same-machine clients. It sends no CORS headers and refuses any request from a page of another origin
 * (`Origin` other than `http://<Host>`, or `Sec-Fetch-Site` other than `same-origin` / `none`) with 403
 * `CrossOriginRefused`; every change needs the header `x-emulator-admin-token` with `adminToken` (401
 * `AdminTokenRequired` otherwise, compared in constant time). Reads need no token.
 *
 * - `GET /_emulator/`: `{ endpoints, buckets, faults: { config, stats }, modules }` (the secret key and the admin
 *   token left out, every URL with a query or userinfo redacted to `scheme://host/path?…`);
 * - `GET /_emulator/faults`: `{ config, stats }`;
 * - `PUT /_emulator/faults`: a JSON {@link FaultConfigSchema | fault configuration} (at most 64 KiB) replacing the
 *   faults in force; 400 `{ error: 'InvalidFaults', message }` naming each bad field;
 * - `DELETE /_emulator/faults`: clears every fault;
 * - `GET /_emulator/health`: `{ ok: true }`.
 *
 * Other paths answer 404, other methods on these paths 405, both as JSON `{ error, message }`.
 */
export function createAdminHandler(
  env: EmulatorEnv,
  modules: readonly EmulatorModule[],
  endpoints: () => EmulatorEndpoints,
  adminToken: string,
): Handler {
  const token = digest(adminToken);
  const faultsState = () => ({ config: env.faults.config, stats: env.faults.stats() });
  const routes: Record<string, Partial<Record<string, (ctx: RequestContext) => Promise<void>>>> = {
    '/': {
      GET: async (ctx) =>
        replyJson(
          ctx,
          200,
          redactUrls({
            endpoints: publicEndpoints(endpoints()),
            buckets: [...env.buckets.values()],
            faults: faultsState(),
            modules: modules.flatMap((module) => (module.state ? [module.state()] : [])),
          }),
        ),
    },
    '/health': { GET: async (ctx) => replyJson(ctx, 200, { ok: true }) },
    '/faults': {
      GET: async (ctx) => replyJson(ctx, 200, faultsState()),
      PUT: async (ctx) => {
        env.faults.update(await parseFaults(ctx));
        return replyJson(ctx, 200, faultsState());
      },
      DELETE: async (ctx) => {
        env.faults.update({});
        return replyJson(ctx, 200, faultsState());
      },
    },
  };

  return async (ctx) => {
    const refused = refusal(ctx, token);
    if (refused) throw refused;
    const route = routes[adminPath(ctx.pathname) ?? ''];
    if (!route) throw adminError(404, 'NotFound', `No admin route at ${ctx.pathname}; see GET ${ADMIN_PREFIX}/.`);
    const action = route[ctx.method];
    if (!action) {
      const allowed = Object.keys(route).join(', ');
      const message = `${ctx.pathname} accepts ${allowed}.`;
      return replyJson(ctx, 405, { error: 'MethodNotAllowed', message }, { Allow: allowed });
    }
    return action(ctx);
  };
}
