// `npm run build`'s library and manifest steps, into a temporary folder: the package's exports exist, importing the
// entry defines the tag (the module that does it survives tree-shaking, as `sideEffects` promises), the element's
// first-paint module leaves the core to one dynamic import, and custom-elements.json describes the tag.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'vite';
import pkg from '../../package.json' with { type: 'json' };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the package build (npm run build)', function () {
  this.timeout(60_000);
  let out: string;
  const read = (path: string) => readFile(join(out, 'dist', path), 'utf8');

  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'cos-transcoder-build-'));
    await build({
      root: ROOT,
      configFile: join(ROOT, 'vite.config.ts'),
      logLevel: 'silent',
      build: { outDir: join(out, 'dist'), sourcemap: false },
    });
    await promisify(execFile)(join(ROOT, 'node_modules/.bin/cem'), [
      'analyze',
      '--config',
      'custom-elements-manifest.config.mjs',
      '--outdir',
      relative(ROOT, out), // the analyzer joins it to its working directory
    ], { cwd: ROOT });
  });
  after(() => rm(out, { recursive: true, force: true }));

  it('should build every JavaScript file package.json exports', () => {
    const targets = Object.values(pkg.exports).flatMap((target) =>
      typeof target === 'string' ? [] : [target.default.replace(/^\.\//, '')],
    );
    expect(targets.filter((path) => !existsSync(join(out, path)))).to.deep.equal([]);
  });

  it('should keep the module that defines the tag, imported by the entry and named in sideEffects', async () => {
    expect(await read('index.js')).to.match(/^import "\.\/element\/define\.js";/m);
    expect(await read('element/define.js')).to.include('customElements.define("cos-transcoder"');
    expect(pkg.sideEffects).to.include.members(['./dist/index.js', './dist/element/define.js']);
  });

  it('should leave the core out of the element first paint: one dynamic import of the pipeline', async () => {
    const element = await read('element/cos-transcoder.js');
    const controller = await read('element/session-controller.js');
    expect(`${element}\n${controller}`).not.to.match(/^import .*\.\.\/core\//m);
    expect(controller).to.include('import("./pipeline.js")');
  });

  it('should describe the tag in custom-elements.json, with published paths', async () => {
    const manifest = JSON.parse(await readFile(join(out, 'custom-elements.json'), 'utf8')) as {
      modules: { path: string; declarations?: { tagName?: string; attributes?: { name: string }[]; events?: { name: string }[] }[] }[];
    };
    const module = manifest.modules.find((entry) => entry.declarations?.some((d) => d.tagName === 'cos-transcoder'));
    const element = module?.declarations?.find((d) => d.tagName === 'cos-transcoder');
    expect(module?.path).to.equal('dist/element/cos-transcoder.js');
    expect(element?.attributes?.map((a) => a.name)).to.include.members(['bucket', 'region', 'file-key', 'auth-url']);
    expect(element?.events?.map((e) => e.name)).to.include.members(['cos-job-complete', 'cos-upload-progress']);
  });
});
