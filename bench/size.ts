// Bytes a page pays: minified and gzip-compressed (level 9), Lit and every dependency bundled unless named external.
// The element's first paint is its entry with the lazy pipeline chunk left out; "once loaded" bundles that chunk in.
// cos-js-sdk-v5 and @mux/mux-uploader (dev dependencies) are measured the same way from their package entries, as
// references without budgets.
import { build, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The repository's root: entries (files and package names) resolve from here whatever the working directory. */
const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Leaves the element's lazy `import('./pipeline.js')` out of the bundle, as the first paint loads it. */
const withoutPipeline: Plugin = {
  name: 'without-pipeline',
  setup(build) {
    build.onResolve({ filter: /\/pipeline\.js$/ }, ({ path }) => ({ path, external: true }));
  },
};

async function bundled(entry: string, external: string[], plugins: Plugin[] = []): Promise<{ min: number; gzip: number }> {
  const result = await build({
    plugins,
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    write: false,
    absWorkingDir: ROOT,
    external,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  return { min: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}

const kB = (bytes: number): string => `${(bytes / 1024).toFixed(1)} kB`;

/** A bundle measured, with the most it may weigh (min+gz bytes) and where that limit comes from. */
interface SizeRow {
  name: string;
  /** A file, or a package name (its browser ESM entry, as a bundler resolves it). */
  entry: string;
  external: string[];
  plugins: Plugin[];
  /** The most it may weigh, gzip bytes; `undefined` for a reference measured without a budget. */
  budget: number | undefined;
  /** Why this budget: the goal, or today's size held while it is cut towards the goal; or what it is. */
  why: string;
}

/** One bundle as measured. */
export interface MeasuredSize {
  name: string;
  /** Minified bytes. */
  min: number;
  /** Minified and gzip -9 bytes. */
  gzip: number;
  budget: number | undefined;
  why: string;
  /** Whether it is within its budget; `true` for a reference. */
  ok: boolean;
}

/** What {@link reportSizes} measured: every bundle, and the names of those over budget. */
export interface SizeReport {
  sizes: MeasuredSize[];
  over: string[];
}

const KIB = 1024;

const ROWS: SizeRow[] = [
  {
    name: '<cos-transcoder> first paint, with Lit',
    entry: 'src/index.ts',
    external: [],
    plugins: [withoutPipeline],
    budget: 12 * KIB,
    why: 'goal',
  },
  {
    name: '<cos-transcoder> once loaded (first paint + pipeline chunk)',
    entry: 'src/index.ts',
    external: [],
    plugins: [],
    budget: 88 * KIB,
    why: 'held; goal: under cos-js-sdk-v5, ~49 kB',
  },
  {
    name: 'cos-transcoder/core, own code only',
    entry: 'src/core/index.ts',
    external: ['zod', 'fast-xml-parser', 'lit'],
    plugins: [],
    budget: 40 * KIB,
    why: 'held',
  },
  {
    name: 'cos-transcoder/core, with zod/mini + fast-xml-parser',
    entry: 'src/core/index.ts',
    external: [],
    plugins: [],
    budget: 67.5 * KIB,
    why: 'held',
  },
  {
    name: 'cos-js-sdk-v5 (whole package entry)',
    entry: 'cos-js-sdk-v5',
    external: [],
    plugins: [],
    budget: undefined,
    why: 'reference',
  },
  {
    name: '@mux/mux-uploader (whole package entry)',
    entry: '@mux/mux-uploader',
    external: [],
    plugins: [],
    budget: undefined,
    why: 'reference',
  },
];

/**
 * Prints each bundle's size with its budget (references: without one); resolves with every size and the names of
 * the bundles over budget (none: `over` is `[]`). `npm run bench -- --quick` runs only this and fails on any, which
 * `.ci/run` does.
 */
export async function reportSizes(): Promise<SizeReport> {
  const report: SizeReport = { sizes: [], over: [] };
  for (const { name, entry, external, plugins, budget, why } of ROWS) {
    const size = await bundled(entry, external, plugins);
    const ok = budget === undefined || size.gzip <= budget;
    if (!ok) report.over.push(name);
    report.sizes.push({ name, ...size, budget, why, ok });
    const limit = budget === undefined ? why : `budget ${kB(budget)} (${why}) ${ok ? 'ok' : 'OVER'}`;
    console.log(`${name.padEnd(62)} ${kB(size.min).padStart(9)} min  ${kB(size.gzip).padStart(8)} gzip  ${limit}`);
  }
  return report;
}

/** The size goals, checked against what `report` measured. */
function goals(report: SizeReport): string[] {
  const find = (prefix: string) => report.sizes.find((size) => size.name.startsWith(prefix));
  const [firstPaint, whole, sdk] = [find('<cos-transcoder> first paint'), find('<cos-transcoder> once loaded'), find('cos-js-sdk-v5')];
  const lines: string[] = [];
  if (firstPaint) {
    const ok = firstPaint.gzip <= 12 * KIB;
    lines.push(`Goal: first paint at most 12.0 kB: ${kB(firstPaint.gzip)}, ${ok ? 'PASS' : 'FAIL'}.`);
  }
  if (whole && sdk) {
    const ok = whole.gzip < sdk.gzip;
    const what = `${kB(whole.gzip)} vs ${kB(sdk.gzip)}`;
    const goal = 'the whole element (UI and job tracking included) smaller than cos-js-sdk-v5 alone';
    lines.push(`Goal: ${goal}: ${what}, ${ok ? 'PASS' : 'FAIL'}.`);
  }
  return lines;
}

/** The sizes as a results table, with the goals and each budget (CI's `--quick` check) as notes. */
export function sizeTable(report: SizeReport): { title: string; head: string[]; rows: string[][]; notes: string[] } {
  return {
    title: 'Bundle size (esbuild, browser, ESM, minified, gzip -9)',
    head: ['bundle', 'min', 'min+gz', 'budget (CI)'],
    rows: report.sizes.map((size) => [
      size.name,
      kB(size.min),
      kB(size.gzip),
      size.budget === undefined ? size.why : `${kB(size.budget)} (${size.why}) ${size.ok ? 'ok' : 'OVER'}`,
    ]),
    notes: [
      ...goals(report),
      'Every dependency bundled unless the row says "own code only"; cos-js-sdk-v5 and @mux/mux-uploader from their package entries.',
    ],
  };
}
