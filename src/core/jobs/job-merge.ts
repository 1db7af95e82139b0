import { TranscoderError } from '../errors.js';
import type { JobsDetail } from '../protocol/ci-schemas.js';
import { sanitizeServerText } from '../protocol/error-body.js';
import { JobState, canReachJobState, isTerminalJobState } from '../protocol/job-state.js';
import { jobResults } from './job-results.js';
import type { JobSnapshot, JobSource } from './job-types.js';

/** Longest failure code quoted in a `job-failed` message. */
const CODE_LIMIT = 64;

/** A job's `Progress` (0..100, maybe absent) as a share from 0 to 1; 1 once the job succeeded. */
function progressOf(detail: JobsDetail): number {
  if (detail.State === JobState.Success) return 1;
  const percent = detail.Progress;
  if (typeof percent !== 'number' || !Number.isFinite(percent)) return 0;
  return Math.min(1, Math.max(0, percent / 100));
}

/**
 * The `job-failed` error of a job in `Failed`: its `Code` as `serviceCode`, and a message naming the job, the code
 * and the service's `Message` (cleaned of markup and secrets, and shortened).
 *
 * @example
 * ```ts
 * jobFailedError(detail).message; // 'Job j8d12… failed: InvalidInput: "The input file is not a media file"'
 * ```
 */
export function jobFailedError(detail: JobsDetail): TranscoderError {
  const code = detail.Code ? sanitizeServerText(detail.Code, CODE_LIMIT) : '';
  const said = detail.Message ? sanitizeServerText(detail.Message) : '';
  const reason = [code, said === '' ? '' : `"${said}"`].filter((part) => part !== '').join(': ');
  const message = `Job ${detail.JobId} failed${reason === '' ? '' : `: ${reason}`}`;
  return new TranscoderError(message, {
    code: 'job-failed',
    phase: 'track',
    ...(detail.Code ? { serviceCode: detail.Code } : {}),
  });
}

/**
 * Merges one report about a job (a poll's, a callback's or the submission's `JobsDetail`) into what is known of
 * it, and returns the new snapshot, or `undefined` when the report is not news:
 *
 * - a report about another job is ignored;
 * - the first report is always taken (a snapshot without `detail`, like {@link initialJobSnapshot}, knows nothing
 *   it could contradict);
 * - nothing changes once the job is in a terminal state (`Success`, `Failed`, `Cancel`);
 * - a different state is taken only when the job can move to it from the current one ({@link canReachJobState}),
 *   so a stale poll answered after a callback never moves the job backwards;
 * - the same state is news only when the progress rose (never for `Success`);
 * - progress never falls: `Progress` / 100, clamped to 0..1, at least the current progress, 1 for `Success`.
 *
 * The new snapshot carries the report's `detail`, its results ({@link jobResults}) and `source`; for `Failed`, a
 * `job-failed` error ({@link jobFailedError}); otherwise no error (a good report clears a tracking error).
 *
 * @example
 * ```ts
 * const next = mergeJobReport(tracker.snapshot, detail, 'callback');
 * if (next) render(next);
 * ```
 */
export function mergeJobReport(
  current: JobSnapshot | undefined,
  detail: JobsDetail,
  source: JobSource,
): JobSnapshot | undefined {
  const status = detail.State;
  let percent = progressOf(detail);
  // The snapshot of a bare job id (no report yet) takes any first report, whatever its state.
  if (current?.detail) {
    if (detail.JobId !== current.jobId || isTerminalJobState(current.status)) return undefined;
    if (status === current.status) {
      if (status === JobState.Success || percent <= current.progress.percent) return undefined;
    } else if (!canReachJobState(current.status, status)) {
      return undefined;
    }
    percent = Math.max(percent, current.progress.percent);
  } else if (current && detail.JobId !== current.jobId) {
    return undefined;
  }
  return {
    jobId: detail.JobId,
    tag: detail.Tag,
    status,
    progress: { percent },
    source,
    detail,
    results: jobResults(detail),
    ...(status === JobState.Failed ? { error: jobFailedError(detail) } : {}),
  };
}

/** What is known of a job before its first report: `Submitted`, nothing done, no results. */
export function initialJobSnapshot(jobId: string): JobSnapshot {
  return { jobId, status: JobState.Submitted, progress: { percent: 0 }, source: 'submit', results: { outputs: [] } };
}
