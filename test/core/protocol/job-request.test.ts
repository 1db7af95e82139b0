import { expect } from 'chai';
import {
  buildExtractDigitalWatermarkJobRequest,
  buildJobRequest,
  buildTranscodeJobRequest,
  parseJobRequest,
} from '../../../src/core/protocol/job-request.js';
import type {
  ExtractDigitalWatermarkJobInput,
  TranscodeJobInput,
} from '../../../src/core/protocol/job-request-schemas.js';
import { EXTRACT_REQUEST, TRANSCODE_REQUEST } from '../../fixtures/seeds.js';
import { squash, thrown } from '../../helpers/expect-error.js';

/** The Transcode seed request as typed input. */
const seedTranscode = (): TranscodeJobInput => ({
  Input: { Object: 'input/demo.mp4' },
  Operation: {
    TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
    WatermarkTemplateId: [
      't1318c5f428d474afba1797f84091cbe22',
      't1318c5f428d474afba1797f84091cbe23',
      't1318c5f428d474afba1797f84091cbe24',
    ],
    DigitalWatermark: { Type: 'Text', Message: '123456789ab', Version: 'V1', IgnoreError: false },
    Output: { Region: 'ap-chongqing', Bucket: 'test-123456789', Object: 'output/out.${ext}' },
    UserData: 'This is my data.',
    JobLevel: 0,
  },
  CallBack: 'http://callback.demo.com',
  CallBackFormat: 'JSON',
});

/** The ExtractDigitalWatermark seed request as typed input. */
const seedExtract = (): ExtractDigitalWatermarkJobInput => ({
  Input: { Object: 'input/demo.mp4' },
  Operation: {
    ExtractDigitalWatermark: { Type: 'Text', Version: 'V1' },
    UserData: 'This is my data.',
    JobLevel: 0,
  },
  CallBack: 'http://callback.demo.com',
  CallBackFormat: 'JSON',
});

describe('buildTranscodeJobRequest', () => {
  it('should build the seed request from its typed input', () => {
    expect(buildTranscodeJobRequest(seedTranscode())).to.equal(squash(TRANSCODE_REQUEST));
  });

  it('should build what the seed request parses to', () => {
    const parsed = parseJobRequest(TRANSCODE_REQUEST);
    expect(parsed.Tag).to.equal('Transcode');
    expect(buildJobRequest(parsed)).to.equal(squash(TRANSCODE_REQUEST));
  });

  it('should write the queue and callback fields in the documented order', () => {
    const xml = buildTranscodeJobRequest({
      ...seedTranscode(),
      QueueId: 'p2242ab62c7c94486915508540933a2c6',
      QueueType: 'SpeedTranscoding',
      CallBackType: 'TDMQ',
      CallBackMqConfig: { MqRegion: 'bj', MqMode: 'Queue', MqName: 'queueName' },
    });
    expect(xml.slice(xml.indexOf('</Operation>'))).to.equal(
      '</Operation><QueueId>p2242ab62c7c94486915508540933a2c6</QueueId><QueueType>SpeedTranscoding</QueueType>' +
        '<CallBack>http://callback.demo.com</CallBack><CallBackFormat>JSON</CallBackFormat>' +
        '<CallBackType>TDMQ</CallBackType><CallBackMqConfig><MqRegion>bj</MqRegion><MqMode>Queue</MqMode>' +
        '<MqName>queueName</MqName></CallBackMqConfig></Request>',
    );
  });

  it('should omit optional fields that are not set', () => {
    const xml = buildTranscodeJobRequest({
      Input: { Object: 'a.mp4' },
      Operation: {
        TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
        Output: { Region: 'ap-guangzhou', Bucket: 'b-1250000000', Object: 'out/${jobid}.${ext}' },
      },
    });
    expect(xml).to.equal(
      '<Request><Tag>Transcode</Tag><Input><Object>a.mp4</Object></Input><Operation>' +
        '<TemplateId>t1460606b9752148c4ab182f55163ba7cd</TemplateId><Output><Region>ap-guangzhou</Region>' +
        '<Bucket>b-1250000000</Bucket><Object>out/${jobid}.${ext}</Object></Output></Operation></Request>',
    );
  });

  it('should write the documented element order whatever the input order, without unknown fields', () => {
    const input = {
      Unknown: 'x',
      Operation: {
        JobLevel: 1,
        UserData: 'u',
        Output: { Object: 'o.mp4', Bucket: 'b-1250000000', Region: 'ap-guangzhou', Extra: 'y' },
        Watermark: [{ Text: { Text: 'abc', FontSize: 20 }, LocMode: 'Absolute', Pos: 'TopLeft', Type: 'Text' }],
        TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
      },
      Input: { Object: 'a.mp4' },
    } as unknown as TranscodeJobInput;
    expect(buildTranscodeJobRequest(input)).to.equal(
      '<Request><Tag>Transcode</Tag><Input><Object>a.mp4</Object></Input><Operation>' +
        '<TemplateId>t1460606b9752148c4ab182f55163ba7cd</TemplateId><Watermark><Type>Text</Type><Pos>TopLeft</Pos>' +
        '<LocMode>Absolute</LocMode><Text><FontSize>20</FontSize><Text>abc</Text></Text></Watermark>' +
        '<Output><Region>ap-guangzhou</Region><Bucket>b-1250000000</Bucket><Object>o.mp4</Object></Output>' +
        '<UserData>u</UserData><JobLevel>1</JobLevel></Operation></Request>',
    );
  });

  it('should write a removed watermark rectangle', () => {
    const input = seedTranscode();
    input.Operation.RemoveWatermark = { Dx: 150, Dy: 150, Width: 75, Height: 75 };
    expect(buildTranscodeJobRequest(input)).to.contain(
      '</WatermarkTemplateId><RemoveWatermark><Dx>150</Dx><Dy>150</Dy><Width>75</Width><Height>75</Height>' +
        '</RemoveWatermark><DigitalWatermark>',
    );
  });

  it('should accept CallBack no', () => {
    expect(buildTranscodeJobRequest({ ...seedTranscode(), CallBack: 'no' })).to.contain('<CallBack>no</CallBack>');
  });

  it('should require TemplateId', () => {
    const input = seedTranscode() as { Operation: Record<string, unknown> };
    delete input.Operation['TemplateId'];
    const error = thrown(() => buildTranscodeJobRequest(input as unknown as TranscodeJobInput));
    expect([error.code, error.phase]).to.deep.equal(['invalid-request', 'submit']);
    expect(error.message).to.contain('Operation.TemplateId is required');
  });

  it('should require the output region, bucket and object', () => {
    const input = seedTranscode();
    input.Operation.Output = {} as TranscodeJobInput['Operation']['Output'];
    const error = thrown(() => buildTranscodeJobRequest(input));
    expect(error.message).to.contain(
      'Operation.Output.Region is required; Operation.Output.Bucket is required; Operation.Output.Object is required',
    );
  });

  it('should reject an empty input object', () => {
    const error = thrown(() => buildTranscodeJobRequest({ ...seedTranscode(), Input: { Object: '' } }));
    expect(error.message).to.contain('Input.Object must not be empty');
  });

  it("should reject an input object with a leading '/'", () => {
    const error = thrown(() => buildTranscodeJobRequest({ ...seedTranscode(), Input: { Object: '/input/demo.mp4' } }));
    expect(error.message).to.contain("Input.Object must not start with '/'");
  });

  it('should reject an input object longer than 850 bytes of UTF-8', () => {
    const error = thrown(() => buildTranscodeJobRequest({ ...seedTranscode(), Input: { Object: '视'.repeat(284) } }));
    expect(error.message).to.contain('Input.Object must be at most 850 bytes of UTF-8');
  });

  it('should reject placeholders other than ${ext} and ${jobid} in the output object', () => {
    const input = seedTranscode();
    input.Operation.Output.Object = 'out/${filename}.${ext}';
    const error = thrown(() => buildTranscodeJobRequest(input));
    expect(error.message).to.contain('Operation.Output.Object may only use the placeholders ${ext} and ${jobid}');
  });

  it('should reject a bucket without an APPID', () => {
    const input = seedTranscode();
    input.Operation.Output.Bucket = 'test';
    const error = thrown(() => buildTranscodeJobRequest(input));
    expect(error.message).to.contain('Operation.Output.Bucket must be a bucket');
  });

  it('should reject more than 3 watermark template ids', () => {
    const input = seedTranscode();
    input.Operation.WatermarkTemplateId = ['t1', 't2', 't3', 't4'];
    const error = thrown(() => buildTranscodeJobRequest(input));
    expect(error.message).to.contain('Operation.WatermarkTemplateId must have at most 3 items');
  });

  it('should reject UserData of 1025 characters', () => {
    const input = seedTranscode();
    input.Operation.UserData = 'a'.repeat(1025);
    const error = thrown(() => buildTranscodeJobRequest(input));
    expect(error.message).to.contain('Operation.UserData must be at most 1024 characters');
  });

  it('should accept UserData of 1024 characters', () => {
    const input = seedTranscode();
    input.Operation.UserData = '~'.repeat(1024);
    expect(buildTranscodeJobRequest(input)).to.contain(`<UserData>${'~'.repeat(1024)}</UserData>`);
  });

  it('should reject non-ASCII UserData', () => {
    const input = seedTranscode();
    input.Operation.UserData = '订单 42';
    expect(thrown(() => buildTranscodeJobRequest(input)).message).to.contain(
      'Operation.UserData must be printable ASCII (0x20-0x7E)',
    );
  });

  it('should reject UserData with control characters', () => {
    const input = seedTranscode();
    input.Operation.UserData = 'line\nbreak';
    const error = thrown(() => buildTranscodeJobRequest(input));
    expect(error.message).to.contain('Operation.UserData must be printable ASCII');
  });

  it('should reject JobLevel 3', () => {
    const input = seedTranscode() as { Operation: Record<string, unknown> };
    input.Operation['JobLevel'] = 3;
    const error = thrown(() => buildTranscodeJobRequest(input as unknown as TranscodeJobInput));
    expect(error.message).to.contain('Operation.JobLevel must be 0, 1 or 2');
  });

  it('should reject a digital watermark message of 65 characters', () => {
    const input = seedTranscode();
    input.Operation.DigitalWatermark = { Type: 'Text', Version: 'V1', Message: 'a'.repeat(65) };
    expect(thrown(() => buildTranscodeJobRequest(input)).message).to.contain(
      'Operation.DigitalWatermark.Message must be 1 to 64 Chinese characters, letters, digits, _, - or *',
    );
  });

  it('should accept a digital watermark message of Chinese characters and _-*', () => {
    const input = seedTranscode();
    input.Operation.DigitalWatermark = { Type: 'Text', Version: 'V1', Message: '版权所有_abc-123*' };
    expect(buildTranscodeJobRequest(input)).to.contain('<Message>版权所有_abc-123*</Message>');
  });

  it('should reject a digital watermark version other than V1', () => {
    const input = seedTranscode() as { Operation: { DigitalWatermark: Record<string, unknown> } };
    input.Operation.DigitalWatermark['Version'] = 'V2';
    const error = thrown(() => buildTranscodeJobRequest(input as unknown as TranscodeJobInput));
    expect(error.message).to.contain('Operation.DigitalWatermark.Version must be V1');
  });

  it('should reject a callback that is neither a URL nor no', () => {
    const error = thrown(() => buildTranscodeJobRequest({ ...seedTranscode(), CallBack: 'javascript:alert(1)' }));
    expect(error.message).to.contain('CallBack must be an http(s) URL');
  });

  it('should require CallBackMqConfig when CallBackType is TDMQ', () => {
    const error = thrown(() => buildTranscodeJobRequest({ ...seedTranscode(), CallBackType: 'TDMQ' }));
    expect(error.message).to.contain('CallBackMqConfig is required when CallBackType is TDMQ');
  });

  it('should reject an unknown MqRegion', () => {
    const mq = { MqRegion: 'sz', MqName: 'q' } as unknown as TranscodeJobInput['CallBackMqConfig'];
    const input: TranscodeJobInput = { ...seedTranscode(), CallBackType: 'TDMQ', CallBackMqConfig: mq };
    const error = thrown(() => buildTranscodeJobRequest(input));
    expect(error.message).to.contain('CallBackMqConfig.MqRegion must be one of sh, bj, gz, cd, hk');
  });

  it('should reject an unknown CallBackFormat', () => {
    const input = { ...seedTranscode(), CallBackFormat: 'YAML' } as unknown as TranscodeJobInput;
    expect(thrown(() => buildTranscodeJobRequest(input)).message).to.contain('CallBackFormat must be one of JSON, XML');
  });

  it('should list at most three issues in the message and all of them in the cause', () => {
    const input = seedTranscode() as unknown as Record<string, unknown>;
    input['Input'] = {};
    input['Operation'] = {};
    input['CallBack'] = 'x';
    const error = thrown(() => buildTranscodeJobRequest(input as unknown as TranscodeJobInput));
    expect(error.message).to.match(/\(and 1 more\)$/);
    expect((error.cause as { issues: unknown[] }).issues).to.have.length(4);
  });
});

describe('buildExtractDigitalWatermarkJobRequest', () => {
  it('should build the seed request from its typed input', () => {
    expect(buildExtractDigitalWatermarkJobRequest(seedExtract())).to.equal(squash(EXTRACT_REQUEST));
  });

  it('should build what the seed request parses to', () => {
    expect(buildJobRequest(parseJobRequest(EXTRACT_REQUEST))).to.equal(squash(EXTRACT_REQUEST));
  });

  it('should require the ExtractDigitalWatermark settings', () => {
    const input = { Input: { Object: 'a.mp4' }, Operation: {} } as unknown as ExtractDigitalWatermarkJobInput;
    const error = thrown(() => buildExtractDigitalWatermarkJobRequest(input));
    expect([error.code, error.phase]).to.deep.equal(['invalid-request', 'submit']);
    expect(error.message).to.contain('Operation.ExtractDigitalWatermark is required');
  });

  it('should reject a Type other than Text', () => {
    const input = seedExtract() as unknown as { Operation: { ExtractDigitalWatermark: Record<string, unknown> } };
    input.Operation.ExtractDigitalWatermark['Type'] = 'Image';
    const typed = input as unknown as ExtractDigitalWatermarkJobInput;
    const error = thrown(() => buildExtractDigitalWatermarkJobRequest(typed));
    expect(error.message).to.contain('Operation.ExtractDigitalWatermark.Type must be Text');
  });

  it('should write queue and callback fields after the operation', () => {
    const xml = buildExtractDigitalWatermarkJobRequest({ ...seedExtract(), QueueId: 'p1', CallBackFormat: 'XML' });
    expect(xml).to.contain(
      '</Operation><QueueId>p1</QueueId><CallBack>http://callback.demo.com</CallBack>' +
        '<CallBackFormat>XML</CallBackFormat></Request>',
    );
  });
});

describe('parseJobRequest', () => {
  it('should parse the Transcode seed request into typed input', () => {
    expect(parseJobRequest(TRANSCODE_REQUEST)).to.deep.equal({ Tag: 'Transcode', ...seedTranscode() });
  });

  it('should parse the ExtractDigitalWatermark seed request into typed input', () => {
    expect(parseJobRequest(EXTRACT_REQUEST)).to.deep.equal({ Tag: 'ExtractDigitalWatermark', ...seedExtract() });
  });

  it('should round-trip the Transcode seed request', () => {
    const parsed = parseJobRequest(TRANSCODE_REQUEST);
    expect(parseJobRequest(buildJobRequest(parsed))).to.deep.equal(parsed);
  });

  it('should round-trip the ExtractDigitalWatermark seed request', () => {
    const parsed = parseJobRequest(EXTRACT_REQUEST);
    expect(parseJobRequest(buildJobRequest(parsed))).to.deep.equal(parsed);
  });

  it('should accept children in any order', () => {
    const reordered =
      '<Request><Operation><Output><Object>o.mp4</Object><Bucket>b-1250000000</Bucket>' +
      '<Region>ap-guangzhou</Region></Output><TemplateId>t1</TemplateId></Operation>' +
      '<Input><Object>i.mp4</Object></Input><Tag>Transcode</Tag></Request>';
    expect(parseJobRequest(reordered)).to.deep.equal({
      Tag: 'Transcode',
      Input: { Object: 'i.mp4' },
      Operation: { TemplateId: 't1', Output: { Region: 'ap-guangzhou', Bucket: 'b-1250000000', Object: 'o.mp4' } },
    });
  });

  it('should give a single watermark template id as an array', () => {
    const one = TRANSCODE_REQUEST.replace(/<WatermarkTemplateId>[^<]*2[34]<\/WatermarkTemplateId>\n/g, '');
    const parsed = parseJobRequest(one);
    expect(parsed.Tag === 'Transcode' && parsed.Operation.WatermarkTemplateId).to.deep.equal([
      't1318c5f428d474afba1797f84091cbe22',
    ]);
  });

  it('should reject an unsupported Tag', () => {
    const body = TRANSCODE_REQUEST.replace('<Tag>Transcode</Tag>', '<Tag>Animation</Tag>');
    const error = thrown(() => parseJobRequest(body));
    expect([error.code, error.phase]).to.deep.equal(['invalid-request', 'submit']);
    expect(error.message).to.contain('Tag must be one of Transcode, ExtractDigitalWatermark');
  });

  it('should reject a root other than Request', () => {
    const error = thrown(() => parseJobRequest('<Response><Tag>Transcode</Tag></Response>'));
    expect(error.message).to.contain('Request is required as the root element');
  });

  it('should reject malformed XML as an invalid request', () => {
    const error = thrown(() => parseJobRequest(TRANSCODE_REQUEST.slice(0, 200)));
    expect([error.code, error.phase]).to.deep.equal(['invalid-request', 'submit']);
  });

  it('should apply the builder rules to a submitted body', () => {
    const error = thrown(() => parseJobRequest(TRANSCODE_REQUEST.replace('<JobLevel>0', '<JobLevel>7')));
    expect(error.message).to.contain('Operation.JobLevel must be 0, 1 or 2');
  });
});
