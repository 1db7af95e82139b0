import type { Progress } from '../progress.js';

/**
 * How far an upload has come: the {@link Progress} shape with its byte counts always present, and the rate.
 *
 * `transferredBytes` never decreases: a part being sent again (a retry, a resume after a pause) counts from where it
 * had got to, not from zero.
 */
export interface UploadProgress extends Progress {
  /** `transferredBytes / totalBytes`, from 0 to 1 (1 for an empty file once done). */
  readonly percent: number;
  readonly transferredBytes: number;
  readonly totalBytes: number;
  /** Bytes per second sent over the last few seconds; 0 until there is enough to measure, and while paused. */
  readonly bytesPerSecond: number;
}

/** The window the rate is measured over. */
const RATE_WINDOW_MS = 3000;
/** The shortest span a rate is computed from; shorter ones are mostly noise. */
const MIN_RATE_SPAN_MS = 250;

/**
 * Adds up the bytes sent for each part into one {@link UploadProgress} that rises smoothly and never goes back.
 *
 * Each part (slot `id`) keeps the most bytes ever reported for it, so that a retry restarting at 0 does not move
 * the total back; the total catches up once the retry overtakes the earlier attempt. Bytes credited for parts
 * that were already on the server (a resumed upload) count towards the total but not towards the rate.
 */
export class ProgressMeter {
  /** The size of the file. */
  readonly totalBytes: number;
  readonly #sent = new Map<number, number>();
  readonly #now: () => number;
  #transferred = 0;
  /** Bytes sent in this session (not credited): what the rate is measured on. */
  #moved = 0;
  #samples: { at: number; moved: number }[] = [];

  /** @param now The clock the rate is measured with, in milliseconds. */
  constructor(totalBytes: number, now: () => number = () => performance.now()) {
    this.totalBytes = totalBytes;
    this.#now = now;
  }

  /** Reports that `bytes` of part `id` have been sent in the current attempt. */
  sent(id: number, bytes: number): void {
    const gained = this.#raise(id, bytes);
    if (gained <= 0) return;
    this.#moved += gained;
    const at = this.#now();
    this.#samples.push({ at, moved: this.#moved });
    while (this.#samples.length > 2 && this.#samples[1]!.at <= at - RATE_WINDOW_MS) this.#samples.shift();
  }

  /** Counts part `id` (`bytes` long) as already on the server, without counting it as sent now. */
  credit(id: number, bytes: number): void {
    this.#raise(id, bytes);
  }

  /** Forgets the rate samples: after a pause, the rate starts again from nothing. */
  restartRate(): void {
    this.#samples = [];
  }

  /** The progress now. */
  snapshot(): UploadProgress {
    const { totalBytes } = this;
    const transferredBytes = Math.min(this.#transferred, totalBytes);
    return {
      percent: totalBytes === 0 ? 0 : transferredBytes / totalBytes,
      transferredBytes,
      totalBytes,
      bytesPerSecond: this.#rate(),
    };
  }

  /** The progress of a finished upload: everything transferred. */
  finished(): UploadProgress {
    const { totalBytes } = this;
    return { percent: 1, transferredBytes: totalBytes, totalBytes, bytesPerSecond: this.#rate() };
  }

  #raise(id: number, bytes: number): number {
    const before = this.#sent.get(id) ?? 0;
    if (!(bytes > before)) return 0;
    this.#sent.set(id, bytes);
    this.#transferred += bytes - before;
    return bytes - before;
  }

  /** Bytes sent between the oldest sample in the window and now, per second: it falls when sending stalls. */
  #rate(): number {
    const now = this.#now();
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last || now - last.at > RATE_WINDOW_MS) return 0;
    const span = now - first.at;
    if (span < MIN_RATE_SPAN_MS) return 0;
    return Math.round(((last.moved - first.moved) * 1000) / span);
  }
}
