import { expect } from 'chai';
import { buildJobCallback, parseJobCallback } from '../../../src/core/protocol/callback.js';
import {
  JSON_CALLBACK_ARRAY,
  JSON_CALLBACK_EXTRACT,
  JSON_CALLBACK_NUMBERS,
  JSON_CALLBACK_SINGLE,
  XML_CALLBACK,
} from '../../fixtures/callbacks.js';
import { thrown } from '../../helpers/expect-error.js';

describe('parseJobCallback', () => {
  describe('with an XML body', () => {
    const callback = parseJobCallback(XML_CALLBACK);
    const job = callback.JobsDetail[0]!;

    it('should read the event name and one job', () => {
      expect([callback.EventName, callback.JobsDetail.length]).to.deep.equal(['TaskFinish', 1]);
    });

    it('should read the state, progress and times', () => {
      expect([job.State, job.Progress, job.StartTime, job.EndTime]).to.deep.equal([
        'Success',
        100,
        '2022-06-30T19:30:21+0800',
        '2022-06-30T19:31:56+0800',
      ]);
    });

    it('should read the media format with numbers', () => {
      expect(job.Operation?.MediaInfo?.Format).to.deep.equal({
        Bitrate: 830.482,
        Duration: 70.413,
        FormatLongName: 'QuickTime / MOV',
        FormatName: 'mov,mp4,m4a,3gp,3g2,mj2',
        NumProgram: 0,
        NumStream: 2,
        Size: 7309480,
        StartTime: 0,
      });
    });

    it('should give streams as arrays and an empty Subtitle as none', () => {
      const stream = job.Operation?.MediaInfo?.Stream;
      expect([stream?.Video.length, stream?.Audio.length, stream?.Subtitle.length]).to.deep.equal([1, 1, 0]);
    });

    it('should keep fractions and codec tags as text', () => {
      const video = job.Operation?.MediaInfo?.Stream?.Video[0];
      expect([video?.Width, video?.Height, video?.AvgFps, video?.CodecTag, video?.Timebase]).to.deep.equal([
        1280,
        720,
        '24/1',
        '0x31766568',
        '1/12288',
      ]);
    });

    it('should read the media result with arrays of names and checksums', () => {
      expect(job.Operation?.MediaResult).to.deep.equal({
        OutputFile: [
          {
            Bucket: 'test-123456789',
            Md5Info: [{ Md5: '852883012a6ba726e6ed8d9b984edfdf', ObjectName: 'output/out.mp4' }],
            ObjectName: ['output/out.mp4'],
            ObjectPrefix: '',
            Region: 'ap-chongqing',
          },
        ],
      });
    });

    it('should read the digital watermark that failed to embed', () => {
      expect(job.Operation?.DigitalWatermark?.State).to.equal('Failed');
    });

    it('should round-trip through an XML callback', () => {
      expect(parseJobCallback(buildJobCallback(callback, 'XML'))).to.deep.equal(callback);
    });

    it('should round-trip through a JSON callback', () => {
      expect(parseJobCallback(buildJobCallback(callback, 'JSON'))).to.deep.equal(callback);
    });
  });

  it('should read a JSON body whose JobsDetail is an array', () => {
    const job = parseJobCallback(JSON_CALLBACK_ARRAY).JobsDetail[0]!;
    expect([job.JobId, job.State, job.Progress]).to.deep.equal(['j7d0e5f8af86b11ecb90d0b03267ce0e5', 'Success', 100]);
  });

  it('should give single JSON children as arrays', () => {
    const operation = parseJobCallback(JSON_CALLBACK_ARRAY).JobsDetail[0]!.Operation;
    expect([
      operation?.MediaInfo?.Stream?.Audio[0]?.SampleRate,
      operation?.MediaResult?.OutputFile[0]?.ObjectName,
      operation?.MediaResult?.OutputFile[0]?.Md5Info[0]?.Md5,
    ]).to.deep.equal([44100, ['output/x.mp4'], 'a825a7a7bf58e2b3c2be01f4e7a3c6a1']);
  });

  it('should read a JSON body whose JobsDetail is a single object', () => {
    const callback = parseJobCallback(JSON_CALLBACK_SINGLE);
    expect(callback.JobsDetail.map((job) => job.JobId)).to.deep.equal(['j7d0e5f8af86b11ecb90d0b03267ce0e5']);
  });

  it('should give the same job for the array and the single-object forms', () => {
    const single = JSON.parse(JSON_CALLBACK_ARRAY) as { JobsDetail: unknown[] };
    const asObject = { ...single, JobsDetail: single.JobsDetail[0] };
    expect(parseJobCallback(asObject)).to.deep.equal(parseJobCallback(JSON_CALLBACK_ARRAY));
  });

  it('should accept numbers where the service usually sends strings', () => {
    const job = parseJobCallback(JSON_CALLBACK_NUMBERS).JobsDetail[0]!;
    const operation = job.Operation;
    const numStream = operation?.MediaInfo?.Format?.NumStream;
    expect([job.Progress, operation?.JobLevel, operation?.UserData, numStream]).to.deep.equal([100, 0, '12345', 2]);
  });

  it('should leave dropped empty elements unset', () => {
    const job = parseJobCallback(JSON_CALLBACK_SINGLE).JobsDetail[0]!;
    expect([job.Message, job.Progress, job.Operation?.MediaInfo]).to.deep.equal([undefined, undefined, undefined]);
  });

  it('should read the extracted digital watermark message', () => {
    const job = parseJobCallback(JSON_CALLBACK_EXTRACT).JobsDetail[0]!;
    expect([job.Tag, job.Operation?.ExtractDigitalWatermark?.Message]).to.deep.equal([
      'ExtractDigitalWatermark',
      '123456789ab',
    ]);
  });

  it('should accept an already-parsed JSON object', () => {
    const parsed = JSON.parse(JSON_CALLBACK_EXTRACT) as object;
    expect(parseJobCallback(parsed)).to.deep.equal(parseJobCallback(JSON_CALLBACK_EXTRACT));
  });

  it('should accept the body as bytes', () => {
    expect(parseJobCallback(new TextEncoder().encode(XML_CALLBACK))).to.deep.equal(parseJobCallback(XML_CALLBACK));
  });

  it('should accept a JSON object that kept the Response wrapper', () => {
    const wrapped = { Response: JSON.parse(JSON_CALLBACK_ARRAY) as object };
    expect(parseJobCallback(wrapped)).to.deep.equal(parseJobCallback(JSON_CALLBACK_ARRAY));
  });

  it('should reject a callback without jobs', () => {
    const error = thrown(() => parseJobCallback({ EventName: 'TaskFinish' }));
    expect([error.code, error.phase]).to.deep.equal(['invalid-response', 'callback']);
    expect(error.message).to.contain('JobsDetail must contain at least one job');
  });

  it('should reject a job with an unknown state', () => {
    const body = JSON_CALLBACK_SINGLE.replace('"State":"Success"', '"State":"Done"');
    expect(thrown(() => parseJobCallback(body)).message).to.contain('JobsDetail[0].State must be one of');
  });

  it('should reject an XML callback with another root', () => {
    const error = thrown(() => parseJobCallback('<Error><Code>x</Code></Error>'));
    expect([error.code, error.phase]).to.deep.equal(['invalid-response', 'callback']);
  });
});

describe('buildJobCallback', () => {
  it('should write JSON with JobsDetail as an array of text values', () => {
    const callback = parseJobCallback(JSON_CALLBACK_NUMBERS);
    const json = JSON.parse(buildJobCallback(callback, 'JSON')) as { JobsDetail: { Progress: unknown }[] };
    expect(json.JobsDetail[0]!.Progress).to.equal('100');
  });

  it('should write XML with a Response root and the event name first', () => {
    expect(buildJobCallback(parseJobCallback(JSON_CALLBACK_SINGLE), 'XML')).to.match(
      /^<Response><EventName>TaskFinish<\/EventName><JobsDetail>/,
    );
  });
});
