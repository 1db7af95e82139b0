import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { defineConfig, type UserConfig } from 'vite';
import { emulatorPlugin } from './demo/emulator-plugin.js';
import pkg from './package.json' with { type: 'json' };

const root = import.meta.dirname;
const dependencies = Object.keys(pkg.dependencies ?? {});
/** Every dependency stays external (no bundled Lit, zod or fast-xml-parser), as do Node built-ins for the emulator. */
const external = (id: string): boolean =>
  id.startsWith('node:') ||
  builtinModules.includes(id) ||
  dependencies.some((dep) => id === dep || id.startsWith(`${dep}/`));

/** The published library in `dist/`: one file per source module, so the element's lazy core stays its own chunk. */
const library: UserConfig['build'] = {
  outDir: 'dist',
  emptyOutDir: true,
  target: 'es2022',
  minify: false,
  sourcemap: true,
  lib: {
    entry: {
      index: resolve(root, 'src/index.ts'),
      'core/index': resolve(root, 'src/core/index.ts'),
      'emulator/index': resolve(root, 'src/emulator/index.ts'),
      'emulator/cli': resolve(root, 'src/emulator/cli.ts'),
      // JSX / template types for React 19 and Vue 3 (`cos-transcoder/react`, `cos-transcoder/vue`).
      'frameworks/react': resolve(root, 'src/frameworks/react.ts'),
      'frameworks/vue': resolve(root, 'src/frameworks/vue.ts'),
    },
    formats: ['es'],
  },
  rollupOptions: {
    external,
    output: {
      preserveModules: true,
      preserveModulesRoot: 'src',
      entryFileNames: '[name].js',
    },
  },
};

/**
 * The demo page as static files in `dist-demo/` (`vite build --mode demo`), everything bundled. The pages ask the
 * example host at `/api/` on their own origin (config, signing, callback relay): `npm run preview` serves the
 * build with the emulator and the host, as `npm start` does; a real deployment serves these files beside its own
 * host backend at `/api/` (demo/host/ is the one to copy).
 */
const demo: UserConfig['build'] = {
  outDir: 'dist-demo',
  emptyOutDir: true,
  target: 'es2022',
  sourcemap: true,
  rollupOptions: {
    input: { index: resolve(root, 'index.html'), debug: resolve(root, 'demo/debug.html') },
  },
};

export default defineConfig(({ mode }) => ({
  // `npm start` serves index.html (the demo page) from the project root.
  root: '.',
  // The library's asset URLs (the CRC-64 worker) are relative to the module that loads them; the demo lives at `/`.
  base: mode === 'demo' ? '/' : './',
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  // The dev and preview servers start the local emulator and the example host backend (/api/).
  plugins: [emulatorPlugin()],
  build: mode === 'demo' ? demo : library,
}));
