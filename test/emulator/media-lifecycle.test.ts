import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmod, rm, stat, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { EncodeError, KILL_GRACE_MS, runFfmpeg } from '../../src/emulator/media/ffmpeg-run.js';
import { locateMediaTools, type MediaTools } from '../../src/emulator/media/ffmpeg-tools.js';
import { resolveOptions } from '../../src/emulator/options.js';
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
