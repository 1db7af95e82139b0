/**
 * Local time corrected by the offset to the service's clock. Signatures are only valid inside their
 * `q-sign-time` window on the *server's* clock, so a browser whose clock is minutes off must sign with this.
 */
export interface Clock {
  /** Corrected time, in milliseconds since the epoch. */
  now(): number;
  /** Server time minus local time, in milliseconds. */
  readonly offset: number;
  /** Records the server's time as seen in a `Date` header or an STS `StartTime` (milliseconds). */
  observe(serverTimeMs: number): void;
}

/** Differences smaller than this are noise (network latency, rounding of `Date` to seconds). */
export const CLOCK_SKEW_THRESHOLD_MS = 30_000;

/** A {@link Clock} over `Date.now()` (or another time source, for tests). */
export class SkewCorrectedClock implements Clock {
  #offset = 0;
  readonly #source: () => number;

  constructor(source: () => number = Date.now) {
    this.#source = source;
  }

  get offset(): number {
    return this.#offset;
  }

  now(): number {
    return this.#source() + this.#offset;
  }

  observe(serverTimeMs: number): void {
    if (!Number.isFinite(serverTimeMs)) return;
    const offset = serverTimeMs - this.#source();
    this.#offset = Math.abs(offset) >= CLOCK_SKEW_THRESHOLD_MS ? offset : 0;
  }
}

/** Current corrected time in whole Unix seconds. */
export const unixSeconds = (clock: Clock): number => Math.floor(clock.now() / 1000);
