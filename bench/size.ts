// Bytes a page pays for the core: minified and gzip-compressed, with and without its dependencies bundled.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

async function bundled(entry: string, external: string[]): Promise<{ min: number; gzip: number }> {
  const result = await build({
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
  const rows: [string, string, string[]][] = [
    ['cos-transcoder/core, own code only', 'src/core/index.ts', ['zod', 'fast-xml-parser', 'lit']],
    ['cos-transcoder/core, with zod/mini + fast-xml-parser', 'src/core/index.ts', []],
  ];
  for (const [name, entry, external] of rows) {
    const size = await bundled(entry, external);
    console.log(`${name.padEnd(56)} ${kB(size.min).padStart(9)} min  ${kB(size.gzip).padStart(8)} gzip`);
  }
}
