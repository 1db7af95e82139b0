// What <cos-transcoder> takes from a framework's template or JSX, typed once for React and Vue: its attributes (as
// written in HTML, kebab-case), the properties only code can set, and its events. Types only.
import type { ATTRIBUTE_NAMES } from '../element/element-input.js';

/** The element's class, as the tag's entry in `HTMLElementTagNameMap` declares it. */
export type CosTranscoderElement = HTMLElementTagNameMap['cos-transcoder'];

/** Attributes that accept only some values. */
interface NarrowAttributes {
  'job-tag'?: 'Transcode' | 'ExtractDigitalWatermark';
  'callback-format'?: 'XML' | 'JSON';
  protocol?: 'https' | 'http';
  'job-level'?: 0 | 1 | 2 | '0' | '1' | '2';
  /** A size: bytes, or `500MB`, `2GiB`. */
  'max-file-size'?: number | string;
}

/**
 * The attributes of `<cos-transcoder>`, kebab-case as in HTML (frameworks set them with `setAttribute`, so they work
 * before the element is defined). See the element's documentation for what each one means.
 */
export type CosTranscoderAttributes = {
  [K in Exclude<(typeof ATTRIBUTE_NAMES)[number], keyof NarrowAttributes>]?: string;
} & NarrowAttributes & {
    /** Show a Start button instead of starting when a file is chosen. */
    manual?: boolean;
    /** `en` or `zh-CN`; else the nearest `lang` ancestor, else the browser's language. */
    lang?: string;
  };

/** The properties only code can set (functions and objects), set as DOM properties by React 19 and Vue 3. */
export type CosTranscoderProperties = Partial<Pick<CosTranscoderElement, 'getAuthorization' | 'subscribe' | 'strings'>>;

/** The names of the element's events: `cos-upload-progress`, `cos-job-complete`... */
export type CosTranscoderEventName = Extract<keyof GlobalEventHandlersEventMap, `cos-${string}`>;

/** `cos-job-complete` -> `CosJobComplete`. */
export type PascalCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Capitalize<Head>}${PascalCase<Tail>}`
  : Capitalize<S>;
