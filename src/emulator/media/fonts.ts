/**
 * The font file text watermarks are drawn with. FFmpeg's `drawtext` needs a font file; the service names fonts by
 * file name (`Text.FontType`, for example `simfang.ttf`), which a developer machine rarely has. Order:
 *
 * 1. the `FontType` file itself, found in the usual font folders (any case);
 * 2. for the service's Chinese fonts (`simfang`, `simhei`, `simkai`, `simsun`, `msyh`...) or text with Chinese
 *    characters, a CJK font: Noto Sans CJK, Source Han Sans, WenQuanYi, Droid Sans Fallback, PingFang, Microsoft
 *    YaHei, SimHei, SimSun;
 * 3. a common sans-serif font: DejaVu Sans, Liberation Sans, Arial, Helvetica, Noto Sans, FreeSans, Roboto,
 *    Segoe UI;
 * 4. any `.ttf` / `.otf` / `.ttc` found;
 * 5. DejaVu Sans from the optional dependency `dejavu-fonts-ttf`, so that a machine without fonts (a slim container)
 *    still draws text.
 *
 * None at all: `undefined`, and a job with a text watermark fails with `FontNotFound`.
 *
 * Folders: `/usr/share/fonts`, `/usr/local/share/fonts`, `~/.fonts`, `~/.local/share/fonts` (Linux),
 * `/System/Library/Fonts`, `/Library/Fonts`, `~/Library/Fonts` (macOS), `%WINDIR%\Fonts` (Windows); searched four
 * levels deep, once per process.
 *
 * @module
 */

import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { Watermark } from '../../core/protocol/watermark.js';

/** The usual font folders of this platform. */
export function defaultFontDirs(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string[] {
  const home = homedir();
  if (platform === 'win32') return [join(env['WINDIR'] ?? 'C:\\Windows', 'Fonts')];
  if (platform === 'darwin') return ['/System/Library/Fonts', '/Library/Fonts', join(home, 'Library/Fonts')];
  return ['/usr/share/fonts', '/usr/local/share/fonts', join(home, '.fonts'), join(home, '.local/share/fonts')];
}

const FONT_FILE = /\.(ttf|otf|ttc)$/i;
const MAX_DEPTH = 4;

/** Font files under `dirs`, by lower-case file name (the first found wins). */
async function scan(dirs: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && depth < MAX_DEPTH) await walk(path, depth + 1);
      else if ((entry.isFile() || entry.isSymbolicLink()) && FONT_FILE.test(entry.name)) {
        const name = entry.name.toLowerCase();
        if (!found.has(name)) found.set(name, path);
      }
    }
  };
  for (const dir of dirs) await walk(dir, 0);
  return found;
}

const scans = new Map<string, Promise<Map<string, string>>>();

const CJK_FONT_TYPES = /^(sim|ms|st|fz|hy|wqy|noto.*cjk|source.*han|pingfang)/i;
const HAN = /\p{Script=Han}/u;

const CJK_FONTS = [
  'notosanscjk-regular.ttc',
  'notosanscjksc-regular.otf',
  'notosanssc-regular.otf',
  'sourcehansanssc-regular.otf',
  'wqy-microhei.ttc',
  'wqy-zenhei.ttc',
  'droidsansfallbackfull.ttf',
  'droidsansfallback.ttf',
  'pingfang.ttc',
  'msyh.ttc',
  'msyh.ttf',
  'simhei.ttf',
  'simsun.ttc',
];

const SANS_FONTS = [
  'dejavusans.ttf',
  'liberationsans-regular.ttf',
  'arial.ttf',
  'helvetica.ttc',
  'notosans-regular.ttf',
  'freesans.ttf',
  'roboto-regular.ttf',
  'segoeui.ttf',
];

/** What to look for. */
export interface FontQuery {
  /** `Text.FontType` of the watermark. */
  readonly fontType?: string | undefined;
  /** The texts to draw (a Chinese character asks for a CJK font). */
  readonly texts?: readonly string[];
  /** Folders to search; {@link defaultFontDirs} by default. */
  readonly dirs?: readonly string[];
  /** The font used when the folders have none; `null` for none. @default {@link packagedFont} */
  readonly packaged?: string | null;
}

/** DejaVu Sans from the optional dependency `dejavu-fonts-ttf`, or `undefined` where it did not install. */
export function packagedFont(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
  } catch {
    return undefined;
  }
}

/** The font file for `query` (see the module notes), or `undefined` when the machine has no font at all. */
export async function chooseFontFile(query: FontQuery = {}): Promise<string | undefined> {
  const dirs = query.dirs ?? defaultFontDirs();
  const key = dirs.join('\0');
  let fonts = scans.get(key);
  if (fonts === undefined) {
    fonts = scan(dirs);
    scans.set(key, fonts);
  }
  const found = await fonts;
  const wanted = query.fontType === undefined ? undefined : basename(query.fontType).toLowerCase();
  if (wanted !== undefined && found.has(wanted)) return found.get(wanted);
  const cjk = (wanted !== undefined && CJK_FONT_TYPES.test(wanted)) || (query.texts ?? []).some((t) => HAN.test(t));
  for (const name of [...(cjk ? CJK_FONTS : []), ...SANS_FONTS]) {
    const path = found.get(name);
    if (path !== undefined) return path;
  }
  return found.values().next().value ?? (query.packaged === undefined ? packagedFont() : (query.packaged ?? undefined));
}

/** The font for a job's text watermarks: the first one's `FontType`, and all their texts. */
export function fontQueryFor(watermarks: readonly Watermark[]): FontQuery | undefined {
  const texts = watermarks.flatMap((mark) => (mark.Type === 'Text' && mark.Text ? [mark.Text] : []));
  if (texts.length === 0) return undefined;
  return { fontType: texts.find((t) => t.FontType !== undefined)?.FontType, texts: texts.map((t) => t.Text) };
}
