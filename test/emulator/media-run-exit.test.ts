// An encoder does not outlive the emulator's process: when Node exits without closing the emulator (an uncaught
// error, process.exit), the running FFmpeg is killed rather than left writing into the data folder.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempFolder } from './media-fakes.js';

const RUN_MODULE = fileURLToPath(new URL('../../src/emulator/media/ffmpeg-run.ts', import.meta.url));

/** Whether `pid` still runs: a killed orphan may stay a zombie until its new parent reaps it, which counts as gone. */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

describe('runFfmpeg when the process exits', function () {
  let dir: string;

  before(async () => {
    dir = await tempFolder('run-exit');
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should kill the running encoder when Node exits', async () => {
    const fake = join(dir, 'ffmpeg');
    const pidFile = join(dir, 'pid');
    await writeFile(fake, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 30\n`);
    await chmod(fake, 0o755);
    const script = [
      `import { runFfmpeg } from ${JSON.stringify(RUN_MODULE)};`,
      `const tools = { mode: 'ffmpeg', ffmpeg: ${JSON.stringify(fake)} };`,
      `runFfmpeg({ tools, args: [], durationSeconds: 1, timeoutMs: 60000 }).catch(() => undefined);`,
      `setTimeout(() => process.exit(0), 500);`,
    ].join('\n');
    const scriptFile = join(dir, 'exit.mts');
    await writeFile(scriptFile, script);
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', scriptFile], { timeout: 20_000 }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
    const pid = Number(await readFile(pidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const running = alive(pid);
    if (running) process.kill(pid, 'SIGKILL');
    expect(running, 'the encoder outlived the process').to.equal(false);
  });
});
