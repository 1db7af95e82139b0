// Decoded frames and pixel comparisons for the visible-watermark tests.
import { probeFile } from './probe.js';
import { FFMPEG, run } from './tools.js';

/** One decoded frame, packed RGB (3 bytes a pixel, rows top to bottom). */
export interface RgbFrame {
  width: number;
  height: number;
  data: Buffer;
}

/** A rectangle in pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Decodes the frame at `seconds` (`ffmpeg -ss t -i f -frames:v 1 -f rawvideo -pix_fmt rgb24 -`). */
export async function decodeFrame(file: string, seconds: number): Promise<RgbFrame> {
  const { width, height } = await probeFile(file);
  if (!width || !height) throw new Error(`${file} has no video stream`);
  const args = ['-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];
  const data = await run(FFMPEG, args, 30_000);
  if (data.length !== width * height * 3) throw new Error(`decoded ${data.length} bytes, not a ${width}x${height} frame`);
  return { width, height, data };
}

const inside = (box: Box, x: number, y: number): boolean =>
  x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;

/** Mean absolute difference per channel value (0-255) of two frames of one size, inside and outside `box`. */
export function frameDifference(a: RgbFrame, b: RgbFrame, box: Box): { inside: number; outside: number } {
  if (a.width !== b.width || a.height !== b.height) throw new Error('frames of different sizes');
  const sums = { inside: 0, outside: 0 };
  const counts = { inside: 0, outside: 0 };
  for (let y = 0; y < a.height; y += 1) {
    for (let x = 0; x < a.width; x += 1) {
      const at = (y * a.width + x) * 3;
      const diff =
        Math.abs(a.data[at]! - b.data[at]!) + Math.abs(a.data[at + 1]! - b.data[at + 1]!) + Math.abs(a.data[at + 2]! - b.data[at + 2]!);
      const where = inside(box, x, y) ? 'inside' : 'outside';
      sums[where] += diff / 3;
      counts[where] += 1;
    }
  }
  return { inside: sums.inside / (counts.inside || 1), outside: sums.outside / (counts.outside || 1) };
}

/** The bounding box of the pixels that differ by more than `threshold` (mean of the channels); `undefined` if none. */
export function changedBox(a: RgbFrame, b: RgbFrame, threshold = 40): Box | undefined {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -1, -1];
  for (let y = 0; y < a.height; y += 1) {
    for (let x = 0; x < a.width; x += 1) {
      const at = (y * a.width + x) * 3;
      const diff =
        (Math.abs(a.data[at]! - b.data[at]!) + Math.abs(a.data[at + 1]! - b.data[at + 1]!) + Math.abs(a.data[at + 2]! - b.data[at + 2]!)) / 3;
      if (diff <= threshold) continue;
      [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
    }
  }
  return maxX < 0 ? undefined : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}
