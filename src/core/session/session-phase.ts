/**
 * Where a transcode session is. String values, usable as CSS `:state()` names and in logs.
 *
 * `idle` → `uploading` (a file given) or `submitting` (the object already at `key`, or the job of an earlier page
 * found again); `uploading` → `submitting` → `processing` → `done`. Any of the three working phases → `failed`,
 * from which `retry()` goes back to the phase that failed (`processing` may go back to `submitting`: a failed job is
 * submitted again). Every phase but `done` → `cancelled`.
 */
export const SessionPhase = {
  Idle: 'idle',
  Uploading: 'uploading',
  Submitting: 'submitting',
  Processing: 'processing',
  Done: 'done',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
/** One of {@link SessionPhase}. */
export type SessionPhase = (typeof SessionPhase)[keyof typeof SessionPhase];

/** The phases each phase may move to; the session never makes any other move. */
export const SESSION_PHASE_TRANSITIONS: Readonly<Record<SessionPhase, readonly SessionPhase[]>> = Object.freeze({
  idle: ['uploading', 'submitting', 'cancelled'],
  uploading: ['submitting', 'failed', 'cancelled'],
  submitting: ['processing', 'failed', 'cancelled'],
  processing: ['done', 'failed', 'cancelled'],
  done: [],
  failed: ['uploading', 'submitting', 'processing', 'cancelled'],
  cancelled: [],
});

/** The phases a session works in, and so may fail in: what `retry()` resumes. */
export type WorkingPhase = 'uploading' | 'submitting' | 'processing';

/** Whether a session in `phase` is over for good (`done` or `cancelled`). */
export const isFinalSessionPhase = (phase: SessionPhase): boolean => SESSION_PHASE_TRANSITIONS[phase].length === 0;
