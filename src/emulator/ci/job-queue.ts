import { performance } from 'node:perf_hooks';
import type { Job } from './job-store.js';

/** Runs one job to its end; must not throw. */
export type JobWorker = (job: Job) => Promise<void>;

interface Waiting {
  readonly job: Job;
  /** `performance.now()` from which the job may start. */
  readonly readyAt: number;
}

/**
 * The emulator's job queue (one per emulator, shared by the buckets' queues): `workers` jobs run at once; a job
 * waits at least `delayMs` after its submission; among the jobs ready to start, the highest `JobLevel` (2) goes
 * first, then the earliest submitted. Timing uses a monotonic clock, so a clock-offset fault never stalls it.
 *
 * Waiting jobs are kept in submission order with non-decreasing `readyAt` (enforced in {@link enqueue}), so the jobs
 * ready to start are always a prefix: queuing is O(1) and taking a job scans only the ready ones, even with many
 * thousands waiting (`jobs.maxQueued`).
 */
export class JobQueue {
  readonly #waiting: Waiting[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #workers: number;
  readonly #delayMs: number;
  readonly #work: JobWorker;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: { workers: number; delayMs: number }, work: JobWorker) {
    this.#workers = options.workers;
    this.#delayMs = options.delayMs;
    this.#work = work;
  }

  /** Queues a job just submitted. */
  enqueue(job: Job): void {
    if (this.#closed) return;
    const readyAt = Math.max(performance.now() + this.#delayMs, this.#waiting.at(-1)?.readyAt ?? 0);
    this.#waiting.push({ job, readyAt });
    this.#pump();
  }

  /** Takes a job out of the queue if it has not started; whether it was waiting. */
  remove(job: Job): boolean {
    const index = this.#waiting.findIndex((entry) => entry.job === job);
    if (index < 0) return false;
    this.#waiting.splice(index, 1);
    this.#pump();
    return true;
  }

  /** Jobs waiting and running, for the admin state. */
  state(): { waiting: number; running: number; workers: number } {
    return { waiting: this.#waiting.length, running: this.#running.size, workers: this.#workers };
  }

  /** Stops starting jobs and waits for the running ones to return (their worker must honour its own abort). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#waiting.length = 0;
    await Promise.allSettled([...this.#running]);
  }

  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (!this.#closed && this.#running.size < this.#workers) {
      const next = this.#takeReady(performance.now());
      if (!next) break;
      const run = this.#work(next).finally(() => {
        this.#running.delete(run);
        this.#pump();
      });
      this.#running.add(run);
    }
    if (this.#closed || this.#running.size >= this.#workers || this.#waiting.length === 0) return;
    // A worker is free and no job is ready: in readyAt order, the first waiting job is the soonest.
    const soonest = this.#waiting[0]!.readyAt;
    this.#timer = setTimeout(() => this.#pump(), Math.max(1, Math.ceil(soonest - performance.now())));
  }

  /**
   * Removes and returns the best job ready at `now`: highest level, then lowest submission number. Only the ready
   * prefix of the waiting list is scanned.
   */
  #takeReady(now: number): Job | undefined {
    let best = -1;
    for (let index = 0; index < this.#waiting.length; index += 1) {
      const entry = this.#waiting[index]!;
      if (entry.readyAt > now) break;
      const current = this.#waiting[best]?.job;
      const job = entry.job;
      if (!current || job.level > current.level || (job.level === current.level && job.seq < current.seq)) best = index;
    }
    if (best < 0) return undefined;
    return this.#waiting.splice(best, 1)[0]?.job;
  }
}
