// Bytes a page pays: minified and gzip-compressed (level 9), Lit and every dependency bundled unless named external.
// The element's first paint is its entry with the lazy pipeline chunk left out; "once loaded" bundles that chunk in.
import { build, type Plugin } from 'esbuild';
import { gzipSync } from 'node:zlib';

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
  entry: string;
  external: string[];
  plugins: Plugin[];
  /** The most it may weigh, gzip bytes. */
  budget: number;
  /** Why this budget: the goal, or today's size held while it is cut towards the goal. */
  why: string;
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
    budget: 93 * KIB,
    why: 'held; goal: under cos-js-sdk-v5, ~49 kB',
  },
  {
    name: 'cos-transcoder/core, own code only',
    entry: 'src/core/index.ts',
    external: ['zod', 'fast-xml-parser', 'lit'],
    plugins: [],
    budget: 39.5 * KIB,
    why: 'held',
  },
  {
    name: 'cos-transcoder/core, with zod/mini + fast-xml-parser',
    entry: 'src/core/index.ts',
    external: [],
    plugins: [],
    budget: 72.5 * KIB,
    why: 'held',
  },
];

/**
 * Prints each bundle's size with its budget; resolves with the names of the bundles over budget (none: `[]`).
 * `npm run bench -- --quick` runs only this and fails on any, which `.ci/run` does.
 */
export async function reportSizes(): Promise<string[]> {
  const over: string[] = [];
  for (const { name, entry, external, plugins, budget, why } of ROWS) {
    const size = await bundled(entry, external, plugins);
    const verdict = size.gzip <= budget ? 'ok' : 'OVER';
    if (size.gzip > budget) over.push(name);
    console.log(
      `${name.padEnd(62)} ${kB(size.min).padStart(9)} min  ${kB(size.gzip).padStart(8)} gzip` +
        `  budget ${kB(budget)} (${why}) ${verdict}`,
    );
  }
  return over;
}
