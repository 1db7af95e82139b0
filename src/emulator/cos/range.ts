/** What a `Range` header asks of an object of a given size. */
export type RangeRequest =
  /** No range, or one the service ignores: send the whole object with 200. */
  | { kind: 'whole' }
  /** Send bytes `start..end` (inclusive) with 206. */
  | { kind: 'partial'; start: number; end: number }
  /** Answer 416 `InvalidRange`. */
  | { kind: 'unsatisfiable' };

const WHOLE: RangeRequest = { kind: 'whole' };

/**
 * Interprets a `Range` header for an object of `size` bytes, as COS and S3 do (RFC 9110 §14):
 * - `bytes=a-b`, `bytes=a-` and `bytes=-n` select one range; `b` past the end is clipped, `-n` larger than the object
 *   means the whole object (still a 206);
 * - a first byte at or past the end, a suffix of 0 bytes, or any range of an empty object is unsatisfiable (416);
 * - anything malformed (another unit, `a > b`, non-digits) and several ranges (COS serves one range per request) are
 *   ignored: the whole object is sent with 200 [I].
 */
export function parseRange(value: string | undefined, size: number): RangeRequest {
  if (value === undefined) return WHOLE;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value);
  if (!match) return WHOLE;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return WHOLE;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Number.POSITIVE_INFINITY : Number(last);
  if (end < start) return WHOLE;
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}
