import { serviceError } from '../errors.js';
import { queryParam, type RequestContext } from '../http/request-context.js';

/**
 * An integer query parameter: `fallback` when absent, clamped to `max` (as COS clamps `max-parts` and
 * `max-uploads` to 1000), 400 `InvalidArgument` when not an integer of at least `min`.
 */
export function integerParam(
  ctx: Pick<RequestContext, 'query'>,
  name: string,
  options: { fallback: number; min: number; max?: number },
): number {
  const text = queryParam(ctx, name);
  if (text === undefined) return options.fallback;
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= options.min)) {
    throw serviceError('InvalidArgument', `The ${name} parameter must be an integer of at least ${options.min}.`);
  }
  return options.max === undefined ? value : Math.min(value, options.max);
}

/** Whether a listing asks for URL-encoded keys (`encoding-type=url`, the only method COS knows). */
export function urlEncodingRequested(ctx: Pick<RequestContext, 'query'>): boolean {
  const value = queryParam(ctx, 'encoding-type');
  if (value === undefined || value === '') return false;
  if (value.toLowerCase() !== 'url') {
    throw serviceError('InvalidArgument', 'Invalid Encoding Method specified in Request.');
  }
  return true;
}
