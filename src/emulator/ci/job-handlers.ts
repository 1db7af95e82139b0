import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { JobRequest } from '../../core/protocol/job-request-schemas.js';
import { Crc64, formatCrc64 } from '../../core/upload/crc64.js';
import type { EmulatorEnv } from '../env.js';
import { extractWatermark, writeWatermarkedCopy, type DigitalWatermarkMark } from '../media/digital-watermark.js';
import { EncodeError } from '../media/ffmpeg-run.js';
import { mediaInfoFromProbe } from '../media/media-info.js';
import { MediaProbeError, probeMp4 } from '../media/mp4-probe.js';
import { EncodeFailure, encodeTranscode, type EncodeControl, type EncodedOutput } from './job-encode.js';
import type { Job, JobResult } from './job-store.js';

type TranscodeRequest = Extract<JobRequest, { Tag: 'Transcode' }>;
type ExtractRequest = Extract<JobRequest, { Tag: 'ExtractDigitalWatermark' }>;

/** How the work of a job ended: its results, or the failure `Code` and `Message` of its `JobsDetail`. */
export type JobOutcome = { ok: true; result: JobResult } | { ok: false; code: string; message: string };

/**
 * Failure codes of jobs. The service's catalogue of job failure codes is not documented (reference section 9); the
 * emulator uses the CI error code of the same meaning where one exists, and clear names otherwise:
 *
 * - `ResourceNotFound`: the input object was deleted after the job was accepted (the CI code for a missing input),
 *   or an image watermark's object does not exist.
 * - `InvalidInput`: the input is not a video the emulator can read (without FFmpeg: not an MP4 / MOV file), or is
 *   truncated or malformed; or the job's template no longer exists (a `--templates` file changed across a restart).
 * - `WatermarkNotFound`: an extraction found no digital watermark of the requested `Type` / `Version`.
 * - `FontNotFound`: a text watermark, and no font on the machine.
 * - `EncoderUnavailable`: the template needs an encoder or filter the FFmpeg in use lacks (the message names it).
 * - `JobTimeout`: the encode took longer than `media.timeoutMs`; FFmpeg was killed.
 * - `EncodeFailed`: FFmpeg failed; the message ends with its last lines.
 * - `InternalError`: a file-system failure while working.
 */
export const JOB_FAILURE_CODES = [
  'ResourceNotFound',
  'InvalidInput',
  'WatermarkNotFound',
  'FontNotFound',
  'EncoderUnavailable',
  'JobTimeout',
  'EncodeFailed',
  'InternalError',
] as const;

type FailureCode = (typeof JOB_FAILURE_CODES)[number];

const failed = (code: FailureCode, message: string): JobOutcome => ({ ok: false, code, message });

/** What a job's work is told: when to stop (the emulator closes) and where its progress goes. */
export type JobControl = EncodeControl;

const NO_CONTROL: JobControl = { signal: new AbortController().signal, onProgress: () => undefined };

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

/** The input object's bytes in one file (a multipart object's parts are copied into one on first use). */
function inputFile(env: EmulatorEnv, job: Job): Promise<string | undefined> {
  return env.objects.localFile(job.bucket, job.request.Input.Object);
}

const MISSING_INPUT = 'The input object does not exist (it was deleted after the job was submitted).';

/** The copy-through output: the input's bytes (with the digital watermark appended when asked). */
async function copyThrough(source: string, mark: DigitalWatermarkMark | undefined, temp: string): Promise<EncodedOutput> {
  const { size } = await writeWatermarkedCopy(source, temp, mark);
  return { file: temp, size, mediaInfo: mediaInfoFromProbe(await probeMp4(temp), size), contentType: 'video/mp4' };
}

/**
 * A transcode job. With FFmpeg (`env.media`), the input is encoded as its template says with its visible
 * watermarks drawn ({@link encodeTranscode}); without, the output is a copy of the input, which must then be an
 * MP4 / MOV, and `${ext}` resolves to `mp4` whatever the template's container (the bytes are the input's). Either
 * way the digital watermark is added when the job asks for one, and the output is committed, with its MD5 (ETag)
 * and CRC-64, only once whole: a failed or stopped job leaves no object and no temporary file. Results:
 * `MediaInfo` of the output, `MediaResult.OutputFile` with the resolved key and its MD5, and
 * `DigitalWatermark.State` `Success`.
 */
async function transcode(env: EmulatorEnv, job: Job, request: TranscodeRequest, control: JobControl): Promise<JobOutcome> {
  const source = await inputFile(env, job);
  if (source === undefined) return failed('ResourceNotFound', MISSING_INPUT);
  const operation = request.Operation;
  const digital = operation.DigitalWatermark;
  const mark = digital && { type: digital.Type, version: digital.Version, message: digital.Message };
  const output = operation.Output;
  const tools = env.media.mode === 'ffmpeg' ? env.media : undefined;
  let made: EncodedOutput;
  let extension: string;
  if (tools) {
    const template = env.templates.transcode(operation.TemplateId, job.bucket);
    if (!template) {
      const message = `The template ${operation.TemplateId} no longer exists (deleted, or check --templates).`;
      return failed('InvalidInput', message);
    }
    try {
      made = await encodeTranscode(env, tools, { bucket: job.bucket, template, operation }, source, mark, control);
    } catch (error) {
      if (error instanceof EncodeFailure) return { ok: false, code: error.code, message: error.message };
      throw error;
    }
    extension = template.container;
  } else {
    try {
      await probeMp4(source);
    } catch (error) {
      if (!(error instanceof MediaProbeError)) throw error;
      return failed('InvalidInput', `The input object is not a supported MP4 / MOV file: ${error.message}`);
    }
    extension = 'mp4';
    const temp = env.objects.tempFile();
    try {
      made = await copyThrough(source, mark, temp);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
  try {
    const key = resolveOutputKey(output.Object, { id: job.id, outputExtension: extension });
    const { md5, crc64 } = await hashFile(made.file);
    if (control.signal.aborted) throw new EncodeError('Aborted', 'The emulator is closing.');
    await env.objects.commit(output.Bucket, key, made.file, {
      size: made.size,
      etag: `"${md5}"`,
      crc64,
      contentType: made.contentType,
      headers: {},
    });
    const result: JobResult = {
      mediaInfo: made.mediaInfo,
      outputFile: { bucket: output.Bucket, region: output.Region, key, md5 },
    };
    if (digital) result.digitalWatermarkState = 'Success';
    return { ok: true, result };
  } finally {
    await rm(made.file, { force: true });
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
 * Does the work of a job. Never throws: an unexpected failure (a file-system error) ends the job `Failed` with
 * `InternalError`; work stopped by `control.signal` (the emulator closing) ends `Failed` too, which the runner, seeing
 * the signal aborted, does not record.
 */
export async function performJob(env: EmulatorEnv, job: Job, control: JobControl = NO_CONTROL): Promise<JobOutcome> {
  try {
    const { request } = job;
    return await (request.Tag === 'Transcode' ? transcode(env, job, request, control) : extract(env, job, request));
  } catch {
    return failed('InternalError', 'The job failed because of an internal error. Please try again.');
  }
}

/** Whether this job encodes with FFmpeg (its progress then comes from the encoder, not from `jobs.runMs`). */
export const encodes = (env: EmulatorEnv, job: Job): boolean => env.media.mode === 'ffmpeg' && job.request.Tag === 'Transcode';
