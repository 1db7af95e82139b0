// Short generated clips (lavfi testsrc2 + sine) and pictures for the media tests and the bench.
import { join } from 'node:path';
import { FFMPEG, run } from './tools.js';

/** What {@link generateClip} makes. */
export interface ClipOptions {
  width?: number;
  height?: number;
  seconds?: number;
  fps?: number;
  /** Without audio when `false`. */
  audio?: boolean;
  /** x264 preset. @default 'ultrafast' */
  preset?: string;
}

/** Generates an H.264 + AAC MP4 test clip in `dir`; its path. */
export async function generateClip(dir: string, name: string, options: ClipOptions = {}): Promise<string> {
  const { width = 320, height = 180, seconds = 2, fps = 25, audio = true, preset = 'ultrafast' } = options;
  const file = join(dir, name);
  const inputs = ['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`];
  if (audio) inputs.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`);
  const codecs = ['-c:v', 'libx264', '-preset', preset, '-pix_fmt', 'yuv420p'];
  if (audio) codecs.push('-c:a', 'aac', '-b:a', '96k');
  await run(FFMPEG, ['-v', 'error', '-y', ...inputs, ...codecs, '-threads', '2', file], 600_000);
  return file;
}

/** Generates a solid-colour PNG of `width` x `height` in `dir` (an image watermark); its path. */
export async function generatePng(
  dir: string,
  name: string,
  width: number,
  height: number,
  color = 'red',
): Promise<string> {
  const file = join(dir, name);
  const source = `color=c=${color}:size=${width}x${height}`;
  await run(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', source, '-frames:v', '1', file]);
  return file;
}
