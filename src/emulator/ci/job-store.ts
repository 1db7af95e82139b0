import { createHash, randomBytes } from 'node:crypto';
import type { JobRequest } from '../../core/protocol/job-request-schemas.js';
import { isTerminalJobState, type JobState } from '../../core/protocol/job-state.js';
import type { CiMediaInfo } from '../media/media-info.js';

/** Where a finished transcode job wrote its output (`Operation.MediaResult.OutputFile`). */
export interface JobOutputFile {
  bucket: string;
  region: string;
  key: string;
  md5: string;
}

/** What a job produced, filled in when it ends. */
export interface JobResult {
  /** `Operation.MediaInfo` of a transcode job's output. */
  mediaInfo?: CiMediaInfo;
  outputFile?: JobOutputFile;
  /** `Operation.DigitalWatermark.State` once the embedding is decided. */
  digitalWatermarkState?: 'Success' | 'Failed';
  /** `Operation.ExtractDigitalWatermark.Message` of a successful extraction. */
  extractedMessage?: string;
}

/** A media job as the emulator keeps it (in memory, and in the data folder when a {@link JobPersistence} is given). */
export interface Job {
  /** `j` + 32 hex. */
  readonly id: string;
  /** The bucket whose CI host received the job; only that host can see it. */
  readonly bucket: string;
  readonly region: string;
  /** Submission order, unique and increasing: the tie-breaker of every ordering. */
  readonly seq: number;
  readonly request: JobRequest;
  /** `JobLevel`: 0, 1 or 2 (highest). */
  readonly level: number;
  readonly queueId: string;
  /** `Common`, or `SpeedTranscoding` when the request asked for it. */
  readonly queueType: string;
  /** Emulator clock, milliseconds. */
  readonly creationTime: number;
  /** `TemplateName` echoed next to `TemplateId`. */
  readonly templateName: string | undefined;
  /** `${ext}` of the output key. */
  readonly outputExtension: string;
  state: JobState;
  /** 0..100. */
  progress: number;
  /** `Success`, or the failure code. */
  code: string;
  message: string;
  startTime: number | undefined;
  endTime: number | undefined;
  result: JobResult;
}

/** A position in a listing, after which the next page starts (what `NextToken` carries). */
export interface ListCursor {
  readonly time: number;
  readonly seq: number;
}

/** The filters and paging of `GET /jobs`, already validated. */
export interface JobQuery {
  readonly bucket: string;
  readonly tag: string;
  readonly queueId?: string | undefined;
  readonly inputObject?: string | undefined;
  /** `undefined` for every state (`All`). */
  readonly states?: ReadonlySet<JobState> | undefined;
  /** Inclusive bounds on the creation time, emulator clock milliseconds, compared at the service's 1 s precision. */
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  readonly order: 'Asc' | 'Desc';
  /** 1..100. */
  readonly size: number;
  readonly after?: ListCursor | undefined;
}

/** Most jobs kept; beyond it, the oldest ended jobs are forgotten. */
export const MAX_JOBS = 10_000;

/** A new job id: `j` + 32 random hex digits, the service's format. */
export const newJobId = (): string => `j${randomBytes(16).toString('hex')}`;

/** Whether `id` has the shape of a job id; anything else is reported as non-existent without a lookup. */
export const isJobId = (id: string): boolean => /^j[0-9a-f]{32}$/.test(id);

/**
 * The id of a bucket's default queue: `p` + 32 hex, derived from the bucket name so that it stays the same across
 * restarts (the emulator has one queue per bucket).
 */
export const queueIdFor = (bucket: string): string =>
  `p${createHash('md5').update(`cos-emulator-queue/${bucket}`).digest('hex')}`;

const second = (ms: number): number => Math.floor(ms / 1000);

/** Sort key comparison: creation time at the service's 1 s precision, then submission order. */
function compare(a: ListCursor, b: ListCursor): number {
  return second(a.time) - second(b.time) || a.seq - b.seq;
}

const cursorOf = (job: Job): ListCursor => ({ time: job.creationTime, seq: job.seq });

/** Where the store writes jobs so that they survive a restart (the jobs' files). */
export interface JobPersistence {
  /** Writes the job as it is now; resolves once written (never rejects). */
  save(job: Job): Promise<void>;
  /** Deletes the job's record. */
  remove(id: string): void;
}

/**
 * The emulator's jobs, in memory and, through `persistence`, on disk. Listing is ordered by creation time (second
 * precision, as the service reports it) and then submission order, so that pages are stable while jobs are added.
 * Beyond `max` ({@link MAX_JOBS}), the oldest ended jobs are forgotten, their records deleted too.
 */
export class JobStore {
  readonly #jobs = new Map<string, Job>();
  readonly #persistence: JobPersistence | undefined;
  readonly #max: number;
  #seq = 0;

  /** @param max Most jobs kept ({@link MAX_JOBS}; smaller in tests). */
  constructor(persistence?: JobPersistence, max = MAX_JOBS) {
    this.#persistence = persistence;
    this.#max = max;
  }

  /** The next submission number. */
  nextSeq(): number {
    this.#seq += 1;
    return this.#seq;
  }

  /** Adds a job just created, and saves it: resolves once it is written, so that an accepted job is never lost. */
  add(job: Job): Promise<void> {
    this.#jobs.set(job.id, job);
    const saved = this.#persistence?.save(job) ?? Promise.resolve();
    if (this.#jobs.size > this.#max) this.#evict();
    return saved;
  }

  /** Adds a job of an earlier run, read back (in submission order): later submissions number after it. */
  restore(job: Job): void {
    this.#jobs.set(job.id, job);
    this.#seq = Math.max(this.#seq, job.seq);
    if (this.#jobs.size > this.#max) this.#evict();
  }

  /** Saves a job whose state changed, in the background (a change lost to a crash is one step behind). */
  changed(job: Job): void {
    if (this.#jobs.get(job.id) === job) void this.#persistence?.save(job);
  }

  /** The job `id` of `bucket`; jobs of other buckets do not exist for it. */
  get(bucket: string, id: string): Job | undefined {
    const job = this.#jobs.get(id);
    return job && job.bucket === bucket ? job : undefined;
  }

  /** One page of jobs matching `query`, and the cursor of the next page when there are more. */
  list(query: JobQuery): { jobs: Job[]; next: ListCursor | undefined } {
    const direction = query.order === 'Asc' ? 1 : -1;
    const matching = [...this.#jobs.values()]
      .filter((job) => matches(job, query))
      .filter((job) => query.after === undefined || compare(cursorOf(job), query.after) * direction > 0)
      .sort((a, b) => compare(cursorOf(a), cursorOf(b)) * direction);
    const jobs = matching.slice(0, query.size);
    const last = jobs.at(-1);
    return { jobs, next: matching.length > jobs.length && last ? cursorOf(last) : undefined };
  }

  /** Counts per state, for the admin endpoint. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const job of this.#jobs.values()) counts[job.state] = (counts[job.state] ?? 0) + 1;
    return counts;
  }

  #evict(): void {
    for (const job of this.#jobs.values()) {
      if (this.#jobs.size <= this.#max) return;
      if (!isTerminalJobState(job.state)) continue;
      this.#jobs.delete(job.id);
      this.#persistence?.remove(job.id);
    }
  }
}

function matches(job: Job, query: JobQuery): boolean {
  if (job.bucket !== query.bucket || job.request.Tag !== query.tag) return false;
  if (query.queueId !== undefined && job.queueId !== query.queueId) return false;
  if (query.inputObject !== undefined && job.request.Input.Object !== query.inputObject) return false;
  if (query.states !== undefined && !query.states.has(job.state)) return false;
  if (query.from !== undefined && second(job.creationTime) < second(query.from)) return false;
  if (query.to !== undefined && second(job.creationTime) > second(query.to)) return false;
  return true;
}
