import * as z from 'zod/mini';
import { TranscoderError, type Phase, type TranscoderErrorCode } from '../errors.js';

/** One validation problem, safe to log: a field path and a rule, never the offending value. */
export interface SchemaIssue {
  /** Dot path of the field, for example `Operation.Watermark[0].Pos`; empty for the whole value. */
  readonly path: string;
  /** The rule that failed, for example `must be printable ASCII (0x20-0x7E)`. */
  readonly message: string;
}

/** The `cause` of a validation {@link TranscoderError}: the issues, without the document or value that failed. */
export interface SchemaIssues {
  readonly issues: readonly SchemaIssue[];
}

const MAX_SEGMENT = 64;
const MAX_ISSUES_IN_MESSAGE = 3;

/**
 * The contextual zod error map used by {@link validate}: a message for every issue code that states the rule
 * without quoting the input (zod/mini ships no locale, so its own messages would only say "Invalid input").
 */
export function describeIssue(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => String(value)).join(', ')}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${unit(issue.origin)}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${unit(issue.origin)}`;
    case 'invalid_format':
      return 'has an invalid format';
    case 'unrecognized_keys':
      return 'has unknown fields';
    default:
      return 'is invalid';
  }
}

function article(expected: string): string {
  return /^[aeio]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function unit(origin: string): string {
  if (origin === 'string') return ' characters';
  if (origin === 'array' || origin === 'set') return ' items';
  return '';
}

/** Formats a zod path as `Operation.Watermark[0].Pos`, eliding absurdly long segments. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
      continue;
    }
    const name = String(segment);
    const safe = name.length > MAX_SEGMENT ? `${name.slice(0, MAX_SEGMENT)}…` : name;
    out += out === '' ? safe : `.${safe}`;
  }
  return out;
}

/** Turns zod issues into {@link SchemaIssue}s. */
export function toSchemaIssues(issues: readonly z.core.$ZodIssue[]): SchemaIssue[] {
  return issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** `Operation.UserData must be printable ASCII; Input.Object is required (and 2 more)`. */
export function summarizeIssues(issues: readonly SchemaIssue[]): string {
  const shown = issues
    .slice(0, MAX_ISSUES_IN_MESSAGE)
    .map((issue) => (issue.path === '' ? issue.message : `${issue.path} ${issue.message}`));
  const more = issues.length - shown.length;
  return more > 0 ? `${shown.join('; ')} (and ${more} more)` : shown.join('; ');
}

/** What a failed {@link validate} throws. */
export interface ValidationFailure {
  /** `invalid-request` for our own input, `invalid-response` for what the network sent. */
  readonly code: TranscoderErrorCode;
  readonly phase: Phase;
  /** What was validated, starting the message: `Transcode job request`, `ListPartsResult response`. */
  readonly subject: string;
}

/**
 * Validates `value` with `schema` and returns the typed output, or throws a {@link TranscoderError} whose message
 * names the failing field paths and rules and whose `cause` is a {@link SchemaIssues} (never the raw value).
 */
export function validate<S extends z.core.$ZodType>(
  schema: S,
  value: unknown,
  failure: ValidationFailure,
): z.output<S> {
  const result = z.safeParse(schema, value, { error: describeIssue });
  if (result.success) return result.data;
  const issues = toSchemaIssues(result.error.issues);
  return failValidation(issues, failure);
}

/** Throws the {@link TranscoderError} {@link validate} throws, for checks made outside a schema. */
export function failValidation(issues: readonly SchemaIssue[], failure: ValidationFailure): never {
  const cause: SchemaIssues = { issues };
  throw new TranscoderError(`${failure.subject} is invalid: ${summarizeIssues(issues)}`, {
    code: failure.code,
    phase: failure.phase,
    cause,
  });
}
