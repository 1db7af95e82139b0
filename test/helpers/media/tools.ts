// The ffmpeg and ffprobe the media tests check outputs with: COS_EMULATOR_FFMPEG / COS_EMULATOR_FFPROBE, the optional
// dependencies' binaries (what a user gets from `npm install`), or the ones on PATH (what .ci/run installs where the
// packages could not). Runs are bounded in time and output.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

const requireHere = createRequire(import.meta.url);

function executable(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

function installed(name: string): string | undefined {
  try {
    return executable((requireHere(name) as { path?: string }).path);
  } catch {
    return undefined;
  }
}

const onPath = (name: string): string | undefined =>
  (process.env['PATH'] ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => executable(join(dir, name)))
    .find((path) => path !== undefined);

/** Path of ffmpeg, or `undefined` when there is none (the media tests then fail, saying so). */
export const FFMPEG: string | undefined =
  process.env['COS_EMULATOR_FFMPEG'] ?? installed('@ffmpeg-installer/ffmpeg') ?? onPath('ffmpeg');
/** Path of ffprobe, or `undefined`. */
export const FFPROBE: string | undefined =
  process.env['COS_EMULATOR_FFPROBE'] ?? installed('@ffprobe-installer/ffprobe') ?? onPath('ffprobe');

/** Runs a binary; its stdout as bytes. Rejects with its stderr's last lines on failure or after `timeoutMs`. */
export function run(binary: string | undefined, args: readonly string[], timeoutMs = 60_000): Promise<Buffer> {
  if (binary === undefined) return Promise.reject(new Error('no ffmpeg / ffprobe on this machine'));
  const options = {
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'buffer' as const,
    killSignal: 'SIGKILL' as const,
  };
  return new Promise((resolve, reject) => {
    execFile(binary, args, options, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const why = stderr.toString().trim().split('\n').slice(-3).join(' / ') || error.message;
      reject(new Error(`${binary} ${args.join(' ')}: ${why}`));
    });
  });
}

/** Whether the media tests can run here. */
export const hasMediaTools = (): boolean => FFMPEG !== undefined && FFPROBE !== undefined;

/** Fails (never skips) where there is no ffmpeg / ffprobe: `.ci/run` provides them, as `npm install` does. */
export function requireMediaTools(): void {
  if (!hasMediaTools()) {
    throw new Error(
      'No ffmpeg / ffprobe: the optional dependencies @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe did ' +
        'not install and none is on PATH (install ffmpeg, or set COS_EMULATOR_FFMPEG and COS_EMULATOR_FFPROBE).',
    );
  }
}
