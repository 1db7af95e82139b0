import { spawn, type ChildProcess } from 'node:child_process';
import type { MediaTools } from './ffmpeg-tools.js';

/**
 * Why an encode failed:
 *
 * - `JobTimeout`: it took longer than its time limit (`media.timeoutMs`); FFmpeg was killed.
 * - `Aborted`: the emulator closed; FFmpeg was killed.
 * - `EncodeFailed`: FFmpeg exited with an error (the message ends with the last lines it wrote).
 * - `EncoderUnavailable`: FFmpeg could not be started.
 */
export type EncodeErrorCode = 'JobTimeout' | 'Aborted' | 'EncodeFailed' | 'EncoderUnavailable';

/** An encode that did not produce its output. */
export class EncodeError extends Error {
  override name = 'EncodeError' as const;
  readonly code: EncodeErrorCode;

  constructor(code: EncodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** What {@link runFfmpeg} runs. */
export interface RunFfmpegOptions {
  /** Tools in `ffmpeg` mode. */
  tools: Extract<MediaTools, { mode: 'ffmpeg' }>;
  /** The plan's arguments (inputs, filters, codecs, `-threads`, the output path); the runner adds its own first. */
  args: readonly string[];
  /** The output's expected duration, which progress is a fraction of; 0 or unknown: progress jumps at the end. */
  durationSeconds: number;
  /** Milliseconds the encode may take before it is killed and fails with `JobTimeout`. */
  timeoutMs: number;
  /** Kills the encode (`Aborted`). */
  signal?: AbortSignal;
  /** Told each time FFmpeg reports progress: a fraction from 0 to 1, never decreasing. */
  onProgress?: (fraction: number) => void;
  /** Strings (data folder paths) replaced by `<data>` in error messages, which clients may read. */
  redact?: readonly string[];
}

/** Arguments put before the plan's: no banner, no stdin, overwrite, machine-readable progress on stdout, no stats line. */
export const RUNNER_ARGS = ['-hide_banner', '-nostdin', '-y', '-progress', 'pipe:1', '-nostats'] as const;

/** Milliseconds FFmpeg gets after SIGTERM to exit before SIGKILL. */
export const KILL_GRACE_MS = 2000;

/** Bytes of stderr kept for the error message. */
const STDERR_TAIL = 4096;

/** Characters of stderr an error message carries (its last lines). */
const MESSAGE_TAIL = 600;

/** Encoders running in this process, killed if it exits without closing the emulator (no encoder outlives it). */
const running = new Set<ChildProcess>();

/** Kills the running encoders (synchronously, from the process's `exit` event). */
function killRunning(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Microseconds of output written, from a `-progress` line (`out_time_us`; `out_time_ms` is microseconds too). */
function outTimeMicros(line: string): number | undefined {
  const match = /^out_time_(?:us|ms)=(\d+)\s*$/.exec(line);
  return match ? Number(match[1]) : undefined;
}

/**
 * Runs FFmpeg with {@link RUNNER_ARGS} and the plan's arguments; resolves when it exited with code 0, and only after
 * the process has exited (no process is ever left behind; should Node exit meanwhile, FFmpeg is killed with it).
 * Progress (`out_time_us` over `durationSeconds`, then 1 at `progress=end`) goes to `onProgress`. On timeout or
 * abort, FFmpeg gets SIGTERM, then SIGKILL after {@link KILL_GRACE_MS}; the promise rejects with an
 * {@link EncodeError} once it has exited. The output file, whole or partial, is the caller's to remove.
 */
export function runFfmpeg(options: RunFfmpegOptions): Promise<void> {
  const { tools, args, durationSeconds, timeoutMs, signal, onProgress } = options;
  return new Promise((done, fail) => {
    if (signal?.aborted) {
      fail(new EncodeError('Aborted', 'The encode was stopped: the emulator is closing.'));
      return;
    }
    const child = spawn(tools.ffmpeg, [...RUNNER_ARGS, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    if (running.size === 0) process.once('exit', killRunning);
    running.add(child);
    let stopped: EncodeError | undefined;
    let stderr = '';
    let pending = '';
    let reported = 0;
    let killTimer: NodeJS.Timeout | undefined;

    const report = (fraction: number) => {
      const bounded = Math.min(1, Math.max(0, fraction));
      if (bounded <= reported) return;
      reported = bounded;
      onProgress?.(bounded);
    };
    const stop = (error: EncodeError) => {
      if (stopped || child.exitCode !== null || child.signalCode !== null) return;
      stopped = error;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const onAbort = () => stop(new EncodeError('Aborted', 'The encode was stopped: the emulator is closing.'));
    const timer = setTimeout(
      () => stop(new EncodeError('JobTimeout', `The encode took longer than the job time limit (${timeoutMs} ms).`)),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const micros = outTimeMicros(line);
        if (micros !== undefined && durationSeconds > 0) report(micros / 1e6 / durationSeconds);
        else if (line.trim() === 'progress=end') report(1);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });

    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, killedBy) => {
      running.delete(child);
      if (running.size === 0) process.removeListener('exit', killRunning);
      clearTimeout(timer);
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      if (stopped) fail(stopped);
      else if (spawnError && child.pid === undefined) {
        fail(new EncodeError('EncoderUnavailable', 'FFmpeg could not be started.', { cause: spawnError }));
      } else if (code === 0) {
        report(1);
        done();
      } else {
        const why = killedBy ? `was killed by ${killedBy}` : `exited with code ${code}`;
        fail(new EncodeError('EncodeFailed', `FFmpeg ${why}: ${tail(stderr, options.redact ?? [])}`));
      }
    });
  });
}

/** The last lines of stderr, on one line, with the data folder's paths hidden. */
function tail(stderr: string, redact: readonly string[]): string {
  let text = stderr;
  for (const secret of redact) if (secret !== '') text = text.replaceAll(secret, '<data>');
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const joined = lines.join(' | ');
  return joined.length > MESSAGE_TAIL ? `…${joined.slice(-MESSAGE_TAIL)}` : joined || '(no output)';
}
