import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import type { ResolvedEmulatorOptions } from '../options.js';

/** Where the `ffmpeg` in use came from: the `ffmpeg` option (`--ffmpeg`, `COS_EMULATOR_FFMPEG`), `PATH`, or the optional dependency. */
export type MediaToolSource = 'option' | 'path' | 'package';

/**
 * The media tools of a started emulator: FFmpeg (with what its build can do), or copy-through and why.
 */
export type MediaTools =
  | {
      mode: 'ffmpeg';
      /** Absolute path of `ffmpeg`. */
      ffmpeg: string;
      /** Absolute path of `ffprobe`, when one was found. */
      ffprobe: string | undefined;
      source: MediaToolSource;
      /** The version `ffmpeg -version` names: `N-47683-g0e8eb07980-static`, `5.1.6-0+deb12u1`. */
      version: string;
      /** Names of the encoders the build has (`libx264`, `aac`...). */
      encoders: ReadonlySet<string>;
      /** Names of the filters the build has (`scale`, `drawtext`, `overlay`...). */
      filters: ReadonlySet<string>;
    }
  | {
      mode: 'copy';
      /** Why jobs copy their input instead of encoding it. */
      reason: string;
    };

/** Loads an installer package (`@ffmpeg-installer/ffmpeg`) and returns the binary path it names, or `undefined`. */
export type InstallerLoader = (name: string) => string | undefined;

/** Why no FFmpeg is usable, when `media.mode` is `ffmpeg` (the emulator refuses to start: a `TypeError`). */
export class MediaToolsError extends TypeError {
  override name = 'MediaToolsError' as const;
}

/** Milliseconds `ffmpeg -version`, `-encoders` or `-filters` may take: a binary that hangs is not usable. */
const PROBE_TIMEOUT_MS = 15_000;

const FFMPEG_PACKAGE = '@ffmpeg-installer/ffmpeg';
const FFPROBE_PACKAGE = '@ffprobe-installer/ffprobe';

const requireHere = createRequire(import.meta.url);

/**
 * The binary an installer package ships, or `undefined` when the package is absent, its platform package did not
 * install (it then throws, a string), or it names no path.
 */
export const loadInstallerPackage: InstallerLoader = (name) => {
  try {
    const loaded = requireHere(name) as { path?: unknown };
    return typeof loaded.path === 'string' && loaded.path !== '' ? loaded.path : undefined;
  } catch {
    return undefined;
  }
};

const exe = (name: string) => (process.platform === 'win32' ? `${name}.exe` : name);

async function isExecutable(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on the `PATH` of `env`. */
async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const folder of (env['PATH'] ?? '').split(delimiter)) {
    if (folder === '') continue;
    const file = join(folder, exe(name));
    if (await isExecutable(file)) return file;
  }
  return undefined;
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      file,
      args,
      { timeout: PROBE_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 8 * 1024 * 1024, windowsHide: true },
      (error, stdout) => (error ? fail(error) : done(stdout)),
    );
  });
}

/** Names listed by `-encoders` (after the `------` line: ` V....D libx264  ...`). */
export function parseEncoders(text: string): Set<string> {
  const names = new Set<string>();
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((line) => /^\s*-{3,}\s*$/.test(line));
  for (const line of lines.slice(start + 1)) {
    const match = /^\s*[VAS][A-Z.]{5}\s+(\S+)/.exec(line);
    if (match) names.add(match[1]!);
  }
  return names;
}

/** Names listed by `-filters` (` TSC drawtext  V->V  ...`; legend lines hold ` = `). */
export function parseFilters(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*[T.][S.][C.]\s+(\S+)\s+\S*->\S*/.exec(line);
    if (match && !line.includes(' = ')) names.add(match[1]!);
  }
  return names;
}

interface Candidate {
  file: string;
  source: MediaToolSource;
}

/** The `ffmpeg` to try, in order: the option, `PATH`, the optional dependency; the first that exists wins. */
async function findFfmpeg(
  media: ResolvedEmulatorOptions['media'],
  env: NodeJS.ProcessEnv,
  load: InstallerLoader,
): Promise<Candidate | string> {
  if (media.ffmpeg !== undefined) {
    // A binary the user named is used or reported, never silently replaced by another one.
    if (await isExecutable(media.ffmpeg)) return { file: media.ffmpeg, source: 'option' };
    return `the ffmpeg given (--ffmpeg / COS_EMULATOR_FFMPEG) is not an executable file: ${media.ffmpeg}`;
  }
  const fromPath = await onPath('ffmpeg', env);
  if (fromPath !== undefined) return { file: fromPath, source: 'path' };
  const fromPackage = load(FFMPEG_PACKAGE);
  if (fromPackage !== undefined && (await isExecutable(fromPackage))) return { file: fromPackage, source: 'package' };
  return (
    `no ffmpeg found: none given (--ffmpeg / COS_EMULATOR_FFMPEG), none on PATH, and the optional dependency ` +
    `${FFMPEG_PACKAGE} is not installed for this platform`
  );
}

/** `ffprobe`: the option, next to `ffmpeg`, `PATH`, the optional dependency. */
async function findFfprobe(
  media: ResolvedEmulatorOptions['media'],
  ffmpeg: string,
  env: NodeJS.ProcessEnv,
  load: InstallerLoader,
): Promise<string | undefined> {
  if (media.ffprobe !== undefined) {
    if (await isExecutable(media.ffprobe)) return media.ffprobe;
    throw new MediaToolsError(
      `Invalid emulator options: media.ffprobe (--ffprobe) is not an executable file: ${media.ffprobe}`,
    );
  }
  const beside = join(dirname(ffmpeg), exe('ffprobe'));
  if (await isExecutable(beside)) return beside;
  const fromPath = await onPath('ffprobe', env);
  if (fromPath !== undefined) return fromPath;
  const fromPackage = load(FFPROBE_PACKAGE);
  return fromPackage !== undefined && (await isExecutable(fromPackage)) ? fromPackage : undefined;
}

/**
 * Finds the media tools the emulator's jobs use, once at start (`media` options):
 *
 * - `mode: 'copy'`: none; jobs copy their input.
 * - otherwise `ffmpeg` is, in order, `media.ffmpeg` (`--ffmpeg`, `COS_EMULATOR_FFMPEG`), an `ffmpeg` on the `PATH`
 *   of `env`, then the binary of the optional dependency `@ffmpeg-installer/ffmpeg`; `ffprobe` is `media.ffprobe`,
 *   the one next to `ffmpeg`, one on `PATH`, then `@ffprobe-installer/ffprobe` (none is fine: the MP4 parser
 *   describes outputs then). The binary must be executable and answer `-version` within 15 s; its `-encoders` and
 *   `-filters` are read so that a job needing one it lacks fails clearly.
 * - nothing usable: `mode: 'auto'` falls back to copy-through with the reason; `mode: 'ffmpeg'` throws a
 *   {@link MediaToolsError} (a `TypeError`: the CLI exits with code 2).
 *
 * A named `media.ffprobe` that is not executable always throws (a mistake in the options).
 */
export async function locateMediaTools(
  media: ResolvedEmulatorOptions['media'],
  env: NodeJS.ProcessEnv = process.env,
  load: InstallerLoader = loadInstallerPackage,
): Promise<MediaTools> {
  if (media.mode === 'copy') return { mode: 'copy', reason: 'media mode copy (--media copy)' };
  const unusable = (reason: string): MediaTools => {
    if (media.mode === 'ffmpeg') {
      throw new MediaToolsError(`Media mode ffmpeg (--media ffmpeg) needs FFmpeg, but ${reason}.`);
    }
    return { mode: 'copy', reason };
  };
  const found = await findFfmpeg(media, env, load);
  if (typeof found === 'string') return unusable(found);
  let version: string;
  let encoders: Set<string>;
  let filters: Set<string>;
  try {
    const banner = await run(found.file, ['-version']);
    const match = /^ffmpeg version (\S+)/.exec(banner);
    if (!match) throw new Error(`unexpected -version output: ${banner.slice(0, 80)}`);
    version = match[1]!;
    encoders = parseEncoders(await run(found.file, ['-hide_banner', '-encoders']));
    filters = parseFilters(await run(found.file, ['-hide_banner', '-filters']));
  } catch (error) {
    const why = (error as Error).message.split('\n')[0]?.slice(0, 200) ?? 'failed';
    return unusable(`the ffmpeg at ${found.file} (from ${found.source}) does not run: ${why}`);
  }
  const ffprobe = await findFfprobe(media, found.file, env, load);
  return { mode: 'ffmpeg', ffmpeg: found.file, ffprobe, source: found.source, version, encoders, filters };
}

/** The tools as the admin state (`GET /_emulator/`) shows them: which FFmpeg, or why copy-through. */
export function describeMediaTools(tools: MediaTools): Record<string, unknown> {
  if (tools.mode === 'copy') return { mode: 'copy', reason: tools.reason };
  return {
    mode: 'ffmpeg',
    ffmpeg: tools.ffmpeg,
    ffprobe: tools.ffprobe ?? null,
    source: tools.source,
    version: tools.version,
    encoders: tools.encoders.size,
    filters: tools.filters.size,
  };
}
