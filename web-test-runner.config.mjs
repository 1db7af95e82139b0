import { existsSync } from 'node:fs';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { defaultReporter } from '@web/test-runner';
import { summaryReporter } from './scripts/wtr-summary-reporter.mjs';
import { scriptedReplies } from './test/helpers/scripted-replies.mjs';

/** Debian's Chromium unless CHROME_PATH names another build; we never download a browser. */
const executablePath = process.env.CHROME_PATH || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(
    `No Chromium at ${executablePath}. Install it with "apt-get update && apt-get install -y chromium", ` +
      'or set CHROME_PATH to a Chrome or Chromium binary.',
  );
  process.exit(2);
}

export default {
  files: ['test/core/**/*.test.ts', 'test/browser/**/*.test.ts'],
  nodeResolve: { exportConditions: ['development'] },
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' })],
  concurrency: 2,
  // Scripted HTTP replies under /__scripted/ for the browser transport tests (test/browser/).
  middleware: [scriptedReplies()],
  reporters: [defaultReporter(), summaryReporter()],
  testFramework: { config: { timeout: 10000 } },
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      },
    }),
  ],
};
