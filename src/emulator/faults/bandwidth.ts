/** The longest one {@link TokenBucket.take} waits: a huge chunk at a low rate never stalls a request for long. */
export const MAX_WAIT_MS = 10_000;

/**
 * A token bucket that paces bytes at `bytesPerSecond`. Every request of a rule shares one bucket, so concurrent
 * transfers share the bandwidth as they would on one slow link. The bucket holds at most 50 ms worth of bytes (at
 * least 1 KiB), so a short burst passes at once and anything longer flows at the rate.
 *
 * A chunk may leave the bucket in debt; the caller then waits until the debt is paid, but never longer than
 * {@link MAX_WAIT_MS} in one call (the debt beyond that is forgiven). Waits use unreferenced timers, so a pending
 * wait never keeps a closed emulator's process alive.
 */
export class TokenBucket {
  private readonly capacity: number;
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly bytesPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError('bytesPerSecond must be positive');
    this.capacity = Math.max(1024, bytesPerSecond / 20);
    this.tokens = this.capacity;
    this.updatedAt = this.now();
  }

  /** Milliseconds the caller must wait before `bytes` may pass; takes the bytes from the bucket. */
  reserve(bytes: number): number {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) * this.bytesPerSecond) / 1000);
    this.updatedAt = now;
    this.tokens -= Math.max(0, bytes);
    if (this.tokens >= 0) return 0;
    const wait = (-this.tokens * 1000) / this.bytesPerSecond;
    if (wait <= MAX_WAIT_MS) return wait;
    this.tokens = (-MAX_WAIT_MS * this.bytesPerSecond) / 1000;
    return MAX_WAIT_MS;
  }

  /** Resolves once `bytes` may pass at the bucket's rate. */
  take(bytes: number): Promise<void> {
    const wait = this.reserve(bytes);
    if (wait < 1) return Promise.resolve();
    return new Promise((done) => setTimeout(done, Math.ceil(wait)).unref());
  }
}
