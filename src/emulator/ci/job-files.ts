import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { JobState } from '../../core/protocol/job-state.js';
import { TEMP_SUBFOLDER } from '../storage/data-dir.js';
import { asRecord, readJsonFile, writeJsonAtomic } from '../storage/json-file.js';
import { isJobId, type Job } from './job-store.js';

/** Largest job file read back: a job request is at most 1 MiB, its results a few kilobytes. */
const MAX_JOB_FILE = 2 * 1024 * 1024;
/** Job files read at once on start. */
const LOAD_BATCH = 32;
const FORMAT_VERSION = 1;

const STATES = new Set<string>(Object.values(JobState));
const isString = (value: unknown): value is string => typeof value === 'string';
const isInteger = (value: unknown): value is number => Number.isSafeInteger(value);
const isOptionalTime = (value: unknown): boolean => value === undefined || isInteger(value);

/** A job read back, when it has the shape the emulator writes; `undefined` otherwise. */
function revive(value: unknown, id: string): Job | undefined {
  const job = asRecord(value);
  if (!job || job['version'] !== FORMAT_VERSION || job['id'] !== id) return undefined;
  const request = asRecord(job['request']);
  const input = asRecord(request?.['Input']);
  const strings = ['bucket', 'region', 'queueId', 'queueType', 'outputExtension', 'state', 'code', 'message'];
  const valid =
    request !== undefined &&
    isString(request['Tag']) &&
    isString(input?.['Object']) &&
    asRecord(request['Operation']) !== undefined &&
    asRecord(job['result']) !== undefined &&
    strings.every((name) => isString(job[name])) &&
    STATES.has(job['state'] as string) &&
    ['seq', 'level', 'creationTime', 'progress'].every((name) => isInteger(job[name])) &&
    isOptionalTime(job['startTime']) &&
    isOptionalTime(job['endTime']) &&
    (job['templateName'] === undefined || isString(job['templateName']));
  if (!valid) return undefined;
  const { version: _version, ...fields } = job;
  return fields as unknown as Job;
}

/**
 * The jobs' files: one JSON file per job under `<dataDir>/jobs/<id>.json`, so that a restart on the same data folder
 * finds them. A job is written when it is created and at each change of state (a few times in its life; progress
 * alone is not written), each write atomic (a temporary file renamed into place). Writes of one job run one after
 * the other, and a write waiting behind another takes the job's state when it starts: a burst of changes costs at
 * most two writes. Write failures (a full disk) are counted, never thrown at the request that caused them.
 */
export class JobFiles {
  readonly #dir: string;
  readonly #temp: string;
  /** The last write or removal of each job, in order. */
  readonly #chains = new Map<string, Promise<void>>();
  /** Jobs with a write queued that has not started yet. */
  readonly #queued = new Set<string>();
  #failures = 0;

  constructor(dataDir: string) {
    this.#dir = join(dataDir, 'jobs');
    this.#temp = join(dataDir, TEMP_SUBFOLDER);
  }

  /**
   * The jobs of earlier runs, in submission order. Files that are not jobs the emulator wrote (cut short, edited,
   * foreign) are deleted; files of another format version are left alone and skipped.
   */
  async load(): Promise<Job[]> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const names = await readdir(this.#dir);
    const jobs: Job[] = [];
    for (let start = 0; start < names.length; start += LOAD_BATCH) {
      const batch = names.slice(start, start + LOAD_BATCH);
      await Promise.all(
        batch.map(async (name) => {
          const file = join(this.#dir, name);
          const id = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
          const value = isJobId(id) ? await readJsonFile(file, MAX_JOB_FILE) : undefined;
          const job = revive(value, id);
          if (job) jobs.push(job);
          else if (asRecord(value)?.['version'] === FORMAT_VERSION || value === undefined) {
            await rm(file, { recursive: true, force: true });
          }
        }),
      );
    }
    return jobs.sort((a, b) => a.seq - b.seq);
  }

  /**
   * Writes `job` as it is when the write starts (after any write of it in progress); resolves once it is written
   * (or the write failed: it never rejects).
   */
  save(job: Job): Promise<void> {
    if (this.#queued.has(job.id)) return this.#chains.get(job.id) ?? Promise.resolve();
    this.#queued.add(job.id);
    return this.#then(job.id, async () => {
      this.#queued.delete(job.id);
      await writeJsonAtomic(this.#file(job.id), { version: FORMAT_VERSION, ...job }, this.#temp);
    });
  }

  /** Deletes the file of job `id` (after any write of it in progress). */
  remove(id: string): void {
    this.#queued.delete(id);
    void this.#then(id, () => rm(this.#file(id), { force: true }));
  }

  /** Resolves once every write and removal asked for so far is done. */
  async flush(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  /** Writes that failed so far, for the admin state. */
  get failures(): number {
    return this.#failures;
  }

  #file(id: string): string {
    return join(this.#dir, `${id}.json`);
  }

  #then(id: string, task: () => Promise<void>): Promise<void> {
    const previous = this.#chains.get(id) ?? Promise.resolve();
    const next = previous.then(task).catch(() => {
      this.#failures += 1;
    });
    this.#chains.set(id, next);
    void next.then(() => {
      if (this.#chains.get(id) === next) this.#chains.delete(id);
    });
    return next;
  }
}
