import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Emulator } from '../../src/emulator/index.js';
import {
  locateMediaTools,
  MediaToolsError,
  parseEncoders,
  parseFilters,
  type InstallerLoader,
  type MediaTools,
} from '../../src/emulator/media/ffmpeg-tools.js';
import { resolveOptions, type EmulatorOptions } from '../../src/emulator/options.js';
import { BUCKET, REGION, permanentKeys, seedObject, send, startTestEmulator } from '../helpers/emulator.js';
import { NOT_MP4, SAMPLE, submit, transcodeBody, waitForJob } from './ci-support.js';
import { REAL_FFMPEG, REAL_FFPROBE, tempFolder, writeFakeFfmpeg } from './media-fakes.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

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


/** The CI module's `media` entry of `GET /_emulator/`. */
async function mediaState(emulator: Emulator): Promise<Record<string, unknown>> {
  const response = await send(emulator, { service: 'base', method: 'GET', path: '/_emulator/' });
  expect(response.status).to.equal(200);
  const state = JSON.parse(response.text) as { modules: { module: string; media?: Record<string, unknown> }[] };
  return state.modules.find((module) => module.module === 'ci')!.media!;
}

describe('media tools in a running emulator', function () {
  this.timeout(30_000);
  let folder: string;

  before(async () => {
    folder = await tempFolder('emulator');
  });
  after(() => rm(folder, { recursive: true, force: true }));

  it('should say in GET /_emulator/ which FFmpeg it uses: path, version and source', async () => {
    const emulator = await startTestEmulator({ media: { mode: 'auto' } });
    try {
      const media = await mediaState(emulator);
      expect(media).to.include({ mode: 'ffmpeg' });
      expect(media['source']).to.be.oneOf(['path', 'package']);
      if (media['source'] === 'package') {
        expect(media).to.include({ ffmpeg: REAL_FFMPEG, ffprobe: REAL_FFPROBE, version: 'N-47683-g0e8eb07980-static' });
      }
      expect(media['encoders']).to.be.greaterThan(50);
      expect(emulator.warnings).to.deep.equal([]);
    } finally {
      await emulator.close();
    }
  });

  it('should copy through when no FFmpeg runs, and say why once at start and in GET /_emulator/', async () => {
    const broken = await writeFakeFfmpeg(join(folder, 'broken'), { versionExit: 1 });
    const emulator = await startTestEmulator({ media: { mode: 'auto', ffmpeg: broken } });
    try {
      const reason = `the ffmpeg at ${broken} (from option) does not run: Command failed: ${broken} -version`;
      expect(await mediaState(emulator)).to.deep.equal({ mode: 'copy', reason });
      expect(emulator.warnings).to.have.length(1);
      expect(emulator.warnings[0]).to.match(/^No FFmpeg \(the ffmpeg at .* does not run.*\): transcode jobs copy/);
      await seedObject(emulator, 'input/sample.mp4', SAMPLE);
      const { JobId } = await submit(emulator, transcodeBody('input/sample.mp4', { output: 'out/copy.${ext}' }));
      const job = await waitForJob(emulator, JobId, { timeoutMs: 5000 });
      expect(job.State, job.Message).to.equal('Success');
      const output = await send(emulator, { service: 'cos', method: 'GET', path: '/out/copy.mp4', keys: permanentKeys(emulator) });
      expect(output.status).to.equal(200);
      expect(output.body.equals(await readFile(SAMPLE))).to.equal(true);
    } finally {
      await emulator.close();
    }
  });

  it('should refuse to start in ffmpeg mode without a usable FFmpeg, with a TypeError saying why', async () => {
    const error = await startTestEmulator({ media: { mode: 'ffmpeg', ffmpeg: join(folder, 'none') } }).catch(
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.equal(
      `Media mode ffmpeg (--media ffmpeg) needs FFmpeg, but the ffmpeg given (--ffmpeg / COS_EMULATOR_FFMPEG) is not ` +
        `an executable file: ${join(folder, 'none')}.`,
    );
  });

  it('should fail a job whose template needs an encoder the FFmpeg lacks, naming it, with no output', async () => {
    const lacking = await writeFakeFfmpeg(join(folder, 'lacking'), { withoutEncoders: ['libx264'] });
    const emulator = await startTestEmulator({ media: { mode: 'ffmpeg', ffmpeg: lacking } });
    try {
      await seedObject(emulator, 'input/sample.mp4', SAMPLE);
      const { JobId } = await submit(emulator, transcodeBody('input/sample.mp4', { output: 'out/x.${ext}' }));
      const job = await waitForJob(emulator, JobId, { timeoutMs: 10_000 });
      expect(job.State).to.equal('Failed');
      expect(job.Code).to.equal('EncoderUnavailable');
      expect(job.Message).to.equal(
        'The template high_993874 (t1460606b9752148c4ab182f55163ba7cd) needs the encoder libx264, which the ' +
          "emulator's FFmpeg (fake-1, from option) does not have; use an FFmpeg built with it " +
          '(--ffmpeg <path>).',
      );
      const head = await send(emulator, { service: 'cos', method: 'HEAD', path: '/out/x.mp4', keys: permanentKeys(emulator) });
      expect(head.status).to.equal(404);
    } finally {
      await emulator.close();
    }
  });
});

describe('inputs a job refuses to encode', function () {
  this.timeout(30_000);
  let folder: string;

  before(async () => {
    folder = await tempFolder('inputs');
  });
  after(() => rm(folder, { recursive: true, force: true }));

  it('should refuse a playlist naming local files, even when the probe accepts it', async () => {
    // A probe that describes the sample whatever it is asked about: only the emulator's own check stands.
    const lenient = join(folder, 'lenient-ffprobe');
    const probe = `exec '${REAL_FFPROBE}' -v error -print_format json -show_format -show_streams '${SAMPLE}'\n`;
    await writeFile(lenient, `#!/bin/sh\n${probe}`);
    await chmod(lenient, 0o755);
    const playlist = join(folder, 'playlist.m3u8');
    const entry = `#EXTINF:4,\n${SAMPLE}\n`;
    await writeFile(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n${entry}#EXT-X-ENDLIST\n`);
    const emulator = await startTestEmulator({ media: { mode: 'ffmpeg', ffmpeg: REAL_FFMPEG, ffprobe: lenient } });
    try {
      await seedObject(emulator, 'input/list.mp4', playlist);
      const { JobId } = await submit(emulator, transcodeBody('input/list.mp4', { output: 'out/list.${ext}' }));
      const job = await waitForJob(emulator, JobId, { timeoutMs: 15_000 });
      expect([job.State, job.Code, job.Message]).to.deep.equal([
        'Failed',
        'InvalidInput',
        'The input object is a playlist or manifest, not a video file.',
      ]);
      const head = await send(emulator, { service: 'cos', method: 'HEAD', path: '/out/list.mp4', keys: permanentKeys(emulator) });
      expect(head.status).to.equal(404);
    } finally {
      await emulator.close();
    }
  });

  it('should refuse an image watermark object that is no picture (a playlist naming local files)', async () => {
    const playlist = join(folder, 'logo.png');
    const entry = `#EXTINF:4,\n${SAMPLE}\n`;
    await writeFile(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n${entry}#EXT-X-ENDLIST\n`);
    const emulator = await startTestEmulator({ media: { mode: 'ffmpeg' } });
    try {
      await seedObject(emulator, 'input/sample.mp4', SAMPLE);
      await seedObject(emulator, 'wm/logo.png', playlist);
      const url = `https://${BUCKET}.cos.${REGION}.myqcloud.com/wm/logo.png`;
      const Image = { Url: url, Mode: 'Original' as const, Transparency: 100 };
      const Watermark = [{ Type: 'Image' as const, Pos: 'TopLeft' as const, LocMode: 'Absolute' as const, Image }];
      const body = transcodeBody('input/sample.mp4', { output: 'out/wm.${ext}', operation: { Watermark } });
      const job = await waitForJob(emulator, (await submit(emulator, body)).JobId, { timeoutMs: 15_000 });
      expect([job.State, job.Code, job.Message]).to.deep.equal([
        'Failed',
        'InvalidInput',
        `The watermark image ${url} is not a PNG, JPEG, GIF, BMP or WebP picture.`,
      ]);
    } finally {
      await emulator.close();
    }
  });

  it('should fail a file that is no video with InvalidInput, naming no path of the data folder', async () => {
    const emulator = await startTestEmulator({ media: { mode: 'ffmpeg' } });
    try {
      await seedObject(emulator, 'input/text.mp4', NOT_MP4);
      const { JobId } = await submit(emulator, transcodeBody('input/text.mp4'));
      const job = await waitForJob(emulator, JobId, { timeoutMs: 15_000 });
      expect([job.State, job.Code]).to.deep.equal(['Failed', 'InvalidInput']);
      expect(job.Message).to.match(/^The input object is not a video FFmpeg can read: /);
      expect(job.Message).to.not.contain(emulator.dataDir);
      expect(job.Message).to.not.match(/\/(?:tmp|var|home|root|Users)\//);
    } finally {
      await emulator.close();
    }
  });
});

describe('media tools on the command line', function () {
  this.timeout(20_000);

  it('should exit with code 2 and one line when --media ffmpeg finds no FFmpeg', async () => {
    const run = runCli(['--port', '0', '--media', 'ffmpeg', '--ffmpeg', '/nonexistent/ffmpeg']);
    expect(await run.exit(15_000)).to.equal(2);
    expect(run.stderr()).to.equal(
      'cos-transcoder-emulator: Media mode ffmpeg (--media ffmpeg) needs FFmpeg, but the ffmpeg given (--ffmpeg / ' +
        'COS_EMULATOR_FFMPEG) is not an executable file: /nonexistent/ffmpeg.\n',
    );
  });

  it('should write the copy-through reason once on stderr at start (COS_EMULATOR_FFMPEG)', async () => {
    const run = runCli(['--port', '0'], { COS_EMULATOR_FFMPEG: '/nonexistent/ffmpeg' });
    try {
      await run.line(15_000);
      const lines = run.stderr().split('\n').filter((line) => line !== '');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(
        /^cos-transcoder-emulator: warning: No FFmpeg \(the ffmpeg given \(--ffmpeg \/ COS_EMULATOR_FFMPEG\) is not an executable file: \/nonexistent\/ffmpeg\): transcode jobs copy their input/,
      );
    } finally {
      run.child.kill('SIGTERM');
      await run.exit(5000);
    }
  });
});

/** The emulator command in a child process. */
function runCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const bounded = <T>(promise: Promise<T>, ms: number, what: string) =>
    Promise.race([
      promise,
      sleep(ms).then(() => {
        child.kill('SIGKILL');
        throw new Error(`${what} within ${ms} ms; stderr: ${err}`);
      }),
    ]);
  return {
    child,
    stderr: () => err,
    exit: (ms: number) => bounded(exited, ms, 'no exit'),
    line: async (ms: number) => {
      const deadline = Date.now() + ms;
      while (!out.includes('\n')) {
        if (Date.now() > deadline) throw new Error(`no endpoints line; stderr: ${err}`);
        await sleep(20);
      }
    },
  };
}
