// The steps the demo page shows, shared with the browser end-to-end test so that what the page does is what is
// tested: submit a Transcode job, then poll it to its end. (core/jobs will replace this with a real tracker.)
import { buildTranscodeJobRequest, parseJobsResponse, type JobsDetail, type ServiceClient } from '../src/core/index.js';

/** The job of {@link submitTranscode}. */
export interface TranscodeJob {
  input: string;
  output: { region: string; bucket: string; object: string };
  /** A digital watermark message to embed. */
  watermark?: string;
  userData?: string;
}

/** `POST /jobs` with the seed's transcode template; resolves with the submitted job. */
export async function submitTranscode(client: ServiceClient, job: TranscodeJob): Promise<JobsDetail> {
  const response = await client.request({
    service: 'ci',
    method: 'POST',
    pathname: '/jobs',
    headers: { 'content-type': 'application/xml' },
    body: buildTranscodeJobRequest({
      Tag: 'Transcode',
      Input: { Object: job.input },
      Operation: {
        TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
        Output: { Region: job.output.region, Bucket: job.output.bucket, Object: job.output.object },
        ...(job.watermark ? { DigitalWatermark: { Type: 'Text', Message: job.watermark, Version: 'V1' } } : {}),
        ...(job.userData === undefined ? {} : { UserData: job.userData }),
      },
    }),
    action: 'name/ci:CreateMediaJobs',
    phase: 'submit',
  });
  const [submitted] = parseJobsResponse(response.body, 'submit').JobsDetail;
  if (!submitted) throw new Error('The service answered without a job');
  return submitted;
}

const ENDED = new Set(['Success', 'Failed', 'Cancel']);

/**
 * Polls `GET /jobs/<id>` every `intervalMs` until the job ends or `timeoutMs` passes; calls `onPoll` with every
 * answer. Resolves with the last state seen.
 */
export async function pollJob(
  client: ServiceClient,
  job: JobsDetail,
  options: { intervalMs: number; timeoutMs: number; onPoll?: (job: JobsDetail) => void },
): Promise<JobsDetail> {
  const deadline = Date.now() + options.timeoutMs;
  let current = job;
  while (!ENDED.has(current.State) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    const response = await client.request({
      service: 'ci',
      method: 'GET',
      pathname: `/jobs/${job.JobId}`,
      action: 'name/ci:DescribeMediaJob',
      phase: 'track',
    });
    current = parseJobsResponse(response.body, 'track').JobsDetail[0] ?? current;
    options.onPoll?.(current);
  }
  return current;
}
