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

// One definition of the CI time format, shared with the core (which writes it in list queries).
export { formatServiceTime, parseServiceTime } from '../core/jobs/service-time.js';
