import { expect } from 'chai';
import { chmod, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  locateMediaTools,
  MediaToolsError,
  parseEncoders,
  parseFilters,
  type InstallerLoader,
  type MediaTools,
} from '../../src/emulator/media/ffmpeg-tools.js';
import { resolveOptions, type EmulatorOptions } from '../../src/emulator/options.js';
import { REAL_FFMPEG, REAL_FFPROBE, tempFolder, writeFakeFfmpeg } from './media-fakes.js';

const media = (input: NonNullable<EmulatorOptions['media']> = {}) => resolveOptions({ media: input }).media;
const noPackages: InstallerLoader = () => undefined;
const realPackages: InstallerLoader = (name) =>
  name === '@ffmpeg-installer/ffmpeg' ? REAL_FFMPEG : name === '@ffprobe-installer/ffprobe' ? REAL_FFPROBE : undefined;

function ffmpegOf(tools: MediaTools): Extract<MediaTools, { mode: 'ffmpeg' }> {
  expect(tools.mode, JSON.stringify(tools)).to.equal('ffmpeg');
  return tools as Extract<MediaTools, { mode: 'ffmpeg' }>;
}

describe('locateMediaTools', function () {
  this.timeout(20_000);
  let folder: string;
  let pathDir: string;
  let optionDir: string;

  before(async () => {
    folder = await tempFolder('tools');
    pathDir = join(folder, 'bin');
    optionDir = join(folder, 'opt');
    await writeFakeFfmpeg(pathDir, { version: 'ffmpeg version on-path Copyright (c) fake' });
    await writeFakeFfmpeg(optionDir, { version: 'ffmpeg version from-option Copyright (c) fake' });
  });
  after(() => rm(folder, { recursive: true, force: true }));

  it('should prefer the ffmpeg option over PATH and the package', async () => {
    const tools = ffmpegOf(
      await locateMediaTools(media({ ffmpeg: join(optionDir, 'ffmpeg') }), { PATH: pathDir }, realPackages),
    );
    expect(tools.source).to.equal('option');
    expect(tools.version).to.equal('from-option');
  });

  it('should take an ffmpeg on PATH before the optional dependency', async () => {
    const tools = ffmpegOf(await locateMediaTools(media(), { PATH: `/nonexistent:${pathDir}` }, realPackages));
    expect(tools.source).to.equal('path');
    expect(tools.ffmpeg).to.equal(join(pathDir, 'ffmpeg'));
    expect(tools.version).to.equal('on-path');
  });

  it('should skip a file on PATH that is not executable', async () => {
    const plain = join(folder, 'plain');
    await writeFakeFfmpeg(plain);
    await chmod(join(plain, 'ffmpeg'), 0o644);
    const tools = ffmpegOf(await locateMediaTools(media(), { PATH: `${plain}:${pathDir}` }, realPackages));
    expect(tools.ffmpeg).to.equal(join(pathDir, 'ffmpeg'));
  });

  it('should use the optional dependency when PATH has none, with its encoders, filters and ffprobe', async () => {
    const tools = ffmpegOf(await locateMediaTools(media(), { PATH: '/nonexistent' }));
    expect(tools.source).to.equal('package');
    expect(tools.ffmpeg).to.equal(REAL_FFMPEG);
    expect(tools.version).to.equal('N-47683-g0e8eb07980-static');
    for (const encoder of ['libx264', 'libx265', 'aac', 'libvpx-vp9', 'libopus']) expect(tools.encoders).to.include(encoder);
    for (const filter of ['scale', 'drawtext', 'overlay']) expect(tools.filters).to.include(filter);
    expect(tools.ffprobe).to.equal(REAL_FFPROBE);
  });

  it('should take the ffprobe next to ffmpeg first', async () => {
    const beside = join(folder, 'beside');
    await writeFakeFfmpeg(beside);
    await writeFakeFfmpeg(beside, {}, 'ffprobe');
    const tools = ffmpegOf(await locateMediaTools(media({ ffmpeg: join(beside, 'ffmpeg') }), {}, realPackages));
    expect(tools.ffprobe).to.equal(join(beside, 'ffprobe'));
  });

  it('should fall back to copy-through with the reason when nothing is found in auto mode', async () => {
    const tools = await locateMediaTools(media(), { PATH: '/nonexistent' }, noPackages);
    expect(tools).to.deep.equal({
      mode: 'copy',
      reason:
        'no ffmpeg found: none given (--ffmpeg / COS_EMULATOR_FFMPEG), none on PATH, and the optional dependency ' +
        '@ffmpeg-installer/ffmpeg is not installed for this platform',
    });
  });

  it('should fall back to copy-through when the named ffmpeg does not run, naming it', async () => {
    const broken = await writeFakeFfmpeg(join(folder, 'broken'), { versionExit: 1 });
    const tools = await locateMediaTools(media({ ffmpeg: broken }), { PATH: pathDir }, realPackages);
    expect(tools.mode).to.equal('copy');
    expect(tools.mode === 'copy' && tools.reason).to.contain(`the ffmpeg at ${broken} (from option) does not run`);
  });

  it('should not replace a named ffmpeg that does not exist by another one', async () => {
    const tools = await locateMediaTools(media({ ffmpeg: '/nonexistent/ffmpeg' }), { PATH: pathDir }, realPackages);
    expect(tools.mode === 'copy' && tools.reason).to.contain('is not an executable file: /nonexistent/ffmpeg');
  });

  it('should refuse with a MediaToolsError in ffmpeg mode when nothing is found', async () => {
    const error = await locateMediaTools(media({ mode: 'ffmpeg' }), { PATH: '' }, noPackages).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(MediaToolsError).and.instanceOf(TypeError);
    expect((error as Error).message).to.match(/^Media mode ffmpeg \(--media ffmpeg\) needs FFmpeg, but no ffmpeg found/);
  });

  it('should look for nothing in copy mode', async () => {
    const tools = await locateMediaTools(media({ mode: 'copy', ffmpeg: '/nonexistent' }), { PATH: pathDir });
    expect(tools).to.deep.equal({ mode: 'copy', reason: 'media mode copy (--media copy)' });
  });

  it('should refuse a named ffprobe that is not executable', async () => {
    const error = await locateMediaTools(media({ ffprobe: join(folder, 'none') }), { PATH: pathDir }).catch(
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(MediaToolsError);
    expect((error as Error).message).to.contain('media.ffprobe (--ffprobe) is not an executable file');
  });

  it('should see an encoder the binary lacks as missing', async () => {
    const lacking = await writeFakeFfmpeg(join(folder, 'lacking'), { withoutEncoders: ['libx264'] });
    const tools = ffmpegOf(await locateMediaTools(media({ ffmpeg: lacking }), {}, noPackages));
    expect(tools.encoders).to.not.include('libx264');
    expect(tools.encoders).to.include('libx265');
    expect(dirname(tools.ffmpeg)).to.equal(join(folder, 'lacking'));
  });
});

describe('parseEncoders and parseFilters', () => {
  it('should read the names of both list formats, not the legend', () => {
    const encoders = ' V..... = Video\n A..... = Audio\n ------\n V....D libx264              H.264\n A..... aac   AAC\n';
    expect([...parseEncoders(encoders)]).to.deep.equal(['libx264', 'aac']);
    const filters = '  T.. = Timeline support\n  A = Audio input/output\n ... abench  A->A  Bench.\n TSC drawtext  V->V  Draw.\n ... anullsrc  |->A  Null.\n';
    expect([...parseFilters(filters)]).to.deep.equal(['abench', 'drawtext', 'anullsrc']);
  });
});

