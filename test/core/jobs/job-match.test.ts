import { expect } from 'chai';
import { matchesJobRequest } from '../../../src/core/jobs/job-match.js';
import { parseJobsResponse } from '../../../src/core/protocol/ci-schemas.js';
import { parseJobRequest } from '../../../src/core/protocol/job-request.js';
import type { JobRequest } from '../../../src/core/protocol/job-request-schemas.js';
import { EXTRACT_RESPONSE, TRANSCODE_REQUEST, TRANSCODE_RESPONSE } from '../../fixtures/seeds.js';
import {
  QUEUE_ID,
  echo,
  extractRequest,
  parsedDetail,
  transcodeRequest,
  type TranscodeRequest,
} from '../../helpers/job-echo.js';

const JOB_ID = 'j8d121820f5e411ec926ef19d53ba9c6f';

/** Whether the echo of `request`, changed by `alter`, matches `request`. */
function matches(request: JobRequest, alter: (detail: Record<string, any>) => void = () => {}): boolean {
  const detail = echo(request, { jobId: JOB_ID });
  alter(detail);
  return matchesJobRequest(parsedDetail(detail), request);
}

const WATERMARK = {
  Type: 'Text',
  Pos: 'TopLeft',
  LocMode: 'Absolute',
  Dx: 10,
  Dy: 10,
  Text: { Text: 'demo' },
} as const;
const noUserData = () => transcodeRequest({ UserData: undefined });
const inQueue = () => ({ ...transcodeRequest(), QueueId: QUEUE_ID });
const withMarks = (operation: Partial<TranscodeRequest['Operation']>) => transcodeRequest(operation);

describe('matchesJobRequest', () => {
  it('should match the seed response of the seed request', () => {
    const [job] = parseJobsResponse(TRANSCODE_RESPONSE, 'submit').JobsDetail;
    expect(matchesJobRequest(job!, parseJobRequest(TRANSCODE_REQUEST))).to.equal(true);
  });

  it('should not match the seed extraction job to the seed transcode request', () => {
    const [job] = parseJobsResponse(EXTRACT_RESPONSE, 'submit').JobsDetail;
    expect(matchesJobRequest(job!, parseJobRequest(TRANSCODE_REQUEST))).to.equal(false);
  });

  it('should match the echo of a transcode request and of an extraction request', () => {
    expect([matches(transcodeRequest()), matches(extractRequest({ UserData: 'x', JobLevel: 2 }))]).to.deep.equal([
      true,
      true,
    ]);
  });

  const strict: [string, JobRequest, (detail: Record<string, any>) => void][] = [
    ['another tag', transcodeRequest(), (d) => (d.Tag = 'ExtractDigitalWatermark')],
    ['another input object', transcodeRequest(), (d) => (d.Input.Object = 'input/other.mp4')],
    ['another template', transcodeRequest(), (d) => (d.Operation.TemplateId = 't1000000000000000000000000000000000')],
    ['another output region', transcodeRequest(), (d) => (d.Operation.Output.Region = 'ap-beijing')],
    ['another output bucket', transcodeRequest(), (d) => (d.Operation.Output.Bucket = 'other-1250000000')],
    ['a resolved output object', transcodeRequest(), (d) => (d.Operation.Output.Object = 'output/demo.mp4')],
    ['no output', transcodeRequest(), (d) => delete d.Operation.Output],
    ['no operation at all', transcodeRequest(), (d) => delete d.Operation],
    ['other user data', transcodeRequest(), (d) => (d.Operation.UserData = 'order-43')],
    ['user data where the request had none', noUserData(), (d) => (d.Operation.UserData = 'x')],
    ['no user data where the request had some', transcodeRequest(), (d) => delete d.Operation.UserData],
    ['another job level', transcodeRequest({ JobLevel: 1 }), (d) => (d.Operation.JobLevel = '2')],
    ['a level where the request had none', transcodeRequest(), (d) => (d.Operation.JobLevel = '1')],
    ['another watermark message', transcodeRequest(), (d) => (d.Operation.DigitalWatermark.Message = 'order43')],
    ['another watermark type', transcodeRequest(), (d) => (d.Operation.DigitalWatermark.Type = 'Image')],
    ['another watermark version', transcodeRequest(), (d) => (d.Operation.DigitalWatermark.Version = 'V2')],
    ['no digital watermark', transcodeRequest(), (d) => delete d.Operation.DigitalWatermark],
    [
      'a digital watermark where the request had none',
      transcodeRequest({ DigitalWatermark: undefined }),
      (d) => (d.Operation.DigitalWatermark = { Type: 'Text', Message: 'x', Version: 'V1' }),
    ],
    [
      'one watermark template fewer',
      withMarks({ WatermarkTemplateId: ['t1a', 't1b'] }),
      (d) => (d.Operation.WatermarkTemplateId = ['t1a']),
    ],
    ['a watermark template not asked for', transcodeRequest(), (d) => (d.Operation.WatermarkTemplateId = ['t1a'])],
    [
      'another number of inline watermarks',
      withMarks({ Watermark: [WATERMARK, WATERMARK] }),
      (d) => (d.Operation.Watermark = [d.Operation.Watermark[0]]),
    ],
    ['another queue when the request named one', inQueue(), (d) => (d.QueueId = 'p1')],
    ['no queue when the request named one', inQueue(), (d) => delete d.QueueId],
    ['another extraction type', extractRequest(), (d) => (d.Operation.ExtractDigitalWatermark.Type = 'Image')],
    ['another extraction version', extractRequest(), (d) => (d.Operation.ExtractDigitalWatermark.Version = 'V2')],
    ['no extraction settings', extractRequest(), (d) => delete d.Operation.ExtractDigitalWatermark],
    ['other user data of an extraction', extractRequest({ UserData: 'a' }), (d) => (d.Operation.UserData = 'b')],
  ];
  for (const [name, request, alter] of strict) {
    it(`should not match a job with ${name}`, () => {
      expect(matches(request, alter)).to.equal(false);
    });
  }

  const tolerant: [string, JobRequest, (detail: Record<string, any>) => void][] = [
    [
      'watermark templates in another order',
      withMarks({ WatermarkTemplateId: ['t1a', 't1b'] }),
      (d) => d.Operation.WatermarkTemplateId.reverse(),
    ],
    ['inline watermarks not echoed', withMarks({ Watermark: [WATERMARK] }), (d) => delete d.Operation.Watermark],
    ['an empty UserData for none', noUserData(), (d) => (d.Operation.UserData = '')],
    ['no UserData for an empty one', transcodeRequest({ UserData: '' }), (d) => delete d.Operation.UserData],
    ['no JobLevel for 0', transcodeRequest({ JobLevel: 0 }), (d) => delete d.Operation.JobLevel],
    ['JobLevel 0 for none', transcodeRequest(), (d) => (d.Operation.JobLevel = '0')],
    ['any queue when the request named none', transcodeRequest(), (d) => (d.QueueId = 'p1')],
    ['results added', transcodeRequest(), (d) => (d.Operation.MediaInfo = { Format: { Duration: '1' } })],
    ['an extracted message', extractRequest(), (d) => (d.Operation.ExtractDigitalWatermark.Message = 'x')],
  ];
  for (const [name, request, alter] of tolerant) {
    it(`should match a job with ${name}`, () => {
      expect(matches(request, alter)).to.equal(true);
    });
  }
});
