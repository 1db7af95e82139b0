import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { JobRequest } from '../../core/protocol/job-request-schemas.js';
import { Crc64, formatCrc64 } from '../../core/upload/crc64.js';
import type { EmulatorEnv } from '../env.js';
import { extractWatermark, writeWatermarkedCopy } from '../media/digital-watermark.js';
import { mediaInfoFromProbe } from '../media/media-info.js';
import { MediaProbeError, probeMp4 } from '../media/mp4-probe.js';
import type { Job, JobResult } from './job-store.js';

type TranscodeRequest = Extract<JobRequest, { Tag: 'Transcode' }>;
type ExtractRequest = Extract<JobRequest, { Tag: 'ExtractDigitalWatermark' }>;

/** How the work of a job ended: its results, or the failure `Code` and `Message` of its `JobsDetail`. */
export type JobOutcome = { ok: true; result: JobResult } | { ok: false; code: string; message: string };

/**
 * Failure codes of jobs. The service's catalogue of job failure codes is not documented (reference section 9); the
 * emulator uses the CI error code of the same meaning where one exists, and clear names otherwise:
 *
 * - `ResourceNotFound`: the input object was deleted after the job was accepted (the CI code for a missing input).
 * - `InvalidInput`: the input is not an MP4 / MOV file, or is truncated or malformed.
 * - `WatermarkNotFound`: an extraction found no digital watermark of the requested `Type` / `Version`.
 * - `InternalError`: a file-system failure while working.
 */
export const JOB_FAILURE_CODES = ['ResourceNotFound', 'InvalidInput', 'WatermarkNotFound', 'InternalError'] as const;

type FailureCode = (typeof JOB_FAILURE_CODES)[number];

const failed = (code: FailureCode, message: string): JobOutcome => ({ ok: false, code, message });

/** Replaces the output key variables: `${ext}` by the template's container and `${jobid}` by the job id. */
export function resolveOutputKey(template: string, job: Pick<Job, 'id' | 'outputExtension'>): string {
  return template.replaceAll('${ext}', job.outputExtension).replaceAll('${jobid}', job.id);
}

/** Streams a file through MD5 and CRC-64/XZ. */
async function hashFile(file: string): Promise<{ md5: string; crc64: string }> {
  const md5 = createHash('md5');
  const crc = new Crc64();
  for await (const chunk of createReadStream(file)) {
    const bytes = chunk as Buffer;
    md5.update(bytes);
    crc.update(bytes);
  }
  return { md5: md5.digest('hex'), crc64: formatCrc64(crc.digest()) };
}

async function inputFile(env: EmulatorEnv, job: Job): Promise<string | undefined> {
  return (await env.objects.head(job.bucket, job.request.Input.Object))?.file;
}

const MISSING_INPUT = 'The input object does not exist (it was deleted after the job was submitted).';

/**
 * A transcode job: the input must be an MP4 / MOV; the output object is a copy of it (the emulator does not
 * re-encode), with the digital watermark appended when the job asks for one, committed with its MD5 (ETag) and
 * CRC-64. Results: `MediaInfo` of the output, `MediaResult.OutputFile` with the resolved key and its MD5, and
 * `DigitalWatermark.State` `Success`.
 */
async function transcode(env: EmulatorEnv, job: Job, request: TranscodeRequest): Promise<JobOutcome> {
  const source = await inputFile(env, job);
  if (source === undefined) return failed('ResourceNotFound', MISSING_INPUT);
  try {
    await probeMp4(source);
  } catch (error) {
    if (!(error instanceof MediaProbeError)) throw error;
    return failed('InvalidInput', `The input object is not a supported MP4 / MOV file: ${error.message}`);
  }
  const operation = request.Operation;
  const digital = operation.DigitalWatermark;
  const mark = digital && { type: digital.Type, version: digital.Version, message: digital.Message };
  const output = operation.Output;
  const key = resolveOutputKey(output.Object, job);
  const temp = env.objects.tempFile();
  try {
    const { size } = await writeWatermarkedCopy(source, temp, mark);
    const { md5, crc64 } = await hashFile(temp);
    const mediaInfo = mediaInfoFromProbe(await probeMp4(temp), size);
    await env.objects.commit(output.Bucket, key, temp, {
      size,
      etag: `"${md5}"`,
      crc64,
      contentType: 'video/mp4',
      headers: {},
    });
    const result: JobResult = {
      mediaInfo,
      outputFile: { bucket: output.Bucket, region: output.Region, key, md5 },
    };
    if (digital) result.digitalWatermarkState = 'Success';
    return { ok: true, result };
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * An extraction job: a real round trip with the transcode job's watermark. Found: `Success` with the message in
 * `Operation.ExtractDigitalWatermark.Message`. Not found (a file no transcode job watermarked, or one watermarked
 * with another Type / Version): the job ends `Failed` with Code `WatermarkNotFound` and a message saying so, which
 * is how a client tells "no watermark" from an empty message. A file that is not an MP4 fails with `InvalidInput`.
 */
async function extract(env: EmulatorEnv, job: Job, request: ExtractRequest): Promise<JobOutcome> {
  const source = await inputFile(env, job);
  if (source === undefined) return failed('ResourceNotFound', MISSING_INPUT);
  const { Type, Version } = request.Operation.ExtractDigitalWatermark;
  const extraction = await extractWatermark(source, { type: Type, version: Version });
  if (extraction.found) return { ok: true, result: { extractedMessage: extraction.message } };
  if (extraction.reason === 'not an MP4 file') {
    return failed('InvalidInput', 'The input object is not a supported MP4 / MOV file.');
  }
  return failed(
    'WatermarkNotFound',
    `No digital watermark of Type ${Type}, Version ${Version} was found in the input object (${extraction.reason}).`,
  );
}

/**
 * Does the work of a job once its running time is over. Never throws: an unexpected failure (a file-system error)
 * ends the job `Failed` with `InternalError`.
 */
export async function performJob(env: EmulatorEnv, job: Job): Promise<JobOutcome> {
  try {
    const { request } = job;
    return await (request.Tag === 'Transcode' ? transcode(env, job, request) : extract(env, job, request));
  } catch {
    return failed('InternalError', 'The job failed because of an internal error. Please try again.');
  }
}
