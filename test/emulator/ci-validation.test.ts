import { expect } from 'chai';
import { parseJobsResponse } from '../../src/core/protocol/ci-schemas.js';
import { buildXml } from '../../src/core/protocol/xml.js';
import type { Emulator } from '../../src/emulator/index.js';
import { BUCKET, REGION, errorCode, permanentKeys, seedObject, send, startTestEmulator } from '../helpers/emulator.js';
import {
  NOT_MP4,
  SAMPLE,
  TEMPLATE,
  postJob,
  submit,
  transcodeBody,
  waitForIdle,
  waitForJob,
} from './ci-support.js';

const WATERMARK_TEMPLATES = ['22', '23', '24'].map((end) => `t1318c5f428d474afba1797f84091cbe${end}`);

/** A transcode request built by hand (the core builder would refuse the invalid ones). */
function rawTranscode(operation: Record<string, unknown>, input = 'input/sample.mp4'): string {
  return buildXml({
    Request: {
      Tag: 'Transcode',
      Input: { Object: input },
      Operation: { Output: { Region: REGION, Bucket: BUCKET, Object: 'output/x.${ext}' }, ...operation },
    },
  });
}

describe('CI emulator: job request validation', () => {
  let emulator: Emulator;

  before(async () => {
    emulator = await startTestEmulator();
    await seedObject(emulator, 'input/sample.mp4', SAMPLE);
    await seedObject(emulator, 'input/not-a-video.mp4', NOT_MP4);
  });

  after(() => emulator.close());

  async function expectRejected(body: string, code: string, message?: RegExp): Promise<void> {
    const response = await postJob(emulator, body);
    expect(response.status, response.text).to.equal(400);
    expect(errorCode(response)).to.equal(code);
    expect(response.text).to.not.include('<Resource>');
    if (message) expect(response.text).to.match(message);
  }

  it('should echo UserData with markup escaped, keeping the XML well-formed', async () => {
    const userData = '</UserData><Tag>x</Tag>&amp; "quoted" <![CDATA[x]]>';
    const response = await postJob(emulator, transcodeBody('input/sample.mp4', { operation: { UserData: userData } }));
    expect(response.status, response.text).to.equal(200);
    expect(response.text).to.not.include('<Tag>x</Tag>');
    const [job] = parseJobsResponse(response.text, 'submit').JobsDetail;
    expect(job!.Operation?.UserData).to.equal(userData);
    expect(job!.Tag).to.equal('Transcode');
  });

  it('should refuse a request without TemplateId, naming the field', async () => {
    await expectRejected(rawTranscode({}), 'InvalidArgument', /Operation\.TemplateId is required/);
  });

  it('should refuse an unknown transcode template', async () => {
    const unknown = `t1${'a'.repeat(32)}`;
    const message = new RegExp(`template ${unknown} does not exist`);
    await expectRejected(rawTranscode({ TemplateId: unknown }), 'InvalidArgument', message);
  });

  it('should refuse an unknown watermark template', async () => {
    const body = rawTranscode({ TemplateId: TEMPLATE, WatermarkTemplateId: [`t1${'b'.repeat(32)}`] });
    await expectRejected(body, 'InvalidArgument', /watermark template/);
  });

  it('should refuse more than 3 watermark templates', async () => {
    const four = [...WATERMARK_TEMPLATES, WATERMARK_TEMPLATES[0]];
    const body = rawTranscode({ TemplateId: TEMPLATE, WatermarkTemplateId: four });
    await expectRejected(body, 'InvalidArgument', /WatermarkTemplateId must have at most 3 items/);
  });

  it('should refuse an input object that does not exist with ResourceNotFound', async () => {
    await expectRejected(transcodeBody('input/missing.mp4'), 'ResourceNotFound', /input object does not exist/);
  });

  it('should refuse an output bucket the emulator does not have', async () => {
    const output = { Region: REGION, Bucket: 'nobucket-1250000000', Object: 'x.mp4' };
    const body = rawTranscode({ TemplateId: TEMPLATE, Output: output });
    await expectRejected(body, 'InvalidArgument', /Operation\.Output/);
  });

  it('should refuse a queue that is not the bucket\'s', async () => {
    const body = transcodeBody('input/sample.mp4', { notification: { QueueId: `p${'0'.repeat(32)}` } });
    await expectRejected(body, 'InvalidArgument', /QueueId/);
  });

  it('should refuse malformed XML with InvalidArgument', async () => {
    await expectRejected('<Request><Tag>Transcode</Tag><Input>', 'InvalidArgument', /not well-formed XML/);
  });

  it('should refuse an empty body with MissingContent', async () => {
    await expectRejected('', 'MissingContent');
  });

  it('should refuse a body over 1 MiB without echoing it', async () => {
    const body = rawTranscode({ TemplateId: TEMPLATE, UserData: 'x'.repeat(1024 * 1024) });
    const response = await postJob(emulator, body);
    expect(response.status).to.equal(400);
    expect(errorCode(response)).to.equal('EntityTooLarge');
    expect(response.text.length).to.be.below(2000);
  });

  it('should never echo an oversized field in the error message', async () => {
    const response = await postJob(emulator, rawTranscode({ TemplateId: TEMPLATE, UserData: 'y'.repeat(5000) }));
    expect(response.status).to.equal(400);
    expect(response.text).to.include('UserData');
    expect(response.text).to.not.include('yyyyyyyyyy');
  });

  it('should accept SpeedTranscoding and echo the queue type', async () => {
    const body = transcodeBody('input/sample.mp4', { notification: { QueueType: 'SpeedTranscoding' } });
    const job = await submit(emulator, body);
    expect(job.QueueType).to.equal('SpeedTranscoding');
  });

  it('should fail a job whose input is not an MP4 with InvalidInput', async () => {
    const { JobId } = await submit(emulator, transcodeBody('input/not-a-video.mp4'));
    const job = await waitForJob(emulator, JobId);
    expect(job.State).to.equal('Failed');
    expect(job.Code).to.equal('InvalidInput');
    expect(job.Message).to.match(/not a supported MP4/);
    expect(job.EndTime).to.match(/\+0800$/);
    expect(job.Operation?.MediaResult).to.equal(undefined);
  });

  it('should fail a job whose input was deleted after submission with ResourceNotFound', async () => {
    await seedObject(emulator, 'input/short-lived.mp4', SAMPLE);
    const { JobId } = await submit(emulator, transcodeBody('input/short-lived.mp4'));
    const deleted = await send(emulator, {
      service: 'cos',
      method: 'DELETE',
      path: '/input/short-lived.mp4',
      keys: permanentKeys(emulator),
    });
    expect(deleted.status).to.equal(204);
    const job = await waitForJob(emulator, JobId);
    expect([job.State, job.Code]).to.deep.equal(['Failed', 'ResourceNotFound']);
  });

  it('should echo inline watermarks and the removed watermark area', async () => {
    const watermark = {
      Type: 'Text',
      Pos: 'TopLeft',
      LocMode: 'Absolute',
      Dx: 10,
      Dy: 12,
      Text: { Text: 'abc', FontSize: 20, FontColor: '0xFF0000', Transparency: 50 },
    } as const;
    const removal = { Dx: 1, Dy: 2, Width: 30, Height: 40 };
    const body = transcodeBody('input/sample.mp4', { operation: { Watermark: [watermark], RemoveWatermark: removal } });
    const job = await submit(emulator, body);
    expect(job.Operation?.Watermark).to.have.length(1);
    expect(job.Operation?.Watermark[0]).to.deep.include({ Type: 'Text', Pos: 'TopLeft', Dx: '10', Dy: '12' });
    expect(job.Operation?.Watermark[0]?.Text).to.deep.include({ Text: 'abc', FontColor: '0xFF0000' });
    expect(job.Operation?.RemoveWatermark).to.deep.equal(removal);
  });

  it('should fail a job as a forced job failure says', async () => {
    await waitForIdle(emulator);
    emulator.faults.update({ failJobs: { rate: 1, limit: 1, code: 'InternalError', message: 'x' } });
    try {
      const { JobId } = await submit(emulator, transcodeBody('input/sample.mp4'));
      const failed = await waitForJob(emulator, JobId);
      expect([failed.State, failed.Code, failed.Message]).to.deep.equal(['Failed', 'InternalError', 'x']);
      const next = await waitForJob(emulator, (await submit(emulator, transcodeBody('input/sample.mp4'))).JobId);
      expect(next.State).to.equal('Success');
    } finally {
      emulator.faults.update({});
    }
  });
});
