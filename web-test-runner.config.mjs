import { existsSync } from 'node:fs';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { defaultReporter } from '@web/test-runner';
import { summaryReporter } from './scripts/wtr-summary-reporter.mjs';
import { tsImport } from 'tsx/esm/api';
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

/** The test page's origin; the emulator's CORS rule allows exactly this one, so preflights are really evaluated. */
const port = Number(process.env.WTR_PORT || 8765);
const origin = `http://localhost:${port}`;

// The browser tests under test/e2e/ talk to a real emulator on other origins (`*.localhost:<port>`), started from
// its command line as users start it, with the example host backend (STS credentials, CI callback relay) mounted
// under /api/. Jobs stay Submitted 400 ms (time to cancel one) and Running 1200 ms (time to see progress); the
// emulator delivers their callbacks to http://localhost:<port>/api/ci-callback, this server.
const { spawnEmulator } = await tsImport('./demo/host/emulator-process.ts', import.meta.url);
const { createHostMiddleware } = await tsImport('./demo/host/host-middleware.ts', import.meta.url);
const { createVerifyObjectMiddleware } = await tsImport('./test/helpers/verify-object-middleware.ts', import.meta.url);
const { createEmulatorAdminProxy } = await tsImport('./test/helpers/emulator-admin-proxy.ts', import.meta.url);
const emulator = await spawnEmulator([
  '--port', '0',
  '--bucket', 'examplebucket-1250000000',
  '--cors-origin', origin,
  '--job-queue-ms', '400',
  '--job-run-ms', '1200',
  '--job-workers', '4',
  // The browser tests check the protocol and rely on --job-run-ms timing: jobs copy their input, never encode.
  '--media', 'copy',
]);

/**
 * A connect-style middleware as Koa middleware (what @web/test-runner takes): it answers the request itself, or
 * calls `next()` and Koa carries on (down to its own 404).
 */
const fromConnect = (middleware) => (ctx, next) => {
  ctx.respond = false;
  return new Promise((resolve, reject) => {
    const answered = () => resolve();
    ctx.res.once('close', answered);
    middleware(ctx.req, ctx.res, (error) => {
      ctx.res.off('close', answered);
      ctx.respond = true;
      if (error) reject(error);
      else next().then(resolve, reject);
    });
  });
};

// The example host backend twice: /api/ with credentials for the whole bucket, and /api/narrow/ with credentials
// whose policy allows only keys under `narrow/` (tests of what a narrow policy refuses). Each has its own callback
// relay under its base path.
const hosts = [
  createHostMiddleware({ endpoints: emulator.endpoints }),
  createHostMiddleware({ endpoints: emulator.endpoints, basePath: '/api/narrow', prefix: 'narrow/' }),
];
const hostBackends = hosts.map(fromConnect);
// GET /__verify/object?key= -> { size, sha256 } of a stored object, read in Node (tests of byte-identical uploads).
const verifyObject = fromConnect(createVerifyObjectMiddleware(emulator.endpoints));
// /__emulator/<path> -> the emulator's admin endpoint with its admin token (pages cannot reach the admin themselves).
const emulatorAdmin = fromConnect(createEmulatorAdminProxy(emulator.endpoints));

export default {
  port,
  files: ['test/core/**/*.test.ts', 'test/browser/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/element/**/*.test.ts'],
  nodeResolve: { exportConditions: ['development'] },
  concurrency: 2,
  // Scripted HTTP replies under /__scripted/ for the browser transport tests (test/browser/).
  middleware: [scriptedReplies(), ...hostBackends, verifyObject, emulatorAdmin],
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022' }),
    {
      name: 'emulator',
      serverStop: () => {
        for (const host of hosts) host.close();
        return emulator.stop();
      },
    },
  ],
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
          // Two test files run at once, one page in the background: its timers must not slow to once a second.
          '--disable-background-timer-throttling',
          '--disable-renderer-backgrounding',
          '--disable-backgrounding-occluded-windows',
        ],
      },
    }),
  ],
};
