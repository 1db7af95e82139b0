import { expect } from 'chai';
import { buildJobsResponse, parseJobsResponse } from '../../../src/core/protocol/ci-schemas.js';
import { EXTRACT_RESPONSE, TRANSCODE_RESPONSE } from '../../fixtures/seeds.js';
import { CI_ERROR } from '../../fixtures/cos-documents.js';
import { thrown } from '../../helpers/expect-error.js';

const RUNNING = `<Response>
  <JobsDetail>
    <Code>Success</Code><Message/><JobId>j8d121820f5e411ec926ef19d53ba9c6f</JobId>
    <State>Running</State><Progress>30</Progress>
    <CreationTime>2022-06-27T15:23:11+0800</CreationTime>
    <StartTime>2022-06-27T15:23:12+0800</StartTime>
    <EndTime>-</EndTime>
    <Tag>Transcode</Tag>
  </JobsDetail>
  <NonExistJobIds>j00000000000000000000000000000001</NonExistJobIds>
</Response>`;

describe('parseJobsResponse', () => {
  describe('with the Transcode seed response', () => {
    const response = parseJobsResponse(TRANSCODE_RESPONSE, 'submit');
    const job = response.JobsDetail[0]!;

    it('should give JobsDetail as an array of one', () => {
      expect(response.JobsDetail).to.have.length(1);
    });

    it('should read the identity and state', () => {
      expect([job.JobId, job.Tag, job.State, job.Progress, job.Code]).to.deep.equal([
        'j8d121820f5e411ec926ef19d53ba9c6f',
        'Transcode',
        'Submitted',
        0,
        'Success',
      ]);
    });

    it('should turn the unset times into null and keep the creation time', () => {
      expect([job.CreationTime, job.StartTime, job.EndTime]).to.deep.equal(['2022-06-27T15:23:11+0800', null, null]);
    });

    it('should keep the empty Message as an empty string', () => {
      expect(job.Message).to.equal('');
    });

    it('should read the input', () => {
      expect(job.Input).to.deep.equal({
        BucketId: 'test-123456789',
        Object: 'input/demo.mp4',
        Region: 'ap-chongqing',
        CosHeaders: [],
      });
    });

    it('should read the template name', () => {
      expect(job.Operation?.TemplateName).to.equal('high_993874');
    });

    it('should give the three watermark template ids as an array', () => {
      expect(job.Operation?.WatermarkTemplateId).to.deep.equal([
        't1318c5f428d474afba1797f84091cbe22',
        't1318c5f428d474afba1797f84091cbe23',
        't1318c5f428d474afba1797f84091cbe24',
      ]);
    });

    it('should read the digital watermark with its Running state', () => {
      expect(job.Operation?.DigitalWatermark).to.deep.equal({
        Type: 'Text',
        Message: '123456789ab',
        Version: 'V1',
        IgnoreError: false,
        State: 'Running',
      });
    });

    it('should keep the ${ext} placeholder of the output object', () => {
      expect(job.Operation?.Output).to.deep.equal({
        Region: 'ap-chongqing',
        Bucket: 'test-123456789',
        Object: 'output/out.${ext}',
      });
    });

    it('should read UserData and JobLevel', () => {
      expect([job.Operation?.UserData, job.Operation?.JobLevel]).to.deep.equal(['This is my data.', 0]);
    });

    it('should give an empty NonExistJobIds', () => {
      expect(response.NonExistJobIds).to.deep.equal([]);
    });

    it('should survive a build and parse round trip', () => {
      expect(parseJobsResponse(buildJobsResponse(response), 'submit')).to.deep.equal(response);
    });
  });

  describe('with the ExtractDigitalWatermark seed response', () => {
    const response = parseJobsResponse(EXTRACT_RESPONSE, 'submit');
    const job = response.JobsDetail[0]!;

    it('should read the tag and the extraction settings', () => {
      expect([job.Tag, job.Operation?.ExtractDigitalWatermark]).to.deep.equal([
        'ExtractDigitalWatermark',
        { Type: 'Text', Version: 'V1' },
      ]);
    });

    it('should leave Progress unset when the service omits it', () => {
      expect(job.Progress).to.equal(undefined);
    });

    it('should survive a build and parse round trip', () => {
      expect(parseJobsResponse(buildJobsResponse(response), 'submit')).to.deep.equal(response);
    });
  });

  it('should read the progress of a running job', () => {
    const job = parseJobsResponse(RUNNING, 'track').JobsDetail[0]!;
    expect([job.State, job.Progress, job.EndTime]).to.deep.equal(['Running', 30, null]);
  });

  it('should give unknown ids as an array', () => {
    expect(parseJobsResponse(RUNNING, 'track').NonExistJobIds).to.deep.equal(['j00000000000000000000000000000001']);
  });

  it('should give several jobs in document order', () => {
    const detail = (id: string) =>
      `<JobsDetail><JobId>${id}</JobId><State>Success</State><Tag>Transcode</Tag></JobsDetail>`;
    const response = parseJobsResponse(`<Response>${detail('j1')}${detail('j2')}</Response>`, 'track');
    expect(response.JobsDetail.map((job) => job.JobId)).to.deep.equal(['j1', 'j2']);
  });

  it('should read the next token of a listing', () => {
    expect(parseJobsResponse('<Response><NextToken>abc</NextToken></Response>', 'track').NextToken).to.equal('abc');
  });

  it('should give no jobs for an empty response', () => {
    expect(parseJobsResponse('<Response/>', 'track').JobsDetail).to.deep.equal([]);
  });

  it('should drop fields it does not know', () => {
    const job = parseJobsResponse(RUNNING.replace('<Tag>', '<Future>x</Future><Tag>'), 'track').JobsDetail[0]!;
    expect(job).not.to.have.property('Future');
  });

  it('should turn an Error body into a service error in the given phase', () => {
    const error = thrown(() => parseJobsResponse(CI_ERROR, 'track', { operation: 'DescribeMediaJob', status: 400 }));
    expect([error.code, error.phase, error.serviceCode]).to.deep.equal(['service', 'track', 'InvalidArgument']);
    expect(error.message).to.match(/^DescribeMediaJob failed: answered 400 InvalidArgument/);
  });

  it('should reject a JobsDetail without a JobId', () => {
    const error = thrown(() => parseJobsResponse(RUNNING.replace(/<JobId>.*?<\/JobId>/, ''), 'track'));
    expect([error.code, error.phase]).to.deep.equal(['invalid-response', 'track']);
    expect(error.message).to.contain('JobsDetail[0].JobId is required');
  });

  it('should reject an unknown State', () => {
    const error = thrown(() => parseJobsResponse(RUNNING.replace('>Running<', '>Done<'), 'track'));
    expect(error.message).to.contain(
      'JobsDetail[0].State must be one of Submitted, Running, Success, Failed, Pause, Cancel',
    );
  });

  it('should reject a Progress that is not a number', () => {
    const error = thrown(() => parseJobsResponse(RUNNING.replace('>30<', '>abc<'), 'track'));
    expect(error.message).to.contain('JobsDetail[0].Progress must be a number');
  });

  it('should reject a Progress above 100', () => {
    const error = thrown(() => parseJobsResponse(RUNNING.replace('>30<', '>130<'), 'track'));
    expect(error.message).to.contain('JobsDetail[0].Progress must be a number from 0 to 100');
  });

  it('should reject a JobId that could not go into a URL', () => {
    const body = RUNNING.replace('j8d121820f5e411ec926ef19d53ba9c6f', '../x?y');
    const error = thrown(() => parseJobsResponse(body, 'track'));
    expect(error.message).to.contain('JobsDetail[0].JobId must be a job id');
  });
});
