// Job requests and the service's echo of them, for the tests of submitJob, listJobs and matchesJobRequest. The
// echo follows the documented samples (test/fixtures/seeds.ts): Operation as submitted, Output.Object unresolved,
// JobLevel always, DigitalWatermark with its embedding State.
import { expect } from 'chai';
import { formatServiceTime } from '../../src/core/jobs/service-time.js';
import { parseJobsResponse, type JobsDetail } from '../../src/core/protocol/ci-schemas.js';
import type { JobRequest } from '../../src/core/protocol/job-request-schemas.js';
import type { JobState } from '../../src/core/protocol/job-state.js';
import { watermarkToWire } from '../../src/core/protocol/watermark.js';
import { toWireNode } from '../../src/core/protocol/wire.js';
import { buildXml } from '../../src/core/protocol/xml.js';
import type { FakeTransport, RecordedRequest } from './fake-transport.js';
import { BUCKET, CI_HOST, NOW, REGION } from './service-client-setup.js';

export type TranscodeRequest = Extract<JobRequest, { Tag: 'Transcode' }>;
export type ExtractRequest = Extract<JobRequest, { Tag: 'ExtractDigitalWatermark' }>;

export const TEMPLATE_ID = 't1460606b9752148c4ab182f55163ba7cd';
export const INPUT = 'input/demo.mp4';
export const QUEUE_ID = 'p2242ab62c7c94486915508540933a2c6';

/** A transcode request with a digital watermark and user data, `Operation` fields overridable. */
export function transcodeRequest(operation: Partial<TranscodeRequest['Operation']> = {}): TranscodeRequest {
  return {
    Tag: 'Transcode',
    Input: { Object: INPUT },
    Operation: {
      TemplateId: TEMPLATE_ID,
      DigitalWatermark: { Type: 'Text', Message: 'order42', Version: 'V1' },
      Output: { Region: REGION, Bucket: BUCKET, Object: 'output/demo.${ext}' },
      UserData: 'order-42',
      ...operation,
    },
  };
}

/** An extraction request. */
export function extractRequest(operation: Partial<ExtractRequest['Operation']> = {}): ExtractRequest {
  return {
    Tag: 'ExtractDigitalWatermark',
    Input: { Object: INPUT },
    Operation: { ExtractDigitalWatermark: { Type: 'Text', Version: 'V1' }, ...operation },
  };
}

let counter = 0;
/** A fresh job id (`j` + 32 hex), unique in this page: lookups remember the ids they have handed out. */
export function newJobId(): string {
  counter += 1;
  const random = crypto.getRandomValues(new Uint8Array(12));
  const hex = [...random].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `j${hex}${counter.toString(16).padStart(8, '0')}`;
}

/** Fields of {@link echo} beyond the request. */
export interface EchoFields {
  jobId: string;
  state?: JobState;
  /** ms since the epoch. @default NOW */
  creationTime?: number;
}

/** The `JobsDetail` tree the service reports for `request`, as plain data (tests may alter it). */
export function echo(request: JobRequest, fields: EchoFields): Record<string, any> {
  const operation: Record<string, unknown> =
    request.Tag === 'Transcode'
      ? {
          TemplateId: request.Operation.TemplateId,
          TemplateName: 'h264_720p',
          WatermarkTemplateId: request.Operation.WatermarkTemplateId,
          Watermark: request.Operation.Watermark?.map(watermarkToWire),
          DigitalWatermark: request.Operation.DigitalWatermark && {
            ...request.Operation.DigitalWatermark,
            IgnoreError: request.Operation.DigitalWatermark.IgnoreError ?? false,
            State: 'Running',
          },
          Output: { ...request.Operation.Output },
          UserData: request.Operation.UserData,
          JobLevel: request.Operation.JobLevel ?? 0,
        }
      : {
          ExtractDigitalWatermark: { ...request.Operation.ExtractDigitalWatermark },
          UserData: request.Operation.UserData,
          JobLevel: request.Operation.JobLevel ?? 0,
        };
  return {
    Code: 'Success',
    Message: '',
    JobId: fields.jobId,
    State: fields.state ?? 'Submitted',
    CreationTime: formatServiceTime(fields.creationTime ?? NOW),
    StartTime: '-',
    EndTime: '-',
    QueueId: request.QueueId ?? QUEUE_ID,
    Tag: request.Tag,
    Input: { BucketId: BUCKET, Object: request.Input.Object, Region: REGION },
    Operation: operation,
  };
}

/** A jobs `<Response>` body holding `details` (and `NonExistJobIds`, `NextToken` when given). */
export function jobsXml(details: object[], extra: { missing?: string[]; nextToken?: string } = {}): string {
  return buildXml({
    Response: toWireNode({ JobsDetail: details, NonExistJobIds: extra.missing, NextToken: extra.nextToken }),
  });
}

/** `detail` parsed as the core reads it. */
export function parsedDetail(detail: object): JobsDetail {
  const [job] = parseJobsResponse(jobsXml([detail]), 'track').JobsDetail;
  return job!;
}

/** An XML reply. */
export const xmlReply = (body: string) => ({
  status: 200,
  headers: { 'content-type': 'application/xml', 'x-ci-request-id': 'NjQ2YzE4ZWFfOTBmYTUwXzZiZGNfMWY0' },
  body,
});

/** A CI error reply. */
export const errorReply = (status: number, code: string, message = 'refused') => ({
  status,
  headers: { 'content-type': 'application/xml', 'x-ci-request-id': 'NjQ2YzE4ZWFfOTBmYTUwXzZiZGNfMWY0' },
  body:
    `<Error><Code>${code}</Code><Message>${message}</Message>` +
    '<RequestId>NjQ2YzE4ZWFfOTBmYTUwXzZiZGNfMWY0</RequestId></Error>',
});

/** `METHOD path?query` of a recorded request, for transcripts. */
export function line(request: RecordedRequest): string {
  expect(request.headers['host']).to.equal(CI_HOST);
  const query = Object.entries(request.query)
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`))
    .join('&');
  return `${request.method} ${request.path}${query ? `?${query}` : ''}`;
}

/** Takes the next request, checks its line, and answers it with `reply` (or fails it). */
export async function answer(
  transport: FakeTransport,
  expected: string | RegExp,
  reply: { status: number; headers?: Record<string, string>; body?: string } | 'network' | 'timeout',
): Promise<RecordedRequest> {
  const request = await transport.nextRequest();
  if (typeof expected === 'string') expect(line(request)).to.equal(expected);
  else expect(line(request)).to.match(expected);
  if (reply === 'network' || reply === 'timeout') request.fail(reply);
  else request.respondWith(reply);
  return request;
}
