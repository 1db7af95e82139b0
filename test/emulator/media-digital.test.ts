// The digital watermark survives real encoding, over HTTP: a Transcode job with DigitalWatermark on the H.265
// template and on the WebM template, then ExtractDigitalWatermark on each output yields the message; the output
// still decodes and is what the template asked for.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';
import { seedObject } from '../helpers/emulator.js';
import { generateClip } from '../helpers/media/clips.js';
import { probeFile } from '../helpers/media/probe.js';
import { FFMPEG, run } from '../helpers/media/tools.js';
import {
  H265_TEMPLATE,
  WEBM_TEMPLATE,
  download,
  extractJob,
  outputKey,
  requireMediaTools,
  startMediaEmulator,
  submitTranscode,
  succeeded,
} from './media-support.js';

const MP4_FORMAT = 'mov,mp4,m4a,3gp,3g2,mj2';

describe('emulator media: the digital watermark through real encodes', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let dir: string;

  before(async function () {
    requireMediaTools(this);
    dir = await mkdtemp(join(tmpdir(), 'media-digital-'));
    emulator = await startMediaEmulator();
    const clip = await generateClip(dir, 'clip.mp4', { width: 320, height: 180, seconds: 1 });
    await seedObject(emulator, 'in/clip.mp4', clip);
  });
  after(async () => {
    await emulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const cases = [
    { name: 'H.265 MP4', template: H265_TEMPLATE, codec: 'hevc', container: MP4_FORMAT, message: 'H265-水印*1' },
    { name: 'VP9 WebM', template: WEBM_TEMPLATE, codec: 'vp9', container: 'matroska,webm', message: 'webm_mark-2' },
  ];
  for (const { name, template, codec, container, message } of cases) {
    it(`should give back the message of a ${name} output, which still decodes`, async () => {
      const digital = { Type: 'Text', Version: 'V1', Message: message, IgnoreError: false } as const;
      const id = await submitTranscode(emulator, 'in/clip.mp4', template, { DigitalWatermark: digital });
      const job = await succeeded(emulator, id);
      expect(job.Operation?.DigitalWatermark?.State).to.equal('Success');
      const key = outputKey(job);
      const { file } = await download(emulator, key, dir);
      const probed = await probeFile(file);
      expect([probed.codec, probed.container]).to.deep.equal([codec, container]);
      await run(FFMPEG, ['-v', 'error', '-xerror', '-i', file, '-f', 'null', '-']);
      const extraction = await extractJob(emulator, key);
      expect(extraction.State, `${extraction.Code}: ${extraction.Message}`).to.equal('Success');
      expect(extraction.Operation?.ExtractDigitalWatermark?.Message).to.equal(message);
    });
  }

  it('should find no watermark in an output transcoded without one', async () => {
    const job = await succeeded(emulator, await submitTranscode(emulator, 'in/clip.mp4', WEBM_TEMPLATE));
    const extraction = await extractJob(emulator, outputKey(job));
    expect([extraction.State, extraction.Code]).to.deep.equal(['Failed', 'WatermarkNotFound']);
  });
});
