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

export async function reportSizes(): Promise<void> {
  const rows: [string, string, string[], Plugin[]][] = [
    ['<cos-transcoder> first paint, with Lit (target <= 12 kB)', 'src/index.ts', [], [withoutPipeline]],
    ['<cos-transcoder> once loaded (first paint + pipeline chunk)', 'src/index.ts', [], []],
    ['cos-transcoder/core, own code only', 'src/core/index.ts', ['zod', 'fast-xml-parser', 'lit'], []],
    ['cos-transcoder/core, with zod/mini + fast-xml-parser', 'src/core/index.ts', [], []],
  ];
  for (const [name, entry, external, plugins] of rows) {
    const size = await bundled(entry, external, plugins);
    console.log(`${name.padEnd(62)} ${kB(size.min).padStart(9)} min  ${kB(size.gzip).padStart(8)} gzip`);
  }
}
