/**
 * Visible watermarks as FFmpeg filter chains (pure). Emulator choices where the service is silent:
 *
 * - `Transparency` (1-100 %) is the watermark's opacity: 100 draws it solid, 30 lets 70 % of the video through.
 * - `Dx`/`Dy` push the watermark inwards from the edges `Pos` names: with `LocMode=Absolute` in pixels, with
 *   `Relativity` in percent of the output width (`Dx`) and height (`Dy`). `Dx` is ignored for Top/Bottom/Center,
 *   `Dy` for Left/Right/Center, as documented. A background image's negative offsets move it past the edges.
 * - Image `Mode`: `Original` (and no mode) keeps the picture's size; `Proportion` is percent of the output width
 *   (`Width`) and height (`Height`); `Fixed` is pixels; with one side only, the other keeps the picture's aspect.
 * - Scrolling (`SlideConfig.SlideMode=ScrollFromLeft`, `Pos` ignored): the watermark enters from the left edge and
 *   moves right by `XSlideSpeed` × 5 % of the output width per second, wrapping around; a `YSlideSpeed` moves it
 *   down likewise (× 5 % of the height); a speed of 0 keeps that axis at its offset.
 * - `StartTime`/`EndTime` limit when it is drawn. Text without `FontSize` is 16 px, without `FontColor` white.
 * - Text is drawn literally: `expansion=none` (no `%{...}` evaluation) and every value escaped for both levels of
 *   the filter-graph syntax ({@link escapeFilterValue}).
 *
 * @module
 */

import type { Watermark, WatermarkPosition } from '../../core/protocol/watermark.js';
import { BUILT_IN_LOGO_URL } from '../ci/templates.js';

/** What {@link watermarkFilters} needs. */
export interface WatermarkInput {
  readonly watermarks: readonly Watermark[];
  /** `Image.Url` → local file. */
  readonly images: ReadonlyMap<string, string>;
  readonly fontFile: string | undefined;
  /** Output picture size (after scaling), the frame the watermarks are placed in. */
  readonly width: number;
  readonly height: number;
  readonly durationSeconds: number;
  /** FFmpeg input index of the first watermark image (the source is input 0). */
  readonly firstInput: number;
}

/** Filter chains drawing the watermarks over `[v0]`. */
export interface WatermarkFilters {
  /** Extra inputs (`-i <image>`), in input-index order. */
  readonly inputArgs: string[];
  /** Filter-graph chains, to join with `;` after the one producing `[v0]`. */
  readonly chains: string[];
  /** Label of the last chain's output, `undefined` when there is no watermark (`[v0]` is the result). */
  readonly output: string | undefined;
  /** Filter names used. */
  readonly filters: string[];
}

/**
 * Why an encode cannot be planned (a watermark cannot be drawn): `code` and `message` become the failed job's
 * `Code` and `Message`.
 */
export class EncodePlanError extends Error {
  override name = 'EncodePlanError';
  constructor(
    readonly code: 'ResourceNotFound' | 'FontNotFound' | 'InvalidInput',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Escapes a value for a filter option inside `-filter_complex`: first the option level (`\`, `'`, `:` and white
 * space), then the filter-graph level (`\`, `'`, `[`, `]`, `,`, `;`). Whatever the text, FFmpeg reads back exactly
 * `value`.
 */
export function escapeFilterValue(value: string): string {
  const option = value.replace(/[\\':\s]/g, (c) => `\\${c}`);
  return option.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

/** The nine positions, as expressions of the frame (`W`, `H`) and the watermark (`w`, `h`) sizes. */
export function positionExpressions(
  pos: WatermarkPosition,
  dx: number,
  dy: number,
  names: { W: string; H: string; w: string; h: string },
): { x: string; y: string } {
  const { W, H, w, h } = names;
  const column = pos.endsWith('Left') || pos === 'Left' ? 'left' : pos.endsWith('Right') ? 'right' : 'center';
  const row = pos.startsWith('Top') ? 'top' : pos.startsWith('Bottom') ? 'bottom' : 'middle';
  const x = column === 'left' ? `${dx}` : column === 'right' ? `${W}-${w}-${dx}` : `(${W}-${w})/2`;
  const y = row === 'top' ? `${dy}` : row === 'bottom' ? `${H}-${h}-${dy}` : `(${H}-${h})/2`;
  return { x, y };
}

/** `Dx`/`Dy` in pixels of the output frame. */
export function offsetsOf(mark: Watermark, width: number, height: number): { dx: number; dy: number } {
  const dx = mark.Dx ?? 0;
  const dy = mark.Dy ?? 0;
  if (mark.LocMode === 'Relativity') {
    return { dx: Math.round((dx * width) / 100), dy: Math.round((dy * height) / 100) };
  }
  return { dx: Math.round(dx), dy: Math.round(dy) };
}

/** `Transparency` (1-100 %, opacity) as an alpha from 0.01 to 1, with two decimals. */
export const alphaOf = (transparency: number | undefined): string =>
  (Math.min(100, Math.max(1, transparency ?? 100)) / 100).toFixed(2);

/** `x`/`y` of a watermark: scrolling, or anchored at `Pos` with its offsets. */
function placement(
  mark: Watermark,
  input: WatermarkInput,
  names: { W: string; H: string; w: string; h: string },
): { x: string; y: string } {
  const { dx, dy } = offsetsOf(mark, input.width, input.height);
  const slide = mark.SlideConfig;
  if (slide?.SlideMode !== 'ScrollFromLeft') return positionExpressions(mark.Pos, dx, dy, names);
  const xSpeed = Math.round(((slide.XSlideSpeed ?? 0) * input.width) / 20);
  const ySpeed = Math.round(((slide.YSlideSpeed ?? 0) * input.height) / 20);
  const x = xSpeed > 0 ? `mod(t*${xSpeed},${names.W}+${names.w})-${names.w}` : `${dx}`;
  const y = ySpeed > 0 ? `mod(t*${ySpeed},${names.H}+${names.h})-${names.h}` : `${dy}`;
  return { x, y };
}

/** `enable` of a watermark limited by `StartTime`/`EndTime`, or `undefined` (always drawn). */
export function enableExpression(mark: Watermark): string | undefined {
  const { StartTime: start, EndTime: end } = mark;
  if (start !== undefined && end !== undefined) return `between(t,${start},${end})`;
  if (start !== undefined) return `gte(t,${start})`;
  if (end !== undefined) return `lte(t,${end})`;
  return undefined;
}

const option = (name: string, value: string | number): string => `${name}=${escapeFilterValue(String(value))}`;

function textFilter(mark: Watermark, input: WatermarkInput): string {
  const text = mark.Text;
  if (!text) throw new EncodePlanError('FontNotFound', 'A text watermark has no Text.');
  if (input.fontFile === undefined) {
    throw new EncodePlanError(
      'FontNotFound',
      'No font file was found for the text watermark: install a TrueType font (for example DejaVu Sans) or pass FontType of an installed font.',
    );
  }
  const { x, y } = placement(mark, input, { W: 'w', H: 'h', w: 'text_w', h: 'text_h' });
  const colour = `${text.FontColor ?? '0xFFFFFF'}@${alphaOf(text.Transparency)}`;
  const options = [
    option('fontfile', input.fontFile),
    option('text', text.Text),
    'expansion=none',
    option('fontsize', text.FontSize ?? 16),
    option('fontcolor', colour),
    option('x', x),
    option('y', y),
  ];
  const enable = enableExpression(mark);
  if (enable !== undefined) options.push(option('enable', enable));
  return `drawtext=${options.join(':')}`;
}

/** The `scale` of an image watermark, or `undefined` to keep its size. */
export function imageScale(mark: Watermark, width: number, height: number): string | undefined {
  const image = mark.Image;
  if (!image || image.Mode === undefined || image.Mode === 'Original') return undefined;
  if (image.Width === undefined && image.Height === undefined) return undefined;
  const proportion = image.Mode === 'Proportion';
  const side = (value: number | undefined, frame: number): number =>
    value === undefined ? -1 : Math.max(1, Math.round(proportion ? (value * frame) / 100 : value));
  return `scale=${side(image.Width, width)}:${side(image.Height, height)}`;
}

/**
 * The inputs and filter chains that draw `input.watermarks` in order over `[v0]` (each over the previous ones).
 * Throws {@link EncodePlanError} when a text watermark has no font, or an image's URL has no local file (except
 * the built-in template's logo, generated when the bucket has none).
 */
export function watermarkFilters(input: WatermarkInput): WatermarkFilters {
  const inputArgs: string[] = [];
  const chains: string[] = [];
  const filters = new Set<string>();
  let previous = 'v0';
  let nextInput = input.firstInput;
  input.watermarks.forEach((mark, index) => {
    const label = `v${index + 1}`;
    if (mark.Type === 'Text') {
      chains.push(`[${previous}]${textFilter(mark, input)}[${label}]`);
      filters.add('drawtext');
    } else {
      const url = mark.Image?.Url ?? '';
      const file = input.images.get(url);
      if (file !== undefined) inputArgs.push('-i', file);
      else if (url === BUILT_IN_LOGO_URL) {
        inputArgs.push('-f', 'lavfi', '-i', 'color=c=0x1E88E5:s=160x90:d=1');
        filters.add('color');
      } else {
        throw new EncodePlanError('ResourceNotFound', `The watermark image ${url} does not exist.`);
      }
      const steps = ['format=rgba'];
      const scale = imageScale(mark, input.width, input.height);
      if (scale !== undefined) steps.push(scale);
      steps.push(`colorchannelmixer=aa=${alphaOf(mark.Image?.Transparency)}`);
      const picture = `w${index + 1}`;
      chains.push(`[${nextInput}:v]${steps.join(',')}[${picture}]`);
      nextInput += 1;
      const { x, y } = placement(mark, input, { W: 'main_w', H: 'main_h', w: 'overlay_w', h: 'overlay_h' });
      const options = [option('x', x), option('y', y), 'eof_action=repeat'];
      const enable = enableExpression(mark);
      if (enable !== undefined) options.push(option('enable', enable));
      chains.push(`[${previous}][${picture}]overlay=${options.join(':')}[${label}]`);
      for (const name of ['format', 'colorchannelmixer', 'overlay']) filters.add(name);
      if (scale !== undefined) filters.add('scale');
    }
    previous = label;
  });
  return {
    inputArgs,
    chains,
    output: input.watermarks.length > 0 ? previous : undefined,
    filters: [...filters],
  };
}

/**
 * The bucket and key an image watermark's `Image.Url` names: `http(s)://<bucket>.cos.<region>.<domain>/<key>`
 * (virtual-hosted, the service's form) or `http(s)://<host>/<bucket>/<key>` on a loopback host (path-style, the
 * emulator's). Any other URL, the built-in template's `http://localhost/emulator-logo.png` included, names `key`
 * in `jobBucket`. `undefined` when the URL cannot be parsed or names no key.
 */
export function imageObjectOf(url: string, jobBucket: string): { bucket: string; key: string } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname.replace(/^\/+/, ''));
  } catch {
    return undefined;
  }
  const virtual = /^([a-z0-9-]+-\d+)\.cos\./.exec(parsed.hostname);
  if (virtual?.[1] !== undefined) return path === '' ? undefined : { bucket: virtual[1], key: path };
  const [first, ...rest] = path.split('/');
  if (first !== undefined && /^[a-z0-9-]+-\d+$/.test(first) && rest.length > 0 && rest.join('/') !== '') {
    return { bucket: first, key: rest.join('/') };
  }
  return path === '' ? undefined : { bucket: jobBucket, key: path };
}
