// Shared helpers of the end-to-end media tests (media-output, media-watermarks, media-digital): an emulator that
// encodes with the real FFmpeg, jobs submitted and awaited over HTTP, outputs downloaded to a temp folder.
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobsDetail } from '../../src/core/protocol/ci-schemas.js';
import { buildExtractDigitalWatermarkJobRequest } from '../../src/core/protocol/job-request.js';
import type { TranscodeJobInput } from '../../src/core/protocol/job-request-schemas.js';
import type { Emulator } from '../../src/emulator/index.js';
import { permanentKeys, send, startTestEmulator } from '../helpers/emulator.js';
import { requireMediaTools as requireTools } from '../helpers/media/tools.js';
import { submit, transcodeBody, waitForJob } from './ci-support.js';

/** The emulator-only H.265 template and the WebM one. */
export const H265_TEMPLATE = 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8e';
export const WEBM_TEMPLATE = 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b90';
/** The seed's TSC template (keeps the source size). */
export const TSC_TEMPLATE = 't1460606b9752148c4ab182f55163ba7cd';

/** Fails the suite, saying why, when this machine has no ffmpeg / ffprobe. */
export function requireMediaTools(_context?: Mocha.Context): void {
  requireTools();
}

/** An emulator encoding with FFmpeg (it refuses to start without one), two jobs at once, short waits. */
export function startMediaEmulator(): Promise<Emulator> {
  return startTestEmulator({
    media: { mode: 'ffmpeg', threads: 2 },
    jobs: { queueDelayMs: 10, runMs: 10, progressSteps: 1, workers: 2 },
  });
}

/** Submits a transcode job with `template` (and extra `Operation` fields); its id. */
export async function submitTranscode(
  emulator: Emulator,
  input: string,
  template: string,
  operation: Partial<TranscodeJobInput['Operation']> = {},
  output = 'out/${jobid}.${ext}',
): Promise<string> {
  const body = transcodeBody(input, { output, operation: { TemplateId: template, ...operation } });
  const job = await submit(emulator, body);
  return job.JobId;
}

/** Waits (up to 60 s) for a job to end and expects `Success`; its detail. */
export async function succeeded(emulator: Emulator, id: string): Promise<JobsDetail> {
  const job = await waitForJob(emulator, id, { timeoutMs: 60_000 });
  expect(job.State, `${job.Code}: ${job.Message}`).to.equal('Success');
  return job;
}

/** The output object key of a finished transcode job. */
export function outputKey(job: JobsDetail): string {
  const key = job.Operation?.MediaResult?.OutputFile[0]?.ObjectName[0];
  expect(key, 'MediaResult.OutputFile.ObjectName').to.be.a('string');
  return key!;
}

/** GETs an object over HTTP into `dir`; the local path and the response body. */
export async function download(emulator: Emulator, key: string, dir: string): Promise<{ file: string; body: Buffer }> {
  const keys = permanentKeys(emulator);
  const response = await send(emulator, { service: 'cos', method: 'GET', path: `/${key}`, keys });
  expect(response.status, response.text.slice(0, 200)).to.equal(200);
  const file = join(dir, key.replaceAll('/', '_'));
  await writeFile(file, response.body);
  return { file, body: response.body };
}

/** Submits an ExtractDigitalWatermark job on `input` and waits for it to end; its detail. */
export async function extractJob(emulator: Emulator, input: string): Promise<JobsDetail> {
  const body = buildExtractDigitalWatermarkJobRequest({
    Input: { Object: input },
    Operation: { ExtractDigitalWatermark: { Type: 'Text', Version: 'V1' } },
  });
  const { JobId } = await submit(emulator, body);
  return waitForJob(emulator, JobId, { timeoutMs: 20_000 });
}
