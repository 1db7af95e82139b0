// probeMediaInfo stops with the job: when the emulator closes during a probe (a slow, hostile input), ffprobe is
// killed at once rather than holding the close for its whole time limit.
import { expect } from 'chai';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { probeMediaInfo, runFfprobe } from '../../src/emulator/media/media-probe.js';
import { MediaProbeError } from '../../src/emulator/media/mp4-probe.js';
import { tempFolder } from './media-fakes.js';

describe('emulator media: a probe stopped by its signal', function () {
  let dir: string;
  let slowProbe: string;
  let pidFile: string;

  before(async () => {
    dir = await tempFolder('probe-abort');
    slowProbe = join(dir, 'ffprobe');
    pidFile = join(dir, 'pid');
    await writeFile(slowProbe, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 30\n`);
    await chmod(slowProbe, 0o755);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('should kill ffprobe and reject with a MediaProbeError soon after the signal aborts', async () => {
    const started = Date.now();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const tools = { mode: 'ffmpeg', ffprobe: slowProbe } as const;
    const error = await probeMediaInfo(tools, join(dir, 'input'), 1, controller.signal).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).to.be.instanceOf(MediaProbeError);
    expect(Date.now() - started).to.be.below(5000);
    const pid = Number(await readFile(pidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(pid), 'ffprobe still running').to.equal(false);
  });

  it('should not start ffprobe when the signal has already aborted', async () => {
    await rm(pidFile, { force: true });
    const error = await runFfprobe(slowProbe, join(dir, 'input'), false, AbortSignal.abort()).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).to.be.instanceOf(MediaProbeError);
  });
});
