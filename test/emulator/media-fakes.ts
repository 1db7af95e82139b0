// Fake media binaries for the media tests (media-tools, media-lifecycle): shell scripts that answer `-version`,
// `-encoders` and `-filters` as chosen and hand everything else to the real FFmpeg (or sleep), in a temp folder.
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** The optional dependency's real ffmpeg (installed on the machines the tests run on). */
export const REAL_FFMPEG = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
/** The optional dependency's real ffprobe. */
export const REAL_FFPROBE = (require('@ffprobe-installer/ffprobe') as { path: string }).path;

/** A fresh temp folder. */
export const tempFolder = (prefix: string): Promise<string> => mkdtemp(join(tmpdir(), `cos-media-${prefix}-`));

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** What a fake ffmpeg does. */
export interface FakeFfmpeg {
  /** The version line. @default 'ffmpeg version fake-1 Copyright (c) fake' */
  version?: string;
  /** Exit code of `-version` (non-zero: a broken binary). @default 0 */
  versionExit?: number;
  /** Encoders removed from the real `-encoders` list. */
  withoutEncoders?: string[];
  /** Instead of encoding: `sleep` this many seconds (exec'd, so the script's pid is the sleeper's). */
  sleepSeconds?: number;
}

/** Writes an executable fake `ffmpeg` (named `name`) into `folder`; its path. */
export async function writeFakeFfmpeg(folder: string, fake: FakeFfmpeg = {}, name = 'ffmpeg'): Promise<string> {
  await mkdir(folder, { recursive: true });
  const file = join(folder, name);
  const drop = (fake.withoutEncoders ?? []).map((encoder) => ` | grep -v -E ' ${encoder} '`).join('');
  const work = fake.sleepSeconds === undefined ? `exec ${quote(REAL_FFMPEG)} "$@"` : `exec sleep ${fake.sleepSeconds}`;
  const script = [
    '#!/bin/sh',
    `if [ "$1" = "-version" ]; then echo ${quote(fake.version ?? 'ffmpeg version fake-1 Copyright (c) fake')}; exit ${fake.versionExit ?? 0}; fi`,
    `if [ "$2" = "-encoders" ]; then ${quote(REAL_FFMPEG)} -hide_banner -encoders${drop}; exit 0; fi`,
    `if [ "$2" = "-filters" ]; then exec ${quote(REAL_FFMPEG)} -hide_banner -filters; fi`,
    work,
    '',
  ].join('\n');
  await writeFile(file, script);
  await chmod(file, 0o755);
  return file;
}
