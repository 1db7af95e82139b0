// The element's events, read off two successive session snapshots: what changed between them is fired, in the
// order it happened (upload, then job, then the end). Lives in the pipeline chunk.
import {
  CosCancelEvent,
  CosErrorEvent,
  CosJobChangeEvent,
  CosJobCompleteEvent,
  CosJobFailedEvent,
  CosJobSubmittedEvent,
  CosUploadCompleteEvent,
  CosUploadProgressEvent,
  CosUploadStartEvent,
} from './events.js';
import type { SessionSnapshot } from '../core/session/index.js';

/**
 * Dispatches on `target` the events between `before` (`undefined`: nothing seen yet) and `now`. A snapshot seen
 * late (the element was out of the DOM for a while) fires what was missed, once.
 */
export function fireChanges(
  target: EventTarget,
  before: SessionSnapshot | undefined,
  now: SessionSnapshot,
  file: File | Blob | undefined,
): void {
  const fire = (event: Event) => target.dispatchEvent(event);
  if (now.upload && file && !before?.upload) fire(new CosUploadStartEvent({ file, key: now.key }));
  const progress = now.upload?.progress;
  if (progress && progress.transferredBytes !== before?.upload?.progress.transferredBytes) {
    const { percent, transferredBytes, totalBytes, bytesPerSecond } = progress;
    fire(new CosUploadProgressEvent({ percent, transferredBytes, totalBytes, bytesPerSecond }));
  }
  if (now.upload?.result && !before?.upload?.result) fire(new CosUploadCompleteEvent({ result: now.upload.result }));
  const job = now.job;
  if (job) {
    const old = before?.job?.jobId === job.jobId ? before.job : undefined;
    if (!old) fire(new CosJobSubmittedEvent({ jobId: job.jobId, tag: job.tag ?? '' }));
    if (!old || old.status !== job.status || old.progress.percent !== job.progress.percent) {
      const { jobId, status, progress: jobProgress, source } = job;
      fire(new CosJobChangeEvent({ jobId, status, progress: jobProgress, source }));
    }
    if (job.status === 'Failed' && old?.status !== 'Failed' && job.error) {
      fire(new CosJobFailedEvent({ jobId: job.jobId, error: job.error }));
    }
  }
  if (now.phase === before?.phase) return;
  if (now.phase === 'done' && now.result) {
    const { outputs, mediaInfo, extractedMessage, upload, job: final } = now.result;
    fire(
      new CosJobCompleteEvent({
        jobId: final.jobId,
        tag: final.tag ?? '',
        outputs,
        ...(mediaInfo ? { mediaInfo } : {}),
        ...(extractedMessage !== undefined ? { extractedMessage } : {}),
        ...(upload ? { upload } : {}),
      }),
    );
  }
  if (now.phase === 'failed' && now.error) fire(new CosErrorEvent({ error: now.error }));
  if (now.phase === 'cancelled') fire(new CosCancelEvent({ phase: before?.phase ?? 'idle' }));
}
