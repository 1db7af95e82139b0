import type { CorsRule } from '../options.js';

/** Whether a rule's origin pattern (`*`, exact, or with one `*` wildcard) allows `origin`. */
export function originMatches(pattern: string, origin: string): boolean {
  if (pattern === '*') return true;
  const star = pattern.indexOf('*');
  if (star < 0) return pattern.toLowerCase() === origin.toLowerCase();
  const head = pattern.slice(0, star).toLowerCase();
  const tail = pattern.slice(star + 1).toLowerCase();
  const value = origin.toLowerCase();
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}

function headerAllowed(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => originMatches(pattern, name));
}

/** The first rule allowing `origin` to use `method`, as COS evaluates a bucket's rules in order. */
export function findCorsRule(
  rules: readonly CorsRule[],
  origin: string,
  method: string,
  requestHeaders: readonly string[] = [],
): CorsRule | undefined {
  const upper = method.toUpperCase();
  return rules.find(
    (rule) =>
      rule.allowedOrigins.some((pattern) => originMatches(pattern, origin)) &&
      (rule.allowedMethods as readonly string[]).includes(upper) &&
      requestHeaders.every((name) => headerAllowed(rule.allowedHeaders, name)),
  );
}

/** `Access-Control-Allow-Origin` for a rule: `*` when the rule allows any origin, else the origin itself. */
const allowOrigin = (rule: CorsRule, origin: string): string => (rule.allowedOrigins.includes('*') ? '*' : origin);

/** CORS headers of an actual (non-preflight) cross-origin reply, or `{}` when no rule allows it. */
export function corsReplyHeaders(
  rules: readonly CorsRule[],
  origin: string | undefined,
  method: string,
): Record<string, string> {
  if (!origin) return {};
  const rule = findCorsRule(rules, origin, method);
  if (!rule) return {};
  return {
    'Access-Control-Allow-Origin': allowOrigin(rule, origin),
    'Access-Control-Expose-Headers': rule.exposeHeaders.join(','),
    Vary: 'Origin',
  };
}

/** The answer to a preflight: the headers of a 200, or `undefined` for a 403 (no rule matches). */
export function preflightHeaders(
  rules: readonly CorsRule[],
  origin: string | undefined,
  requestMethod: string | undefined,
  requestHeaders: string | undefined,
): Record<string, string> | undefined {
  if (!origin || !requestMethod) return undefined;
  const names = (requestHeaders ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const rule = findCorsRule(rules, origin, requestMethod, names);
  if (!rule) return undefined;
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': allowOrigin(rule, origin),
    'Access-Control-Allow-Methods': rule.allowedMethods.join(','),
    'Access-Control-Expose-Headers': rule.exposeHeaders.join(','),
    'Access-Control-Max-Age': String(rule.maxAgeSeconds),
    Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  };
  if (names.length > 0) headers['Access-Control-Allow-Headers'] = names.join(',');
  return headers;
}
