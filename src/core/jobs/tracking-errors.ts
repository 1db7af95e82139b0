import { TranscoderError, isTranscoderError } from '../errors.js';

/*
 * The errors a job tracker ends with when the job itself did not fail: all in phase `track`, none quoting what the
 * service said.
 */

/** `aborted` for a tracker stopped by `stop()` or its signal; the signal's reason is the `cause`. */
export function stoppedError(jobId: string, signal: AbortSignal | undefined): TranscoderError {
  return new TranscoderError(`Stopped following job ${jobId}`, {
    code: 'aborted',
    phase: 'track',
    ...(signal?.aborted ? { cause: signal.reason } : {}),
  });
}

/** What a poll threw, as a {@link TranscoderError} (anything else is taken as an unreadable answer). */
export function asTrackingError(caught: unknown, jobId: string): TranscoderError {
  if (isTranscoderError(caught)) return caught;
  const init = { code: 'invalid-response', phase: 'track', cause: caught } as const;
  return new TranscoderError(`Polling job ${jobId} failed`, init);
}

/** The service does not know the job (`NonExistJobIds`): it will never end. */
export function notFoundError(jobId: string): TranscoderError {
  return new TranscoderError(`Job ${jobId} does not exist: the service lists it in NonExistJobIds`, {
    code: 'service',
    phase: 'track',
  });
}

/** A jobs response that names neither the job nor its absence. */
export function missingDetailError(jobId: string): TranscoderError {
  return new TranscoderError(`DescribeMediaJob answered without job ${jobId}`, {
    code: 'invalid-response',
    phase: 'track',
  });
}

/** `aborted` for a job that ended in `Cancel`. */
export function cancelledError(jobId: string): TranscoderError {
  return new TranscoderError(`Job ${jobId} was cancelled`, { code: 'aborted', phase: 'track' });
}
