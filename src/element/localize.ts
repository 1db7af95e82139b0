// Strings and numbers in the reader's language: the built-in tables, the `strings` overrides, and Intl for sizes,
// speeds, durations and percentages.
import type { WorkStrings } from './locales/en-work.js';
import { en, type Strings } from './locales/en.js';
import { zhCN } from './locales/zh-cn.js';

export type { Strings } from './locales/en.js';

/** The work view's tables, which come with the pipeline chunk. */
export interface WorkTables {
  readonly en: WorkStrings;
  readonly zh: WorkStrings;
}

/**
 * The language the element speaks: its own `lang`, else the nearest ancestor's `lang`, else the browser's.
 */
export function resolveLang(host: HTMLElement): string {
  const own = host.closest('[lang]') as HTMLElement | null;
  return own?.lang || (typeof navigator === 'undefined' ? 'en' : navigator.language) || 'en';
}

/**
 * The built-in strings for `lang` (Chinese for any `zh`, English otherwise), the work view's once `work` has
 * loaded, with `overrides` on top. Before the work view loads, only the first paint's keys are filled.
 */
export function stringsFor(lang: string, overrides?: Partial<Strings>, work?: WorkTables): Strings {
  const zh = /^zh\b/i.test(lang);
  return { ...(zh ? zhCN : en), ...(work && (zh ? work.zh : work.en)), ...overrides } as Strings;
}

/** `template` with each `{name}` replaced by `values[name]` (text, never markup: it is bound as text). */
export const fill = (template: string, values: Record<string, string | number>): string =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** `1234567` -> `1.2 MB` (decimal units, as Intl names them). */
export function formatBytes(bytes: number, lang: string): string {
  let unit = 0;
  let value = Math.max(0, bytes);
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  // Whole bytes as "512 B" in every language: Intl's short byte unit is "512 byte" in English.
  if (unit === 0) return `${new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(value)} B`;
  const digits = value >= 100 ? 0 : 1;
  return new Intl.NumberFormat(lang, {
    style: 'unit',
    unit: UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: digits,
  }).format(value);
}

/** `0.423` -> `42%`. */
export const formatPercent = (fraction: number, lang: string): string =>
  new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 }).format(Math.min(1, Math.max(0, fraction)));

interface DurationFormatLike {
  format(duration: Record<string, number>): string;
}

/** `83.4` seconds -> `1 min 23 sec` (Intl.DurationFormat where the browser has it, else units). */
export function formatDuration(seconds: number, lang: string): string {
  const total = Math.max(0, Math.round(seconds));
  const parts = { hours: Math.floor(total / 3600), minutes: Math.floor((total % 3600) / 60), seconds: total % 60 };
  const DurationFormat = (Intl as unknown as { DurationFormat?: new (l: string, o: object) => DurationFormatLike })
    .DurationFormat;
  if (DurationFormat) return new DurationFormat(lang, { style: 'short' }).format(parts);
  const unit = (value: number, name: string) =>
    new Intl.NumberFormat(lang, { style: 'unit', unit: name, unitDisplay: 'short' }).format(value);
  if (parts.hours) return `${unit(parts.hours, 'hour')} ${unit(parts.minutes, 'minute')}`;
  if (parts.minutes) return `${unit(parts.minutes, 'minute')} ${unit(parts.seconds, 'second')}`;
  return unit(parts.seconds, 'second');
}
