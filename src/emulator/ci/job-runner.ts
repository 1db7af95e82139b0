import { setTimeout as sleep } from 'node:timers/promises';
import type { EmulatorEnv } from '../env.js';
import { performJob, type JobOutcome } from './job-handlers.js';
import type { Job } from './job-store.js';

/** Told when a job has ended (`Success` or `Failed`), to send its callback. */
export type JobEndListener = (job: Job) => void;

/**
 * Runs one job through its life cycle, `Running` → `Success` / `Failed`:
 *
 * 1. `State` becomes `Running`, `StartTime` is set and `Progress` is 0; the fault controller is asked once whether
 *    this job must fail (`failJobs`).
 * 2. For `jobs.runMs`, `Progress` rises in `jobs.progressSteps` equal steps (with 2 steps: 0, then 50).
 * 3. The work is done for real ({@link performJob}), unless a fault forced a failure.
 * 4. `State` becomes `Success` (`Progress` 100) or `Failed` with the failure's `Code` and `Message` (`Progress` stays
 *    where it was, and a requested digital watermark's `State` becomes `Failed`); `EndTime` is set; `onEnd` is told.
 *
 * When `signal` aborts (the emulator closes), the job stops where it is and `onEnd` is not told.
 */
export async function runJob(env: EmulatorEnv, job: Job, signal: AbortSignal, onEnd: JobEndListener): Promise<void> {
  const { runMs, progressSteps } = env.options.jobs;
  job.state = 'Running';
  job.startTime = env.clock.now();
  job.progress = 0;
  const forced = env.faults.jobFailure();
  const stepMs = runMs / progressSteps;
  try {
    for (let step = 1; step <= progressSteps; step += 1) {
      await sleep(Math.round(stepMs * step) - Math.round(stepMs * (step - 1)), undefined, { signal });
      if (step < progressSteps) job.progress = Math.floor((100 * step) / progressSteps);
    }
  } catch {
    return;
  }
  const outcome: JobOutcome = forced ? { ok: false, ...forced } : await performJob(env, job);
  if (signal.aborted) return;
  if (outcome.ok) {
    job.result = outcome.result;
    job.state = 'Success';
    job.progress = 100;
    job.code = 'Success';
    job.message = '';
  } else {
    if (job.request.Tag === 'Transcode' && job.request.Operation.DigitalWatermark) {
      job.result.digitalWatermarkState = 'Failed';
    }
    job.state = 'Failed';
    job.code = outcome.code;
    job.message = outcome.message;
  }
  job.endTime = env.clock.now();
  onEnd(job);
}
