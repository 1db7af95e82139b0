import type { JobsDetail } from '../protocol/ci-schemas.js';
import type { JobRequest } from '../protocol/job-request-schemas.js';

/*
 * The service echoes a job's request in its `JobsDetail` (reference §5.4, §5.8): `Tag`, `Input.Object` and the
 * submitted `Operation` (`Output.Object` as written, `${ext}` unresolved). A job found through the list API is the
 * one a request created only if every field the request set is echoed back the same.
 *
 * Strict (every documented sample echoes them): Tag, Input.Object, TemplateId, Output Region / Bucket / Object,
 * the WatermarkTemplateId list (in any order), DigitalWatermark Type / Message / Version both ways (a job with a
 * digital watermark never matches a request without one), ExtractDigitalWatermark Type / Version, UserData and
 * QueueId when the request named one.
 *
 * Tolerant, where the service may leave a field out:
 * - UserData: absent and empty are the same (no user data); the service may echo `<UserData/>` for none, and a
 *   request cannot tell the two apart in any way that matters;
 * - JobLevel: absent is 0, on both sides (the samples echo `0` for an unset level);
 * - Watermark: inline watermarks are only counted, and only when the echo lists any (no sample shows their echo);
 * - QueueId: ignored when the request named none (the job then runs in the bucket's default queue).
 */

/** The text of an echoed or requested field, `undefined` and `''` alike as "none". */
const textOf = (value: unknown): string => (value === undefined || value === null ? '' : String(value));

/** A job level, absent as 0. */
const levelOf = (value: unknown): number => (value === undefined || value === null || value === '' ? 0 : Number(value));

/** Whether two lists hold the same strings, in any order. */
function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const left = [...a].sort();
  const right = [...b].sort();
  return left.every((value, index) => value === right[index]);
}

/**
 * Whether `detail`, a job the service reported, is the job `request` creates: the same tag and input object, and
 * the request's own fields echoed back (see the module notes above for which fields are compared strictly and
 * which leniently). Used to find the job of a `POST /jobs` whose answer was lost.
 *
 * @example
 * ```ts
 * const { jobs } = await listJobs(client, { tag: 'Transcode', inputObject: request.Input.Object });
 * const mine = jobs.filter((job) => matchesJobRequest(job, request));
 * ```
 */
export function matchesJobRequest(detail: JobsDetail, request: JobRequest): boolean {
  if (detail.Tag !== request.Tag || detail.Input?.Object !== request.Input.Object) return false;
  if (request.QueueId !== undefined && detail.QueueId !== request.QueueId) return false;
  const echo = detail.Operation;
  if (echo === undefined) return false;
  const operation = request.Operation;
  if (textOf(echo.UserData) !== textOf(operation.UserData)) return false;
  if (levelOf(echo.JobLevel) !== levelOf(operation.JobLevel)) return false;
  if (request.Tag === 'ExtractDigitalWatermark') {
    const wanted = request.Operation.ExtractDigitalWatermark;
    const got = echo.ExtractDigitalWatermark;
    return got !== undefined && got.Type === wanted.Type && got.Version === wanted.Version;
  }
  const transcode = request.Operation;
  if (echo.TemplateId !== transcode.TemplateId) return false;
  const output = echo.Output;
  const wantedOutput = transcode.Output;
  if (
    output?.Region !== wantedOutput.Region ||
    output.Bucket !== wantedOutput.Bucket ||
    output.Object !== wantedOutput.Object
  ) {
    return false;
  }
  if (!sameMembers(echo.WatermarkTemplateId, transcode.WatermarkTemplateId ?? [])) return false;
  const marks = transcode.Watermark ?? [];
  if (echo.Watermark.length > 0 && echo.Watermark.length !== marks.length) return false;
  const digital = transcode.DigitalWatermark;
  const echoed = echo.DigitalWatermark;
  if (digital === undefined) return textOf(echoed?.Message) === '';
  return (
    echoed !== undefined &&
    echoed.Type === digital.Type &&
    echoed.Message === digital.Message &&
    echoed.Version === digital.Version
  );
}
