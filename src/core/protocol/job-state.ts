/**
 * The state of a CI media job, in the service's own words (`JobsDetail.State`). The values double as `:state()`
 * names and log text.
 */
export const JobState = {
  /** Accepted and waiting in its queue. */
  Submitted: 'Submitted',
  /** Being processed; `Progress` moves from 0 to 100. */
  Running: 'Running',
  /** Finished; outputs are in `Operation.MediaResult`. */
  Success: 'Success',
  /** Finished with an error; see `Code` and `Message`. */
  Failed: 'Failed',
  /** Waiting in a paused queue; resumes as `Submitted`. */
  Pause: 'Pause',
  /** Cancelled before it ran. */
  Cancel: 'Cancel',
} as const;

/** One of the {@link JobState} values. */
export type JobState = (typeof JobState)[keyof typeof JobState];

/**
 * The transitions the service makes, one step at a time. A job is cancellable only before it runs; a paused queue
 * holds jobs that have not started and puts them back when it resumes; a job may fail before it starts (its input
 * is missing). States without successors are terminal.
 *
 * A poller can observe several steps at once (`Submitted` then `Success`); use {@link canReachJobState} to decide
 * whether a report is news or stale.
 */
export const JOB_STATE_TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  Submitted: ['Running', 'Pause', 'Cancel', 'Failed'],
  Pause: ['Submitted', 'Cancel'],
  Running: ['Success', 'Failed'],
  Success: [],
  Failed: [],
  Cancel: [],
};

/** Whether a job in `state` has ended and will never change again (`Success`, `Failed`, `Cancel`). */
export const isTerminalJobState = (state: JobState): boolean => JOB_STATE_TRANSITIONS[state].length === 0;

/** Whether the service can move a job from `from` to `to` in one step. */
export const canTransitionJobState = (from: JobState, to: JobState): boolean =>
  JOB_STATE_TRANSITIONS[from].includes(to);

/**
 * Whether a job in `from` can later be seen in `to` (one or more steps, so a poll that missed `Running` still
 * counts). A report in a state that is not reachable (for example `Running` after `Success`) is stale. A report
 * in the same state is neither: compare for equality first (`Submitted` reaches itself through `Pause`, `Running`
 * does not).
 */
export function canReachJobState(from: JobState, to: JobState): boolean {
  const seen = new Set<JobState>([from]);
  const queue: JobState[] = [from];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const next of JOB_STATE_TRANSITIONS[state]) {
      if (next === to) return true;
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return false;
}
