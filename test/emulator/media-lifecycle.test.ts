import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmod, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { EncodeError, KILL_GRACE_MS, runFfmpeg } from '../../src/emulator/media/ffmpeg-run.js';
import { locateMediaTools, type MediaTools } from '../../src/emulator/media/ffmpeg-tools.js';
import type { Emulator } from '../../src/emulator/index.js';
import { resolveOptions } from '../../src/emulator/options.js';
import { permanentKeys, seedObject, send, startTestEmulator } from '../helpers/emulator.js';
import { SAMPLE, describeJob, submit, transcodeBody, waitForJob } from './ci-support.js';
import { tempFolder, writeFakeFfmpeg } from './media-fakes.js';

type FfmpegTools = Extract<MediaTools, { mode: 'ffmpeg' }>;

/** `ps` lines (pid, state, command) of the processes whose command line contains `text`, zombies included. */
async function processesRunning(text: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid=,stat=,args=']);
  return stdout.split('\n').filter((line) => line.includes(text) && !line.includes('ps -eo'));
}

/** Arguments encoding `seconds` of a generated 320x240 clip to `output` (lavfi testsrc2, no audio). */
const clipArgs = (seconds: number, output: string) => [
  '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=25:duration=${seconds}`,
  '-c:v', 'libx264', '-preset', 'ultrafast', '-threads', '1', output,
];

describe('runFfmpeg', function () {
  this.timeout(20_000);
  let folder: string;
  let tools: FfmpegTools;

  before(async () => {
    folder = await tempFolder('run');
    tools = (await locateMediaTools(resolveOptions({ media: { mode: 'ffmpeg' } }).media)) as FfmpegTools;
  });
  after(() => rm(folder, { recursive: true, force: true }));

  it('should report rising progress from the encoder and end at 1', async () => {
    const seen: number[] = [];
    const output = join(folder, 'progress.mp4');
    const args = [...clipArgs(6, output)];
    args.splice(args.indexOf('-threads'), 0, '-vf', 'scale=1280:720');
    await runFfmpeg({ tools, args, durationSeconds: 6, timeoutMs: 15_000, onProgress: (f) => seen.push(f) });
    expect(seen.at(-1)).to.equal(1);
    expect(seen.length).to.be.greaterThan(1);
    for (let i = 1; i < seen.length; i += 1) expect(seen[i]).to.be.greaterThan(seen[i - 1]!);
    expect((await stat(output)).size).to.be.greaterThan(0);
  });

  it('should fail with EncodeFailed and the last stderr lines, data folder paths hidden', async () => {
    const missing = join(folder, 'no-such-input.mp4');
    const error = await runFfmpeg({
      tools,
      args: ['-i', missing, join(folder, 'x.mp4')],
      durationSeconds: 1,
      timeoutMs: 10_000,
      redact: [folder],
    }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(EncodeError);
    expect((error as EncodeError).code).to.equal('EncodeFailed');
    expect((error as Error).message).to.match(/^FFmpeg exited with code 1: /);
    expect((error as Error).message).to.contain('<data>/no-such-input.mp4').and.not.contain(folder);
  });

  it('should kill the encoder at its time limit and reject with JobTimeout after it exited', async () => {
    const sleeper = await writeFakeFfmpeg(join(folder, 'sleepy'), { sleepSeconds: 31.4159 });
    const slow: FfmpegTools = { ...tools, ffmpeg: sleeper };
    const started = Date.now();
    const run = runFfmpeg({ tools: slow, args: ['out.mp4'], durationSeconds: 1, timeoutMs: 300 });
    const error = await run.catch((e: unknown) => e);
    expect(error).to.be.instanceOf(EncodeError);
    expect((error as EncodeError).code).to.equal('JobTimeout');
    expect(Date.now() - started).to.be.lessThan(300 + KILL_GRACE_MS);
    expect(await processesRunning('sleep 31.4159')).to.deep.equal([]);
  });

  it('should kill the encoder on abort, SIGKILL after the grace, and leave no process', async () => {
    // A binary that ignores SIGTERM: only SIGKILL ends it.
    const stubborn = join(folder, 'stubborn-ffmpeg');
    await writeFile(stubborn, "#!/bin/sh\ntrap '' TERM\nwhile true; do sleep 0.1; done\n");
    await chmod(stubborn, 0o755);
    const controller = new AbortController();
    const run = runFfmpeg({
      tools: { ...tools, ffmpeg: stubborn },
      args: [],
      durationSeconds: 1,
      timeoutMs: 60_000,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await new Promise((done) => setTimeout(done, 200));
    expect(await processesRunning(stubborn)).to.have.length(1);
    const started = Date.now();
    controller.abort();
    const error = await run;
    expect((error as EncodeError).code).to.equal('Aborted');
    expect(Date.now() - started).to.be.within(KILL_GRACE_MS - 100, KILL_GRACE_MS + 1000);
    expect(await processesRunning(stubborn)).to.deep.equal([]);
  });
});

/** The 720p H.264 template: upscaling the 4 s sample takes long enough to watch its progress. */
const TEMPLATE_720P = 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8c';
/** The 1080p H.265 template: the slowest, for stopping an encode midway. */
const TEMPLATE_1080P_H265 = 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8e';

const head = (emulator: Emulator, key: string) =>
  send(emulator, { service: 'cos', method: 'HEAD', path: `/${key}`, keys: permanentKeys(emulator) });

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('media job life cycle over HTTP', function () {
  this.timeout(60_000);
  let folder: string;

  before(async () => {
    folder = await tempFolder('life');
  });
  after(() => rm(folder, { recursive: true, force: true }));

  it('should show Progress rising from the encoder in at least three steps, the output an object only when whole', async () => {
    const emulator = await startTestEmulator({ media: { mode: 'ffmpeg' }, jobs: { runMs: 60_000 } });
    try {
      await seedObject(emulator, 'input/sample.mp4', SAMPLE);
      const body = transcodeBody('input/sample.mp4', {
        output: 'out/${jobid}.${ext}',
        operation: { TemplateId: TEMPLATE_720P },
      });
      const { JobId } = await submit(emulator, body);
      const running: number[] = [];
      const seenWhileRunning = new Set<string>();
      const started = Date.now();
      for (;;) {
        const job = await describeJob(emulator, JobId);
        if (job.State === 'Running') {
          if (running.at(-1) !== job.Progress) running.push(job.Progress ?? 0);
          const output = await head(emulator, `out/${JobId}.mp4`);
          seenWhileRunning.add(output.status === 404 ? 'absent' : String(output.headers['etag']));
        }
        if (job.State === 'Success' || job.State === 'Failed') {
          expect(job.State, job.Message).to.equal('Success');
          expect(job.Progress).to.equal(100);
          break;
        }
        expect(Date.now() - started).to.be.lessThan(40_000);
        await sleep(20);
      }
      // Far less than jobs.runMs (60 s): the encoder's progress, not a timer's.
      expect(Date.now() - started).to.be.lessThan(30_000);
      expect(running.length, running.join(' ')).to.be.at.least(3);
      for (let i = 1; i < running.length; i += 1) expect(running[i]).to.be.greaterThan(running[i - 1]!);
      expect(running.at(-1)).to.be.at.most(99);
      // While the encoder writes, the output is no object; it becomes one whole, just before the job says Success.
      const final = await head(emulator, `out/${JobId}.mp4`);
      expect(final.status).to.equal(200);
      for (const seen of seenWhileRunning) expect(seen).to.be.oneOf(['absent', final.headers['etag']]);
      expect(seenWhileRunning).to.include('absent');
    } finally {
      await emulator.close();
    }
  });

  it('should end a job Failed with JobTimeout when its encode outlasts media.timeoutMs, killing FFmpeg', async () => {
    const sleepy = await writeFakeFfmpeg(join(folder, 'sleepy'), { sleepSeconds: 27.1828 });
    const dataDir = join(folder, 'timeout-data');
    const emulator = await startTestEmulator({ dataDir, media: { mode: 'ffmpeg', ffmpeg: sleepy, timeoutMs: 1000 } });
    try {
      await seedObject(emulator, 'input/sample.mp4', SAMPLE);
      const { JobId } = await submit(emulator, transcodeBody('input/sample.mp4', { output: 'out/slow.${ext}' }));
      const job = await waitForJob(emulator, JobId, { timeoutMs: 8000 });
      expect(job.State).to.equal('Failed');
      expect(job.Code).to.equal('JobTimeout');
      expect(job.Message).to.equal('The encode took longer than the job time limit (1000 ms).');
      expect(await processesRunning('sleep 27.1828')).to.deep.equal([]);
      expect((await head(emulator, 'out/slow.mp4')).status).to.equal(404);
      const temps = (await filesUnder(join(dataDir, 'cos-emulator'))).filter((file) => /\.(mp4|webm)$/.test(file));
      expect(temps).to.deep.equal([]);
    } finally {
      await emulator.close();
    }
  });

  it('should kill a running encoder on close(), leaving no process, no temporary file and no output', async () => {
    const dataDir = join(folder, 'close-data');
    const options = { dataDir, media: { mode: 'ffmpeg' as const } };
    let emulator = await startTestEmulator(options);
    let id: string;
    try {
      await seedObject(emulator, 'input/sample.mp4', SAMPLE);
      const body = transcodeBody('input/sample.mp4', {
        output: 'out/stopped.${ext}',
        operation: { TemplateId: TEMPLATE_1080P_H265 },
      });
      id = (await submit(emulator, body)).JobId;
      await waitForJob(emulator, id, { states: ['Running'], timeoutMs: 5000 });
      // The encoder runs (its command line names the data folder) and has created its temporary output.
      const deadline = Date.now() + 10_000;
      const encoding = async () =>
        (await processesRunning(dataDir)).length === 1 &&
        (await filesUnder(dataDir)).filter((file) => /\.(mp4|webm)$/.test(file)).length === 1;
      while (!(await encoding())) {
        expect(Date.now()).to.be.lessThan(deadline);
        await sleep(20);
      }
    } finally {
      await emulator.close();
    }
    expect(await processesRunning(dataDir)).to.deep.equal([]);
    expect((await filesUnder(dataDir)).filter((file) => /\.(mp4|webm)$/.test(file))).to.deep.equal([]);
    emulator = await startTestEmulator(options);
    try {
      const job = await describeJob(emulator, id);
      expect(job.State).to.equal('Failed');
      expect((await head(emulator, 'out/stopped.mp4')).status).to.equal(404);
    } finally {
      await emulator.close();
    }
  });
});
