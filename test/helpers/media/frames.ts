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
  const args = ['-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1'];
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', '-');
  const data = await run(FFMPEG, args, 30_000);
  if (data.length !== width * height * 3) {
    throw new Error(`decoded ${data.length} bytes, not a ${width}x${height} frame`);
  }
  return { width, height, data };
}

const within = (box: Box, x: number, y: number, margin: number): boolean =>
  x >= box.x - margin && x < box.x + box.width + margin && y >= box.y - margin && y < box.y + box.height + margin;

/** Mean over the three channels of the absolute difference of pixel `at` (byte offset) of two frames. */
function pixelDiff(a: RgbFrame, b: RgbFrame, at: number): number {
  let sum = 0;
  for (let channel = at; channel < at + 3; channel += 1) sum += Math.abs(a.data[channel]! - b.data[channel]!);
  return sum / 3;
}

/**
 * Mean absolute difference (0-255) of two frames of one size: `inside` over the pixels of the boxes, `outside` over
 * the pixels farther than `margin` from every box (the encoder's ringing around a change is left out).
 */
export function frameDifference(
  a: RgbFrame,
  b: RgbFrame,
  boxes: Box | readonly Box[],
  margin = 0,
): { inside: number; outside: number } {
  if (a.width !== b.width || a.height !== b.height) throw new Error('frames of different sizes');
  const list = Array.isArray(boxes) ? boxes : [boxes as Box];
  const sums = { inside: 0, outside: 0 };
  const counts = { inside: 0, outside: 0 };
  for (let y = 0; y < a.height; y += 1) {
    for (let x = 0; x < a.width; x += 1) {
      const diff = pixelDiff(a, b, (y * a.width + x) * 3);
      if (list.some((box) => within(box, x, y, 0))) {
        sums.inside += diff;
        counts.inside += 1;
      } else if (!list.some((box) => within(box, x, y, margin))) {
        sums.outside += diff;
        counts.outside += 1;
      }
    }
  }
  return { inside: sums.inside / (counts.inside || 1), outside: sums.outside / (counts.outside || 1) };
}

/**
 * The bounding box of the pixels that differ by more than `threshold` (mean of the channels), looking only inside
 * `region` when given; `undefined` if none.
 */
export function changedBox(a: RgbFrame, b: RgbFrame, threshold = 40, region?: Box): Box | undefined {
  const area = region ?? { x: 0, y: 0, width: a.width, height: a.height };
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -1, -1];
  for (let y = Math.max(0, area.y); y < Math.min(a.height, area.y + area.height); y += 1) {
    for (let x = Math.max(0, area.x); x < Math.min(a.width, area.x + area.width); x += 1) {
      const diff = pixelDiff(a, b, (y * a.width + x) * 3);
      if (diff <= threshold) continue;
      [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
    }
  }
  return maxX < 0 ? undefined : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}
