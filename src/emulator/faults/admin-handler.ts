import * as z from 'zod/mini';
import type { EmulatorEndpoints } from '../emulator.js';
import type { EmulatorEnv, EmulatorModule, Handler } from '../env.js';
import { EmulatorError } from '../errors.js';
import { reply, replyJson } from '../http/reply.js';
import type { RequestContext } from '../http/request-context.js';
import { FaultConfigSchema, FaultRuleSchema, JobFailureSchema } from './fault-config.js';

/** Path prefix of the admin endpoint on the emulator's base host. */
export const ADMIN_PREFIX = '/_emulator';

/** Largest fault configuration accepted, in bytes. */
export const MAX_ADMIN_BODY = 64 * 1024;

const CORS_HEADERS: Record<string, string> = { 'Access-Control-Allow-Origin': '*' };
const PREFLIGHT_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Methods': 'GET, PUT, DELETE, POST',
  'Access-Control-Allow-Headers': 'content-type',
  'Access-Control-Max-Age': '600',
};

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

function publicEndpoints(endpoints: EmulatorEndpoints): Omit<EmulatorEndpoints, 'secretKey'> {
  const copy: Partial<EmulatorEndpoints> = { ...endpoints };
  delete copy.secretKey;
  return copy as Omit<EmulatorEndpoints, 'secretKey'>;
}

/**
 * The emulator's admin endpoint, on its base host (`http://localhost:<port>/_emulator/...`): a local developer tool,
 * unsigned, answering CORS for any origin so that browser tests can drive it.
 *
 * - `GET /_emulator/`: `{ endpoints, buckets, faults: { config, stats }, modules }` (the secret key left out);
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
): Handler {
  const faultsState = () => ({ config: env.faults.config, stats: env.faults.stats() });
  const routes: Record<string, Partial<Record<string, (ctx: RequestContext) => Promise<void>>>> = {
    '/': {
      GET: async (ctx) =>
        replyJson(ctx, 200, {
          endpoints: publicEndpoints(endpoints()),
          buckets: [...env.buckets.values()],
          faults: faultsState(),
          modules: modules.flatMap((module) => (module.state ? [module.state()] : [])),
        }),
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
    ctx.corsHeaders = CORS_HEADERS;
    const route = routes[adminPath(ctx.pathname) ?? ''];
    if (!route) throw adminError(404, 'NotFound', `No admin route at ${ctx.pathname}; see GET ${ADMIN_PREFIX}/.`);
    if (ctx.method === 'OPTIONS') return reply(ctx, 204, PREFLIGHT_HEADERS);
    const action = route[ctx.method];
    if (!action) {
      const allowed = Object.keys(route).join(', ');
      const message = `${ctx.pathname} accepts ${allowed}.`;
      return replyJson(ctx, 405, { error: 'MethodNotAllowed', message }, { Allow: allowed });
    }
    return action(ctx);
  };
}
