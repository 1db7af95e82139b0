import { setTimeout as sleep } from 'node:timers/promises';
import type { EmulatorEnv } from '../env.js';
import { encodes, performJob, type JobOutcome } from './job-handlers.js';
import type { Job } from './job-store.js';

/** Told when a job has ended (`Success` or `Failed`), to send its callback. */
export type JobEndListener = (job: Job) => void;

/**
 * Runs one job through its life cycle, `Running` → `Success` / `Failed`:
 *
 * 1. `State` becomes `Running`, `StartTime` is set and `Progress` is 0; the fault controller is asked once whether
 *    this job must fail (`failJobs`).
 * 2. A transcode job with FFmpeg (`media`) encodes at once, and `Progress` follows the encoder (0 to 99, 100 when it
 *    ends `Success`); its time limit is `media.timeoutMs`. Other jobs (copy-through transcodes, extractions) wait
 *    `jobs.runMs`, while `Progress` rises in `jobs.progressSteps` equal steps (with 2 steps: 0, then 50), then work.
 * 3. The work is done for real ({@link performJob}), unless a fault forced a failure (then nothing is encoded).
 * 4. `State` becomes `Success` (`Progress` 100) or `Failed` with the failure's `Code` and `Message` (`Progress` stays
 *    where it was, and a requested digital watermark's `State` becomes `Failed`); `EndTime` is set; `onEnd` is told.
 *
 * When `signal` aborts (the emulator closes), the job stops where it is (FFmpeg is killed and its temporary files
 * removed) and `onEnd` is not told.
 */
export async function runJob(env: EmulatorEnv, job: Job, signal: AbortSignal, onEnd: JobEndListener): Promise<void> {
  const { runMs, progressSteps } = env.options.jobs;
  job.state = 'Running';
  job.startTime = env.clock.now();
  job.progress = 0;
  const forced = env.faults.jobFailure();
  const encoding = !forced && encodes(env, job);
  const steps = encoding ? 0 : progressSteps;
  const stepMs = runMs / progressSteps;
  try {
    for (let step = 1; step <= steps; step += 1) {
      await sleep(Math.round(stepMs * step) - Math.round(stepMs * (step - 1)), undefined, { signal });
      if (step < progressSteps) job.progress = Math.floor((100 * step) / progressSteps);
    }
  } catch {
    return;
  }
  const onProgress = (fraction: number) => {
    job.progress = Math.max(job.progress, Math.min(99, Math.floor(fraction * 100)));
  };
  const outcome: JobOutcome = forced ? { ok: false, ...forced } : await performJob(env, job, { signal, onProgress });
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
