import type { TrackerTimers } from '../../src/core/jobs/job-types.js';

/** One timer armed on {@link ManualTimers}. */
export interface ManualTimer {
  readonly id: number;
  /** The virtual time it was armed at. */
  readonly armedAt: number;
  /** The wait asked for. */
  readonly ms: number;
  /** The virtual time it fires at. */
  readonly at: number;
}

interface Entry extends ManualTimer {
  readonly callback: () => void;
}

/** Real time, captured at load so that tests replacing the globals do not change it. */
const realSetTimeout = globalThis.setTimeout;

/** Lets every promise chain that can move on do so: one real macrotask turn, a few times over. */
export async function settleRealTasks(turns = 3): Promise<void> {
  for (let turn = 0; turn < turns; turn += 1) {
    await new Promise<void>((resolve) => realSetTimeout(resolve, 0));
  }
}

/**
 * Deterministic virtual time for code that takes {@link TrackerTimers}: nothing fires until the test calls
 * {@link advance}, which runs the due callbacks in time order and lets awaited promises settle (real macrotask turns)
 * between them. Every timer ever armed is recorded; errors thrown by callbacks are collected in {@link errors}.
 *
 * ```ts
 * const timers = new ManualTimers();
 * const tracker = new JobTracker({ client, job, timers });
 * await timers.advance(1000); // the first poll is sent
 * ```
 */
export class ManualTimers implements TrackerTimers {
  /** The virtual time, in ms since the helper was made. */
  now = 0;
  /** Every timer armed, in order (fired, cleared or pending). */
  readonly armed: ManualTimer[] = [];
  /** Timers cleared before they fired. */
  readonly cleared: ManualTimer[] = [];
  /** What callbacks threw (a tracker rethrows listener errors from a timer). */
  readonly errors: unknown[] = [];
  readonly #pending = new Map<number, Entry>();
  #nextId = 1;

  setTimeout(callback: () => void, ms: number): unknown {
    const entry: Entry = { id: this.#nextId++, armedAt: this.now, ms, at: this.now + Math.max(0, ms), callback };
    this.#pending.set(entry.id, entry);
    this.armed.push({ id: entry.id, armedAt: entry.armedAt, ms: entry.ms, at: entry.at });
    return entry.id;
  }

  clearTimeout(handle: unknown): void {
    const entry = this.#pending.get(handle as number);
    if (!entry) return;
    this.#pending.delete(entry.id);
    this.cleared.push({ id: entry.id, armedAt: entry.armedAt, ms: entry.ms, at: entry.at });
  }

  /** Timers armed and neither fired nor cleared, earliest first. */
  get pending(): ManualTimer[] {
    return [...this.#pending.values()]
      .sort((a, b) => a.at - b.at || a.id - b.id)
      .map(({ id, armedAt, ms, at }) => ({ id, armedAt, ms, at }));
  }

  /** The virtual time the next timer fires at, if any. */
  get nextAt(): number | undefined {
    return this.pending[0]?.at;
  }

  /** Lets awaited promises settle without moving virtual time. */
  settle(): Promise<void> {
    return settleRealTasks();
  }

  /**
   * Moves virtual time forward by `ms`, firing every timer that falls due on the way (in order, also those armed
   * by the callbacks themselves), settling promises before and after each one.
   */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    await this.settle();
    for (;;) {
      const next = this.pending[0];
      if (!next || next.at > target) break;
      const entry = this.#pending.get(next.id)!;
      this.#pending.delete(entry.id);
      this.now = entry.at;
      try {
        entry.callback();
      } catch (error) {
        this.errors.push(error);
      }
      await this.settle();
    }
    this.now = target;
    await this.settle();
  }

  /** Moves virtual time to the next timer and fires it (and any due at the same time). */
  async fireNext(): Promise<void> {
    await this.settle();
    const at = this.nextAt;
    if (at === undefined) throw new Error('ManualTimers: no timer is armed');
    await this.advance(at - this.now);
  }
}
