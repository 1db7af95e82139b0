// The ffmpeg and ffprobe the media tests check outputs with: the optional dependencies' binaries (what a user gets
// from `npm install`), or COS_EMULATOR_FFMPEG / COS_EMULATOR_FFPROBE. Runs are bounded in time and output.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

function installed(name: string): string | undefined {
  try {
    return (requireHere(name) as { path?: string }).path;
  } catch {
    return undefined;
  }
}

/** Path of ffmpeg, or `undefined` when there is none (the media tests then skip). */
export const FFMPEG: string | undefined = process.env['COS_EMULATOR_FFMPEG'] ?? installed('@ffmpeg-installer/ffmpeg');
/** Path of ffprobe, or `undefined`. */
export const FFPROBE: string | undefined =
  process.env['COS_EMULATOR_FFPROBE'] ?? installed('@ffprobe-installer/ffprobe');

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
