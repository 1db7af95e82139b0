/**
 * Checking the options a caller gives: one helper, {@link parseOptions}, on `zod/mini` schemas, and the building
 * blocks the option schemas share. Every check states its rule without quoting the value given.
 *
 * @module
 */

import * as z from 'zod/mini';
import { TranscoderError } from './errors.js';
import { describeIssue, summarizeIssues, toSchemaIssues, type SchemaIssues } from './protocol/validation.js';
import { MAX_DELAY_MS } from './transport/delay.js';

/**
 * Checks `value` with `schema` and returns the typed output. Throws an `invalid-options` {@link TranscoderError}
 * (phase `options`) whose message names `context` and the path of each failing option with its rule, and whose
 * `cause` is a {@link SchemaIssues} (never the value given).
 *
 * @example
 * ```ts
 * parseOptions(UploadOptionsSchema, { concurrency: 0 }, 'upload');
 * // TranscoderError: Invalid upload options: concurrency must be a whole number from 1 to 16
 * ```
 */
export function parseOptions<S extends z.core.$ZodType>(schema: S, value: unknown, context: string): z.output<S> {
  const result = z.safeParse(schema, value, { error: describeIssue });
  if (result.success) return result.data;
  const issues = toSchemaIssues(result.error.issues);
  const cause: SchemaIssues = { issues };
  throw new TranscoderError(`Invalid ${context} options: ${summarizeIssues(issues)}`, {
    code: 'invalid-options',
    phase: 'options',
    cause,
  });
}

/**
 * The error {@link parseOptions} throws, for a check across options that no one option's schema can make: `path`
 * names the option, `rule` states what it must be.
 */
export function optionsError(context: string, path: string, rule: string): TranscoderError {
  const cause: SchemaIssues = { issues: [{ path, message: rule }] };
  return new TranscoderError(`Invalid ${context} options: ${summarizeIssues(cause.issues)}`, {
    code: 'invalid-options',
    phase: 'options',
    cause,
  });
}

/** A value `test` accepts, typed `T`; otherwise the issue `rule` (`must be ...`). */
export const checked = <T>(test: (value: unknown) => boolean, rule: string) =>
  z.custom<T>((value) => test(value), { error: rule });

const isObject = (value: unknown): value is Record<string, unknown> =>
  (typeof value === 'object' || typeof value === 'function') && value !== null;

/** Whether `value` is an object with a function under each of `names`. */
export const hasMethods = (value: unknown, names: readonly string[]): boolean =>
  isObject(value) && names.every((name) => typeof value[name] === 'function');

/** An object with the methods `names` (a transport, a store, a clock...): `rule` otherwise. */
export const withMethods = <T>(names: readonly string[], rule: string) =>
  checked<T>((value) => hasMethods(value, names), rule);

/** A function. */
export const callable = <T>(rule = 'must be a function') => checked<T>((value) => typeof value === 'function', rule);

/** A string matching `pattern`. */
export const matching = (pattern: RegExp, rule: string) =>
  checked<string>((value) => typeof value === 'string' && pattern.test(value), rule);

/** A whole number from `min` to `max`. */
export const wholeNumber = (min: number, max: number, rule = `must be a whole number from ${min} to ${max}`) =>
  checked<number>((value) => Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max, rule);

/** A number from `min` to `max` (fractions allowed). */
export const numberFrom = (min: number, max: number, rule = `must be a number from ${min} to ${max}`) =>
  checked<number>((value) => typeof value === 'number' && value >= min && value <= max, rule);

/** Milliseconds `setTimeout` can wait, from `min` (0) to 2147483647. */
export const milliseconds = (min = 0, max = MAX_DELAY_MS) =>
  numberFrom(min, max, `must be milliseconds from ${min} to ${max}`);

/** An `AbortSignal`. */
export const abortSignal = checked<AbortSignal>(
  (value) => typeof AbortSignal !== 'undefined' && value instanceof AbortSignal,
  'must be an AbortSignal',
);

/** One of the strings `values`. */
export const oneOf = <const T extends string>(values: readonly T[]) =>
  checked<T>(
    (value) => (values as readonly unknown[]).includes(value),
    `must be ${values.map((value) => `"${value}"`).join(' or ')}`,
  );
