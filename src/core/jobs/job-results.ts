import type { JobsDetail } from '../protocol/ci-schemas.js';
import type { JobOutputObject, JobResults } from './job-types.js';

/**
 * The results of a job in plain form ({@link JobResults}): every object name of every `MediaResult.OutputFile`
 * with its bucket, region and MD5, the media information, the digital watermark's embedding state, the extracted
 * message and the echoed `UserData`. Fields the service did not report are absent.
 *
 * @example
 * ```ts
 * const { outputs: [video], mediaInfo } = jobResults(job);
 * ```
 */
export function jobResults(detail: JobsDetail): JobResults {
  const operation = detail.Operation;
  const results: JobResults = { outputs: [] };
  if (!operation) return results;
  for (const file of operation.MediaResult?.OutputFile ?? []) {
    const md5 = new Map(file.Md5Info.map((info) => [info.ObjectName, info.Md5]));
    for (const key of file.ObjectName) {
      const output: JobOutputObject = { bucket: file.Bucket ?? '', region: file.Region ?? '', key };
      const sum = md5.get(key);
      if (sum) output.md5 = sum;
      results.outputs.push(output);
    }
  }
  if (operation.MediaInfo) results.mediaInfo = operation.MediaInfo;
  const digital = operation.DigitalWatermark;
  if (digital) {
    results.digitalWatermark = {};
    if (digital.Message !== undefined) results.digitalWatermark.message = digital.Message;
    if (digital.State !== undefined) results.digitalWatermark.state = digital.State;
  }
  const extracted = operation.ExtractDigitalWatermark?.Message;
  if (extracted !== undefined && extracted !== '') results.extractedMessage = extracted;
  if (operation.UserData !== undefined) results.userData = operation.UserData;
  return results;
}
