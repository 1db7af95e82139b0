/**
 * Building blocks shared by the COS and CI schemas. They absorb the ways one value reaches us: XML parsed by
 * `parseXml` (every value a string, `<Format/>` as `""`), JSON callbacks (strings, occasionally numbers, empty
 * elements dropped, one child as an object instead of an array) and typed objects written by callers.
 *
 * @module
 */

import * as z from 'zod/mini';

/** Whether `value` is an empty element as the XML parser renders it: `""` or only white space. */
export const isBlank = (value: unknown): boolean => typeof value === 'string' && value.trim() === '';

/**
 * An error customiser for zod that answers `is required` when the input is missing and `fallback` otherwise, so
 * a message never quotes the offending value.
 */
export const requiredOr =
  (fallback: string) =>
  (issue: { readonly input?: unknown }): string =>
    issue.input === undefined ? 'is required' : fallback;

/**
 * A plain object, as `z.record()` accepts it: not `null`, not an array, and no class instance (`Date`, `Map`);
 * objects without a prototype and those of another realm (an iframe's) are plain.
 */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.prototype.hasOwnProperty.call(proto, 'isPrototypeOf');
};

/**
 * A plain object with its own enumerable string keys, copied as `z.record(z.string(), z.unknown())` copies it (never
 * a `__proto__` key), else the issue `error`. The copy has the ordinary prototype, whatever the parser gave.
 */
export const plainRecord = (error: string) =>
  z.pipe(
    z.custom<Record<string, unknown>>(isPlainObject, { error }),
    z.transform((value) => Object.fromEntries(Object.entries(value).filter(([key]) => key !== '__proto__'))),
  );

/** A finite number, as `z.number()` accepts it. */
export const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * A value of one of a few primitive types (`test`), else the issue `error`: what `z.union` of `z.string()`,
 * `z.number()`... checks, without bundling zod's union.
 */
export const primitive = <T>(test: (value: unknown) => boolean, error: ReturnType<typeof requiredOr>) =>
  z.custom<T>((value) => test(value), { error });

/**
 * A repeated element, always as an array: absent → `[]`, one value → `[value]`, blank entries (`<Subtitle/>`)
 * dropped. The XML parser already makes known paths arrays; JSON callbacks send a single child as an object.
 */
export const oneOrMany = <T extends z.core.SomeType>(item: T) =>
  z.pipe(
    z.transform((value: unknown): unknown[] | unknown => {
      if (value === undefined || value === null) return [];
      const list = Array.isArray(value) ? value : [value];
      return list.filter((entry) => !isBlank(entry));
    }),
    z.array(item),
  );

/**
 * A container element. An empty element (`<Format/>`, or only layout white space) becomes `{}`; unknown children
 * are accepted and dropped, because the service adds fields over time.
 */
export const container = <Shape extends z.core.$ZodLooseShape>(shape: Shape) =>
  z.pipe(
    z.transform((value: unknown) => (isBlank(value) ? {} : value)),
    z.object(shape, { error: requiredOr('must be an element with children') }),
  );

/**
 * A text value. JSON callbacks sometimes send numbers or booleans where XML has text; they become their string
 * form. Text is kept byte for byte (no trimming): `UserData` is echoed verbatim.
 */
export const text = z.pipe(
  primitive<string | number | boolean>(
    (value) => typeof value === 'string' || typeof value === 'boolean' || isFiniteNumber(value),
    requiredOr('must be text'),
  ),
  z.transform((value) => String(value)),
);

/** An optional text value (see {@link text}). An empty element stays `""`. */
export const optionalText = z.optional(text);

/** Text that must be present and not blank, limited to `pattern` (for identifiers that end up in URLs). */
export const identifier = (pattern: RegExp, rule: string) =>
  z.pipe(
    text,
    z.string().check(z.refine((value) => pattern.test(value), { error: rule, abort: true })),
  );

/**
 * A service time. `-` (the service's "not set") and empty become `null`; anything else is kept as the service's
 * string (`2022-06-27T15:23:10+0800`), since its offset format is not ISO 8601.
 */
export const serviceTime = z.optional(
  z.pipe(
    z.custom<string | null>((value) => value === null || typeof value === 'string', { error: 'must be a time' }),
    z.transform((value) => {
      if (value === null) return null;
      const trimmed = value.trim();
      return trimmed === '' || trimmed === '-' ? null : value;
    }),
  ),
);

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses `"830.482000"` or `830.482` into a number; `undefined` for anything else. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return NUMERIC.test(trimmed) ? Number(trimmed) : undefined;
}

/** A number, given as a number or as a decimal string; anything else is an issue `must be a number`. */
export const numeric = z.pipe(
  primitive<string | number>(
    (value) => typeof value === 'string' || isFiniteNumber(value),
    requiredOr('must be a number'),
  ),
  z.transform((value, ctx) => {
    const parsed = toNumber(value);
    if (parsed === undefined) {
      ctx.issues.push({ code: 'custom', message: 'must be a number', input: value });
      return z.NEVER;
    }
    return parsed;
  }),
);

/** An optional {@link numeric}: absent or empty → `undefined`. */
export const optionalNumeric = z.optional(
  z.pipe(
    z.transform((value: unknown) => (isBlank(value) ? undefined : value)),
    z.optional(numeric),
  ),
);

/** A number in `[min, max]`, integer when `integer` is set; the message states the rule. */
export const numberInRange = (min: number, max: number, integer = false) => {
  const rule = `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
  return z.pipe(
    numeric,
    z.number().check(
      z.refine((value) => value >= min && value <= max && (!integer || Number.isInteger(value)), {
        error: rule,
      }),
    ),
  );
};

/**
 * A display-only number (media information): numeric strings become numbers, anything unparsable is dropped
 * rather than failing the whole job, since nothing depends on it.
 */
export const looseNumber = z.optional(z.pipe(z.unknown(), z.transform((value) => toNumber(value))));

/** A boolean given as `true`/`false`, or as the strings `"true"`/`"false"` (any case). */
export const booleanLike = z.pipe(
  primitive<string | boolean>(
    (value) => typeof value === 'string' || typeof value === 'boolean',
    requiredOr('must be true or false'),
  ),
  z.transform((value, ctx) => {
    if (typeof value === 'boolean') return value;
    const lowered = value.trim().toLowerCase();
    if (lowered === 'true' || lowered === 'false') return lowered === 'true';
    ctx.issues.push({ code: 'custom', message: 'must be true or false', input: value });
    return z.NEVER;
  }),
);

/** A display-only boolean: `"true"`/`"false"` become booleans, anything else is dropped. */
export const looseBoolean = z.optional(
  z.pipe(
    z.unknown(),
    z.transform((value) => {
      if (typeof value === 'boolean') return value;
      if (typeof value !== 'string') return undefined;
      const lowered = value.trim().toLowerCase();
      return lowered === 'true' ? true : lowered === 'false' ? false : undefined;
    }),
  ),
);
