import * as z from 'zod/mini';
import { booleanLike, container, numberInRange, numeric, requiredOr } from './schema-helpers.js';

/**
 * The service's charset for watermark text and digital-watermark messages: at most 64 Chinese characters, ASCII
 * letters, digits, `_`, `-` and `*`. Markup can never pass it.
 */
export const WATERMARK_TEXT_PATTERN = /^[\p{Script=Han}A-Za-z0-9_*-]{1,64}$/u;

const watermarkText = z.string({ error: requiredOr('must be text') }).check(
  z.refine((value) => WATERMARK_TEXT_PATTERN.test(value), {
    error: 'must be 1 to 64 Chinese characters, letters, digits, _, - or *',
  }),
);

/** `Pos` of a visible watermark. */
export const WatermarkPositionSchema = z.enum(
  ['TopLeft', 'Top', 'TopRight', 'Left', 'Center', 'Right', 'BottomLeft', 'Bottom', 'BottomRight'],
  { error: requiredOr('must be one of TopLeft, Top, TopRight, Left, Center, Right, BottomLeft, Bottom, BottomRight') },
);
/** Where a visible watermark is anchored. */
export type WatermarkPosition = z.output<typeof WatermarkPositionSchema>;

/** `Image` of an image watermark. `Width`/`Height` ranges depend on `Mode` and `Background`. */
export const WatermarkImageSchema = container({
  Url: z.string({ error: requiredOr('must be text') }).check(
    z.refine((value) => /^https?:\/\/[\x21-\x7E]{1,2040}$/.test(value), {
      error: 'must be an http(s) URL of printable ASCII without spaces (URL-encode it)',
    }),
  ),
  Mode: z.optional(
    z.enum(['Original', 'Proportion', 'Fixed'], { error: 'must be one of Original, Proportion, Fixed' }),
  ),
  Width: z.optional(numeric),
  Height: z.optional(numeric),
  Transparency: numberInRange(1, 100, true),
  Background: z.optional(booleanLike),
}).check(
  z.superRefine((image, ctx) => {
    for (const side of ['Width', 'Height'] as const) {
      const value = image[side];
      if (value === undefined) continue;
      let range: readonly [number, number] | undefined;
      if (image.Mode === 'Original') {
        const message = 'must not be set when Mode is Original';
        ctx.issues.push({ code: 'custom', message, input: value, path: [side] });
        continue;
      }
      if (image.Mode === 'Proportion') range = image.Background === true ? [100, 300] : [1, 100];
      if (image.Mode === 'Fixed') range = [8, 4096];
      if (range !== undefined && (value < range[0] || value > range[1])) {
        const message = `must be from ${range[0]} to ${range[1]} with Mode ${image.Mode}`;
        ctx.issues.push({ code: 'custom', message, input: value, path: [side] });
      }
    }
  }),
);
/** An image watermark's picture. */
export type WatermarkImage = z.output<typeof WatermarkImageSchema>;

/** `Text` of a text watermark. */
export const WatermarkTextSchema = container({
  FontSize: z.optional(numberInRange(5, 100, true)),
  FontType: z.optional(
    z.string().check(z.refine((value) => /^[\w.-]{1,64}$/.test(value), { error: 'must be a font file name' })),
  ),
  FontColor: z.optional(
    z.string().check(z.refine((value) => /^0x[0-9A-Fa-f]{6}$/.test(value), { error: 'must be 0xRRGGBB' })),
  ),
  Transparency: z.optional(numberInRange(1, 100, true)),
  Text: watermarkText,
});
/** A text watermark's text and font. */
export type WatermarkText = z.output<typeof WatermarkTextSchema>;

/** `SlideConfig` of a moving watermark. */
export const WatermarkSlideSchema = container({
  SlideMode: z.enum(['Default', 'ScrollFromLeft'], { error: requiredOr('must be one of Default, ScrollFromLeft') }),
  XSlideSpeed: z.optional(numberInRange(0, 10, true)),
  YSlideSpeed: z.optional(numberInRange(0, 10, true)),
});
/** How a watermark moves. */
export type WatermarkSlide = z.output<typeof WatermarkSlideSchema>;

/**
 * One inline visible watermark (`Operation.Watermark`, the shape of a watermark template). `Dx`/`Dy` are checked
 * against the ranges of `LocMode` (pixels for `Absolute`, percent for `Relativity`), negative for a background
 * image; `Text` is required for `Type=Text` and `Image` for `Type=Image`.
 */
export const WatermarkSchema = container({
  Type: z.enum(['Text', 'Image'], { error: requiredOr('must be one of Text, Image') }),
  Pos: WatermarkPositionSchema,
  LocMode: z.enum(['Absolute', 'Relativity'], { error: requiredOr('must be one of Absolute, Relativity') }),
  Dx: z.optional(numeric),
  Dy: z.optional(numeric),
  StartTime: z.optional(numberInRange(0, Number.MAX_SAFE_INTEGER)),
  EndTime: z.optional(numberInRange(0, Number.MAX_SAFE_INTEGER)),
  SlideConfig: z.optional(WatermarkSlideSchema),
  Image: z.optional(WatermarkImageSchema),
  Text: z.optional(WatermarkTextSchema),
}).check(
  z.superRefine((mark, ctx) => {
    if (mark.Type === 'Text' && mark.Text === undefined) {
      ctx.issues.push({ code: 'custom', message: 'is required when Type is Text', input: mark, path: ['Text'] });
    }
    if (mark.Type === 'Image' && mark.Image === undefined) {
      ctx.issues.push({ code: 'custom', message: 'is required when Type is Image', input: mark, path: ['Image'] });
    }
    const background = mark.Type === 'Image' && mark.Image?.Background === true;
    const limit = mark.LocMode === 'Absolute' ? 4096 : mark.LocMode === 'Relativity' ? (background ? 300 : 100) : 0;
    const [min, max] = background ? [-limit, 0] : [0, limit];
    for (const axis of ['Dx', 'Dy'] as const) {
      const value = mark[axis];
      if (value !== undefined && (value < min || value > max)) {
        const image = background ? ' and a background image' : '';
        const message = `must be from ${min} to ${max} with LocMode ${mark.LocMode}${image}`;
        ctx.issues.push({ code: 'custom', message, input: value, path: [axis] });
      }
    }
    if (mark.StartTime !== undefined && mark.EndTime !== undefined && mark.EndTime < mark.StartTime) {
      const message = 'must not be before StartTime';
      ctx.issues.push({ code: 'custom', message, input: mark.EndTime, path: ['EndTime'] });
    }
  }),
);
/** One inline visible watermark. */
export type Watermark = z.output<typeof WatermarkSchema>;

/** Puts a validated watermark's fields in the documented element order. */
export function watermarkToWire(mark: Watermark): Record<string, unknown> {
  return {
    Type: mark.Type,
    Pos: mark.Pos,
    LocMode: mark.LocMode,
    Dx: mark.Dx,
    Dy: mark.Dy,
    StartTime: mark.StartTime,
    EndTime: mark.EndTime,
    SlideConfig: mark.SlideConfig && {
      SlideMode: mark.SlideConfig.SlideMode,
      XSlideSpeed: mark.SlideConfig.XSlideSpeed,
      YSlideSpeed: mark.SlideConfig.YSlideSpeed,
    },
    Image: mark.Image && {
      Url: mark.Image.Url,
      Mode: mark.Image.Mode,
      Width: mark.Image.Width,
      Height: mark.Image.Height,
      Transparency: mark.Image.Transparency,
      Background: mark.Image.Background,
    },
    Text: mark.Text && {
      FontSize: mark.Text.FontSize,
      FontType: mark.Text.FontType,
      FontColor: mark.Text.FontColor,
      Transparency: mark.Text.Transparency,
      Text: mark.Text.Text,
    },
  };
}

/** `Operation.RemoveWatermark`: the rectangle to blur out, each value 1..4096 pixels (not for H.265/AV1). */
export const RemoveWatermarkSchema = container({
  Dx: numberInRange(1, 4096, true),
  Dy: numberInRange(1, 4096, true),
  Width: numberInRange(1, 4096, true),
  Height: numberInRange(1, 4096, true),
});
/** A rectangle to remove a watermark from. */
export type RemoveWatermark = z.output<typeof RemoveWatermarkSchema>;

/** `Operation.DigitalWatermark` of a request: an invisible text watermark (`Type` Text, `Version` V1). */
export const DigitalWatermarkSchema = container({
  Type: z.enum(['Text'], { error: requiredOr('must be Text') }),
  Message: watermarkText,
  Version: z.enum(['V1'], { error: requiredOr('must be V1') }),
  /** Continue the job when embedding fails. */
  IgnoreError: z.optional(booleanLike),
});
/** An invisible watermark to embed. */
export type DigitalWatermark = z.output<typeof DigitalWatermarkSchema>;

/** `Operation.ExtractDigitalWatermark` of a request: must match the `Type`/`Version` used to embed. */
export const ExtractDigitalWatermarkSchema = container({
  Type: z.enum(['Text'], { error: requiredOr('must be Text') }),
  Version: z.enum(['V1'], { error: requiredOr('must be V1') }),
});
/** What kind of invisible watermark to extract. */
export type ExtractDigitalWatermark = z.output<typeof ExtractDigitalWatermarkSchema>;
