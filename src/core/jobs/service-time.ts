/**
 * CI's time format, `2022-06-27T15:23:12+0800`: China Standard Time with an offset that has no colon, which is
 * neither ISO 8601 as `Date` writes it nor always accepted by `Date.parse`.
 *
 * @module
 */

const CHINA_OFFSET_MS = 8 * 3600_000;

/**
 * Formats milliseconds since the epoch as CI writes times: `YYYY-MM-DDTHH:MM:SS+0800` (China time, whole seconds,
 * truncated).
 *
 * @example
 * ```ts
 * formatServiceTime(Date.UTC(2022, 5, 27, 7, 23, 12)); // '2022-06-27T15:23:12+0800'
 * ```
 */
export function formatServiceTime(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000 + CHINA_OFFSET_MS).toISOString().slice(0, 19)}+0800`;
}

const SERVICE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?([+-])(\d{2}):?(\d{2})$/;

/**
 * Parses a CI time (`2022-06-27T15:23:12+0800`, any offset, with or without a colon) into milliseconds since the
 * epoch; `undefined` for `-`, an empty value or anything malformed.
 */
export function parseServiceTime(text: string | null | undefined): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = SERVICE_TIME.exec(text.trim());
  if (!match) return undefined;
  const [, local, sign, hours, minutes] = match;
  const ms = Date.parse(`${local}${sign}${hours}:${minutes}`);
  return Number.isNaN(ms) ? undefined : ms;
}
