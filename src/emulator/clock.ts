/** The emulator's clock: the machine's, moved by the `clockOffsetSeconds` fault. */
export class EmulatorClock {
  /** Seconds added to the machine's time. */
  offsetSeconds = 0;

  constructor(private readonly source: () => number = Date.now) {}

  /** Milliseconds since the epoch, offset applied. */
  now(): number {
    return this.source() + this.offsetSeconds * 1000;
  }

  /** Whole seconds since the epoch, offset applied. */
  seconds(): number {
    return Math.floor(this.now() / 1000);
  }
}

/** `YYYY-MM-DDTHH:MM:SS+0800`, the CI services's time format (China Standard Time, offset without a colon). */
export function formatServiceTime(ms: number): string {
  const shifted = new Date(ms + 8 * 3600_000);
  return `${shifted.toISOString().slice(0, 19)}+0800`;
}

/** Parses a time in the CI format (`2001-01-01T00:00:00+0800`, any offset); `undefined` when malformed. */
export function parseServiceTime(text: string): number | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})([+-])(\d{2}):?(\d{2})$/.exec(text.trim());
  if (!match) return undefined;
  const [, local, sign, hours, minutes] = match;
  const ms = Date.parse(`${local}${sign}${hours}:${minutes}`);
  return Number.isNaN(ms) ? undefined : ms;
}
