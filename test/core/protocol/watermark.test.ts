import { expect } from 'chai';
import { buildTranscodeJobRequest, parseJobRequest } from '../../../src/core/protocol/job-request.js';
import type { TranscodeJobInput } from '../../../src/core/protocol/job-request-schemas.js';
import type { Watermark } from '../../../src/core/protocol/watermark.js';
import { thrown } from '../../helpers/expect-error.js';

const textMark = (): Watermark => ({
  Type: 'Text',
  Pos: 'TopRight',
  LocMode: 'Absolute',
  Dx: 64,
  Dy: 64,
  StartTime: 0,
  EndTime: 10.5,
  Text: { FontSize: 30, FontType: 'simfang.ttf', FontColor: '0xFF0000', Transparency: 30, Text: '水印_test' },
});

const imageMark = (): Watermark => ({
  Type: 'Image',
  Pos: 'BottomLeft',
  LocMode: 'Relativity',
  Dx: 5,
  Dy: 5,
  Image: {
    Url: 'https://test-1234567890.cos.ap-chongqing.myqcloud.com/logo.png',
    Mode: 'Proportion',
    Width: 10,
    Transparency: 100,
  },
});

const withWatermarks = (...Watermark: Watermark[]): TranscodeJobInput => ({
  Input: { Object: 'input/demo.mp4' },
  Operation: {
    TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
    Watermark,
    Output: { Region: 'ap-chongqing', Bucket: 'test-123456789', Object: 'output/out.mp4' },
  },
});

const build = (...marks: Watermark[]) => buildTranscodeJobRequest(withWatermarks(...marks));
const failure = (mark: Record<string, unknown>) => thrown(() => build(mark as unknown as Watermark)).message;

describe('Watermark', () => {
  it('should write a text watermark in the documented element order', () => {
    expect(build(textMark())).to.contain(
      '<TemplateId>t1460606b9752148c4ab182f55163ba7cd</TemplateId><Watermark><Type>Text</Type><Pos>TopRight</Pos>' +
        '<LocMode>Absolute</LocMode><Dx>64</Dx><Dy>64</Dy><StartTime>0</StartTime><EndTime>10.5</EndTime>' +
        '<Text><FontSize>30</FontSize><FontType>simfang.ttf</FontType><FontColor>0xFF0000</FontColor>' +
        '<Transparency>30</Transparency><Text>水印_test</Text></Text></Watermark><Output>',
    );
  });

  it('should write an image watermark', () => {
    expect(build(imageMark())).to.contain(
      '<Image><Url>https://test-1234567890.cos.ap-chongqing.myqcloud.com/logo.png</Url><Mode>Proportion</Mode>' +
        '<Width>10</Width><Transparency>100</Transparency></Image>',
    );
  });

  it('should round-trip watermarks through parseJobRequest', () => {
    const input = withWatermarks(textMark(), imageMark());
    expect(parseJobRequest(buildTranscodeJobRequest(input))).to.deep.equal({ Tag: 'Transcode', ...input });
  });

  it('should reject a fourth watermark', () => {
    expect(thrown(() => build(textMark(), textMark(), textMark(), imageMark())).message).to.contain(
      'Operation.Watermark must have at most 3 items',
    );
  });

  it('should reject an unknown Pos', () => {
    expect(failure({ ...textMark(), Pos: 'Middle' })).to.contain('Operation.Watermark[0].Pos must be one of TopLeft');
  });

  it('should reject an unknown LocMode', () => {
    expect(failure({ ...textMark(), LocMode: 'Relative' })).to.contain(
      'Operation.Watermark[0].LocMode must be one of Absolute, Relativity',
    );
  });

  it('should require Text for a text watermark', () => {
    expect(failure({ ...textMark(), Text: undefined })).to.contain(
      'Operation.Watermark[0].Text is required when Type is Text',
    );
  });

  it('should require Image for an image watermark', () => {
    expect(failure({ ...imageMark(), Image: undefined })).to.contain(
      'Operation.Watermark[0].Image is required when Type is Image',
    );
  });

  it('should limit Dx to 0..100 percent with Relativity', () => {
    expect(failure({ ...imageMark(), Dx: 101 })).to.contain(
      'Operation.Watermark[0].Dx must be from 0 to 100 with LocMode Relativity',
    );
  });

  it('should limit Dy to 0..4096 pixels with Absolute', () => {
    expect(failure({ ...textMark(), Dy: 4097 })).to.contain(
      'Operation.Watermark[0].Dy must be from 0 to 4096 with LocMode Absolute',
    );
  });

  it('should allow negative offsets for a background image', () => {
    const mark = imageMark();
    mark.Dx = -300;
    mark.Dy = 0;
    mark.Image = { ...mark.Image!, Background: true, Width: 200 };
    expect(build(mark)).to.contain('<Dx>-300</Dx>');
  });

  it('should reject positive offsets for a background image', () => {
    const mark = imageMark();
    mark.Dy = 0;
    mark.Image = { ...mark.Image!, Background: true, Width: 200 };
    expect(failure(mark)).to.contain('Dx must be from -300 to 0 with LocMode Relativity and a background image');
  });

  it('should reject Width with Mode Original', () => {
    const mark = imageMark();
    mark.Image = { ...mark.Image!, Mode: 'Original' };
    expect(failure(mark)).to.contain('Operation.Watermark[0].Image.Width must not be set when Mode is Original');
  });

  it('should limit Fixed sizes to 8..4096 pixels', () => {
    const mark = imageMark();
    mark.Image = { ...mark.Image!, Mode: 'Fixed', Width: 4 };
    expect(failure(mark)).to.contain('Image.Width must be from 8 to 4096 with Mode Fixed');
  });

  it('should require the image transparency', () => {
    const mark = imageMark() as unknown as { Image: Record<string, unknown> };
    delete mark.Image['Transparency'];
    expect(failure(mark)).to.contain('Operation.Watermark[0].Image.Transparency is required');
  });

  it('should reject an image URL that is not http(s)', () => {
    const mark = imageMark();
    mark.Image = { ...mark.Image!, Url: 'file:///etc/passwd' };
    expect(failure(mark)).to.contain('Operation.Watermark[0].Image.Url must be an http(s) URL');
  });

  it('should reject watermark text with markup', () => {
    const mark = textMark();
    mark.Text = { ...mark.Text!, Text: '<b>hi</b>' };
    expect(failure(mark)).to.contain('Operation.Watermark[0].Text.Text must be 1 to 64 Chinese characters');
  });

  it('should reject a font color that is not 0xRRGGBB', () => {
    const mark = textMark();
    mark.Text = { ...mark.Text!, FontColor: '#FF0000' };
    expect(failure(mark)).to.contain('Operation.Watermark[0].Text.FontColor must be 0xRRGGBB');
  });

  it('should reject a font size outside 5..100', () => {
    const mark = textMark();
    mark.Text = { ...mark.Text!, FontSize: 101 };
    expect(failure(mark)).to.contain('Operation.Watermark[0].Text.FontSize must be an integer from 5 to 100');
  });

  it('should reject an EndTime before the StartTime', () => {
    expect(failure({ ...textMark(), StartTime: 5, EndTime: 2 })).to.contain(
      'Operation.Watermark[0].EndTime must not be before StartTime',
    );
  });

  it('should reject a slide speed above 10', () => {
    expect(failure({ ...textMark(), SlideConfig: { SlideMode: 'ScrollFromLeft', XSlideSpeed: 11 } })).to.contain(
      'Operation.Watermark[0].SlideConfig.XSlideSpeed must be an integer from 0 to 10',
    );
  });
});

describe('RemoveWatermark', () => {
  it('should reject a rectangle value outside 1..4096', () => {
    const input = withWatermarks();
    input.Operation.RemoveWatermark = { Dx: 0, Dy: 1, Width: 1, Height: 5000 };
    const message = thrown(() => buildTranscodeJobRequest(input)).message;
    expect(message).to.contain('Operation.RemoveWatermark.Dx must be an integer from 1 to 4096');
    expect(message).to.contain('Operation.RemoveWatermark.Height must be an integer from 1 to 4096');
  });
});
