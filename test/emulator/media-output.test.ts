// Every built-in transcode template really applied, over HTTP: the output's codec, size, container (and fps, audio)
// are what the template says, as ffprobe reads them; the job's MediaInfo and MediaResult describe that file; and
// `${ext}` resolves to the container.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobsDetail } from '../../src/core/protocol/ci-schemas.js';
import { listTemplates, type TranscodeTemplate } from '../../src/emulator/ci/templates.js';
import type { Emulator } from '../../src/emulator/index.js';
import { seedObject } from '../helpers/emulator.js';
import { probeFile, type ProbedFile } from '../helpers/media/probe.js';
import { SAMPLE } from './ci-support.js';
import {
  download,
  outputKey,
  requireMediaTools,
  startMediaEmulator,
  submitTranscode,
  succeeded,
} from './media-support.js';

const SOURCE = { width: 640, height: 360, fps: 30 };
const CODECS: Record<string, string> = { 'H.264': 'h264', 'H.265': 'hevc', VP9: 'vp9' };
const CONTAINERS: Record<string, string> = { mp4: 'mov,mp4,m4a,3gp,3g2,mj2', webm: 'matroska,webm' };

/** The size the template asks for, from the 640x360 source: one side given keeps the aspect ratio. */
function expectedSize({ video }: TranscodeTemplate): { width: number; height: number } {
  if (video.width !== undefined && video.height !== undefined) return { width: video.width, height: video.height };
  if (video.width !== undefined) return { width: video.width, height: (video.width * SOURCE.height) / SOURCE.width };
  if (video.height !== undefined) return { width: (video.height * SOURCE.width) / SOURCE.height, height: video.height };
  return SOURCE;
}

/** The job's MediaInfo against ffprobe's reading of the downloaded file. */
function expectMediaInfoOf(job: JobsDetail, probed: ProbedFile, size: number): void {
  const info = job.Operation?.MediaInfo;
  expect(info?.Format).to.deep.include({ Size: size, FormatName: probed.container });
  expect(info?.Format?.Duration).to.be.closeTo(probed.duration, 0.05);
  const [video] = info?.Stream?.Video ?? [];
  expect(video).to.deep.include({ CodecName: probed.codec, Width: probed.width, Height: probed.height });
  expect(video?.NumFrames, 'NumFrames').to.equal(probed.frames);
  const [audio] = info?.Stream?.Audio ?? [];
  const { audioCodec, sampleRate, channels } = probed;
  expect(audio).to.deep.include({ CodecName: audioCodec, SampleRate: sampleRate, Channel: channels });
}

describe('emulator media: each built-in transcode template produces what it says', function () {
  this.timeout(90_000);
  let emulator: Emulator;
  let dir: string;
  const jobs = new Map<string, string>();

  before(async function () {
    requireMediaTools(this);
    dir = await mkdtemp(join(tmpdir(), 'media-output-'));
    emulator = await startMediaEmulator();
    await seedObject(emulator, 'in/sample.mp4', SAMPLE);
    // All submitted at once: the emulator runs two at a time, the tests below wait for their own.
    for (const template of listTemplates().transcode) {
      jobs.set(template.id, await submitTranscode(emulator, 'in/sample.mp4', template.id));
    }
  });
  after(async () => {
    await emulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const template of listTemplates().transcode) {
    const { video, audio, container } = template;
    const [w, h] = [video.width, video.height];
    const sized = w && h ? `${w}x${h}` : w ? `width ${w}` : h ? `height ${h}` : 'source size';
    it(`${template.name}: ${container}, ${video.codec} ${sized}, ${audio.codec}`, async () => {
      const job = await succeeded(emulator, jobs.get(template.id)!);
      const key = outputKey(job);
      expect(key, '${ext} resolves to the container').to.equal(`out/${job.JobId}.${container}`);
      const { file, body } = await download(emulator, key, dir);
      const probed = await probeFile(file);
      expect(probed.container).to.equal(CONTAINERS[container]);
      expect(probed.codec).to.equal(CODECS[video.codec]);
      if (video.codec === 'H.265') expect(probed.codecTag).to.equal('hvc1');
      const size = expectedSize(template);
      expect(probed.width).to.be.within(size.width - 2, size.width + 2);
      expect(probed.height).to.be.within(size.height - 2, size.height + 2);
      expect([probed.width! % 2, probed.height! % 2]).to.deep.equal([0, 0]);
      expect(probed.fps).to.be.closeTo(video.fps ?? SOURCE.fps, 0.01);
      expect(probed.duration).to.be.closeTo(4, 0.15);
      expect(probed.audioCodec).to.equal(audio.codec);
      expect(probed.sampleRate).to.equal(audio.samplerate);
      if (audio.channels !== undefined) expect(probed.channels).to.equal(audio.channels);
      expectMediaInfoOf(job, probed, body.length);
      const md5 = createHash('md5').update(body).digest('hex');
      expect(job.Operation?.MediaResult?.OutputFile[0]?.Md5Info[0]).to.deep.include({ Md5: md5, ObjectName: key });
    });
  }
});
