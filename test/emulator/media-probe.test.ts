// probeMediaInfo on real files: the fixture (ffprobe and, without one, the MP4 parser), a generated H.265 MP4 and a
// VP9 + Opus WebM; the in-place digital watermark on those real encodes (still playable, found again).
import { expect } from 'chai';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MediaInfoSchema } from '../../src/core/protocol/media-info.js';
import {
  embedDigitalWatermark,
  extractWatermark,
  writeWatermarkedCopy,
} from '../../src/emulator/media/digital-watermark.js';
import { probeMediaInfo, type ProbeTools } from '../../src/emulator/media/media-probe.js';
import { MediaProbeError } from '../../src/emulator/media/mp4-probe.js';
import { FFMPEG, FFPROBE, requireMediaTools, run } from '../helpers/media/tools.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/media/sample-640x360.mp4', import.meta.url));
const MP4_FORMAT = 'mov,mp4,m4a,3gp,3g2,mj2';
const V1 = { type: 'Text', version: 'V1' } as const;
const withProbe = (): ProbeTools => ({ mode: 'ffmpeg', ffprobe: FFPROBE });
const lavfi = ['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=1', '-f', 'lavfi', '-i', 'sine=duration=1'];

describe('emulator media: probeMediaInfo and the digital watermark on real files', function () {
  let dir: string;
  let hevc: string;
  let webm: string;

  before(async function () {
    requireMediaTools();
    this.timeout(30_000);
    dir = await mkdtemp(join(tmpdir(), 'media-probe-'));
    hevc = join(dir, 'h265.mp4');
    webm = join(dir, 'vp9.webm');
    const x265 = ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-tag:v', 'hvc1'];
    await run(FFMPEG, ['-v', 'error', ...lavfi, ...x265, '-c:a', 'aac', '-threads', '2', hevc]);
    const vp9 = ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '200k'];
    await run(FFMPEG, ['-v', 'error', ...lavfi, ...vp9, '-c:a', 'libopus', '-threads', '2', webm]);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should describe the fixture with ffprobe as the MP4 parser does', async () => {
    const { size } = await stat(SAMPLE);
    const probed = await probeMediaInfo(withProbe(), SAMPLE, size);
    const parsed = await probeMediaInfo({ mode: 'copy' }, SAMPLE, size);
    expect(MediaInfoSchema.parse(probed)).to.be.an('object');
    expect(probed.Format).to.deep.include({ FormatName: MP4_FORMAT, Size: String(size), NumStream: '2' });
    const [video] = probed.Stream.Video;
    expect(video).to.deep.include({ CodecName: 'h264', Width: '640', Height: '360', NumFrames: '120' });
    expect(video?.Fps).to.equal('30.000000');
    const same = ['CodecName', 'CodecTag', 'CodecTagString', 'Profile', 'Width', 'Height', 'PixFormat'] as const;
    for (const field of same) expect(video?.[field], field).to.equal(parsed.Stream.Video[0]?.[field]);
    expect(probed.Stream.Audio[0]).to.deep.include({ CodecName: 'aac', SampleRate: '44100', Channel: '1' });
    expect(probed.Format.Duration).to.equal(parsed.Format.Duration);
  });

  it('should describe an H.265 MP4 and a VP9 WebM with their real codecs, size and frame count', async () => {
    const h265 = await probeMediaInfo(withProbe(), hevc, (await stat(hevc)).size);
    expect(h265.Stream.Video[0]).to.deep.include({ CodecName: 'hevc', CodecTagString: 'hvc1', Width: '320' });
    expect(h265.Stream.Video[0]?.Height).to.equal('180');
    expect(h265.Stream.Video[0]?.NumFrames).to.equal('25');
    const vp9 = await probeMediaInfo(withProbe(), webm, (await stat(webm)).size);
    expect(vp9.Format.FormatName).to.equal('matroska,webm');
    expect(vp9.Stream.Video[0]).to.deep.include({ CodecName: 'vp9', Width: '320', Height: '180', NumFrames: '25' });
    expect(vp9.Stream.Video[0]).to.not.have.property('CodecTag');
    expect(Number(vp9.Stream.Video[0]?.Duration)).to.be.closeTo(1, 0.1);
    expect(vp9.Stream.Audio[0]).to.deep.include({ CodecName: 'opus', SampleRate: '48000' });
    expect(MediaInfoSchema.parse(vp9)).to.be.an('object');
  });

  it('should fail with a MediaProbeError for a file that is not media, and for a WebM without ffprobe', async () => {
    const notMedia = fileURLToPath(import.meta.url);
    const error = await probeMediaInfo(withProbe(), notMedia, 10).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(MediaProbeError);
    const tools = { mode: 'ffmpeg', ffprobe: undefined } as const;
    const noProbe = await probeMediaInfo(tools, webm, 10).catch((caught: unknown) => caught);
    expect(noProbe).to.be.instanceOf(MediaProbeError);
  });

  for (const [name, file] of [['H.265 MP4', () => hevc], ['VP9 WebM', () => webm]] as const) {
    it(`should embed the digital watermark in place in a ${name}, still playable, and find it`, async () => {
      const copy = join(dir, `marked-${name.replace(/\W/g, '')}`);
      await copyFile(file(), copy);
      const before = (await stat(copy)).size;
      expect(await extractWatermark(copy, V1)).to.deep.equal({ found: false, reason: 'no digital watermark found' });
      await embedDigitalWatermark(copy, 'x', { ...V1, message: 'first' });
      const { size } = await embedDigitalWatermark(copy, 'x', { ...V1, message: '水印-2*' });
      expect(size).to.equal((await stat(copy)).size).and.to.be.above(before).and.below(before + 100);
      expect(await extractWatermark(copy, V1)).to.deep.equal({ found: true, message: '水印-2*' });
      await run(FFMPEG, ['-v', 'error', '-xerror', '-i', copy, '-f', 'null', '-']);
      const info = await probeMediaInfo(withProbe(), copy, size);
      expect(info.Stream.Video[0]?.NumFrames).to.equal('25');
    });
  }

  it('should write a watermarked copy of a WebM (the copy path), the input untouched', async () => {
    const copy = join(dir, 'copy.webm');
    const { size } = await writeWatermarkedCopy(webm, copy, { ...V1, message: 'copied' });
    expect(size).to.equal((await stat(copy)).size);
    expect(await extractWatermark(copy, V1)).to.deep.equal({ found: true, message: 'copied' });
    expect(await extractWatermark(webm, V1)).to.deep.equal({ found: false, reason: 'no digital watermark found' });
    await run(FFMPEG, ['-v', 'error', '-xerror', '-i', copy, '-f', 'null', '-']);
  });

  it('should refuse to embed in a file in neither container', async () => {
    const other = join(dir, 'other.bin');
    await copyFile(fileURLToPath(import.meta.url), other);
    const error = await embedDigitalWatermark(other, 'bin', { ...V1, message: 'x' }).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(MediaProbeError);
    expect(await extractWatermark(other, V1)).to.deep.equal({ found: false, reason: 'not an MP4 file' });
  });
});
