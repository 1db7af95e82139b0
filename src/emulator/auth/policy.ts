/**
 * CAM policies as STS binds them to temporary credentials (`{"version":"2.0","statement":[...]}`), reduced to what
 * COS and CI check: effect, actions and resources. `deny` wins over `allow`; nothing is allowed unless a statement
 * allows it. Conditions are accepted and not evaluated (documented as an emulator limit).
 */
export interface Policy {
  statements: PolicyStatement[];
}

/** One statement, normalised. */
export interface PolicyStatement {
  effect: 'allow' | 'deny';
  /** Lower-case action patterns without the `name/` prefix: `cos:putobject`, `ci:*`, `*`. */
  actions: string[];
  /** Resource patterns, `*` as wildcard; the `prefix//<appid>/<bucket>/` form rewritten to `<bucket>-<appid>/`. */
  resources: string[];
}

/** A policy document was not valid; `message` says why. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

const list = (value: unknown, field: string): string[] => {
  const items = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(items) || items.length === 0 || !items.every((item) => typeof item === 'string' && item !== '')) {
    throw new PolicyError(`statement.${field} must be a non-empty string or array of strings`);
  }
  return items as string[];
};

const normaliseAction = (action: string): string => action.toLowerCase().replace(/^name\//, '');

/** `qcs::cos:<region>:uid/<appid>:prefix//<appid>/<short>/<key>` → `qcs::cos:<region>:uid/<appid>:<short>-<appid>/<key>`. */
function normaliseResource(resource: string): string {
  return resource.replace(/:prefix\/\/(\d+)\/([^/]+)\//, (_match, appId: string, short: string) => `:${short}-${appId}/`);
}

/** Parses and checks a policy document (JSON text or an already parsed object). Throws {@link PolicyError}. */
export function parsePolicy(document: unknown): Policy {
  let value = document;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new PolicyError('Policy is not valid JSON');
    }
  }
  if (typeof value !== 'object' || value === null) throw new PolicyError('Policy must be a JSON object');
  const raw = (value as Record<string, unknown>)['statement'];
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (statements.length === 0) throw new PolicyError('Policy must have at least one statement');
  return {
    statements: statements.map((statement) => {
      if (typeof statement !== 'object' || statement === null) throw new PolicyError('statement must be an object');
      const record = statement as Record<string, unknown>;
      const effect = String(record['effect'] ?? '').toLowerCase();
      if (effect !== 'allow' && effect !== 'deny') throw new PolicyError('statement.effect must be allow or deny');
      return {
        effect,
        actions: list(record['action'], 'action').map(normaliseAction),
        resources: list(record['resource'], 'resource').map(normaliseResource),
      };
    }),
  };
}

function globMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === value;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first) || !value.endsWith(last) || value.length < first.length + last.length) return false;
  let position = first.length;
  for (const middle of parts.slice(1, -1)) {
    const found = value.indexOf(middle, position);
    if (found < 0 || found + middle.length > value.length - last.length) return false;
    position = found + middle.length;
  }
  return true;
}

/**
 * Whether `policy` lets a request perform `action` (`name/cos:PutObject`, `name/ci:CreateMediaJobs`) on
 * `resource` (`qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/input/a.mp4`).
 */
export function isAllowed(policy: Policy, action: string, resource: string): boolean {
  const wanted = normaliseAction(action);
  const applies = (statement: PolicyStatement) =>
    statement.actions.some((pattern) => globMatches(pattern, wanted)) &&
    statement.resources.some((pattern) => globMatches(pattern, resource));
  const matching = policy.statements.filter(applies);
  return matching.some((s) => s.effect === 'allow') && !matching.some((s) => s.effect === 'deny');
}
