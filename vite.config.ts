import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { emulatorPlugin } from './demo/emulator-plugin.js';
import pkg from './package.json' with { type: 'json' };

const dependencies = Object.keys(pkg.dependencies ?? {});
/** Every dependency stays external (no bundled Lit, zod or fast-xml-parser), as do Node built-ins for the emulator. */
const external = (id: string): boolean =>
  id.startsWith('node:') ||
  builtinModules.includes(id) ||
  dependencies.some((dep) => id === dep || id.startsWith(`${dep}/`));

export default defineConfig({
  // `npm start` serves index.html (the demo page) from the project root.
  root: '.',
  // Asset URLs in the library (the CRC-64 worker) relative to the module that loads them, not to a site root.
  base: './',
  server: { host: '127.0.0.1', port: 5173 },
  // The dev server starts the local emulator and the example host backend (/api/credentials).
  plugins: [emulatorPlugin()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    lib: {
      entry: {
        index: resolve(import.meta.dirname, 'src/index.ts'),
        'core/index': resolve(import.meta.dirname, 'src/core/index.ts'),
        'emulator/index': resolve(import.meta.dirname, 'src/emulator/index.ts'),
        'emulator/cli': resolve(import.meta.dirname, 'src/emulator/cli.ts'),
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
  },
});
