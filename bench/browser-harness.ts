// The harness of the browser upload bench: the emulator (started from its command line), a Vite dev server for the
// page (bench/upload-page.html) with the example host backend (STS credentials) at /api/, headless Chromium driven by
// puppeteer, and the files the page uploads (one random MiB repeated, picked in its <input type=file> as users pick
// them) in a temporary folder under BENCH_DATA_DIR or the OS temp folder. Everything it starts it stops, each step
// bounded, whether the bench succeeds or not.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type ElementHandle, type Page } from 'puppeteer-core';
import { createServer, type ViteDevServer } from 'vite';
import { spawnEmulator } from '../demo/host/emulator-process.js';
import { createHostMiddleware } from '../demo/host/host-middleware.js';
import type { FaultConfig } from '../src/emulator/faults/fault-config.js';
import type { EmulatorEndpoints } from '../src/emulator/index.js';
import { measureUpload, within, type Measured } from './browser-sampling.js';
import { countRequests, type RequestCounts } from './request-log.js';
import type { RunOptions } from './upload-page.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MiB = 1024 * 1024;
const BUCKET = 'examplebucket-1250000000';
const CHROME_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];
CHROME_ARGS.push('--disable-sync', '--no-first-run');

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
type Pick = (size: number) => Promise<void>;

/** What a bench body drives: the page in Chromium, the emulator behind it. */
export interface BrowserBench {
  /** The browser's version and where the page and the emulator are, for the heading. */
  readonly description: string;
  /** The browser's product and version (`Chrome/...`). */
  readonly browserVersion: string;
  /** The emulator's endpoints (its permanent key, to check what it stored). */
  readonly endpoints: EmulatorEndpoints;
  /** Picks a file of `options.size` bytes in the page and uploads it with `options.contender`, measured. */
  upload(options: RunOptions): Promise<Measured>;
  /** {@link BrowserBench.upload}, counting the requests the browser sent meanwhile (CDP Network events). */
  uploadCounted(options: RunOptions): Promise<{ run: Measured; counts: RequestCounts }>;
  /** Milliseconds the default CRC-64 hasher takes over a picked file of `size` bytes in `partSize` slices. */
  hash(size: number, partSize: number): Promise<number>;
  /** Replaces the emulator's faults (`PUT /_emulator/faults`); `{}` clears them. */
  setFaults(config: FaultConfig): Promise<void>;
}

/** The Chromium the bench runs: `CHROME_PATH`, else /usr/bin/chromium; `undefined` when it is not there. */
export function findChromium(): string | undefined {
  const path = process.env['CHROME_PATH'] || '/usr/bin/chromium';
  return existsSync(path) ? path : undefined;
}

/** Writes `size` bytes (one random MiB repeated) to `path`. */
async function writeFile(path: string, size: number): Promise<void> {
  const chunk = randomBytes(MiB);
  const handle = await open(path, 'w');
  try {
    for (let at = 0; at < size; at += MiB) await handle.write(chunk, 0, Math.min(MiB, size - at));
  } finally {
    await handle.close();
  }
}

/** Picks a file of `size` bytes in the page's input; one file per size is written under `filesDir`, then reused. */
function filePicker(page: Page, filesDir: string): Pick {
  const written = new Map<number, Promise<string>>();
  return async (size) => {
    let path = written.get(size);
    if (!path) {
      const name = join(filesDir, `upload-${size}.bin`);
      path = writeFile(name, size).then(() => name);
      written.set(size, path);
    }
    const input = (await page.$('input[type="file"]')) as ElementHandle<HTMLInputElement> | null;
    if (!input) throw new Error('The bench page has no file input');
    await input.uploadFile(await path);
    await input.dispose();
  };
}

/**
 * Replaces the faults of the emulator whose admin endpoint is `admin` (`http://localhost:<port>/_emulator/`), with
 * the admin token it printed at start.
 */
async function putFaults(admin: string, adminToken: string, config: FaultConfig): Promise<void> {
  const response = await fetch(new URL('faults', admin), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-emulator-admin-token': adminToken },
    body: JSON.stringify(config),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`PUT /_emulator/faults answered ${response.status}: ${text}`);
}

/** Stops everything it was given, last started first, each bounded; the first failure is rethrown at the end. */
async function cleanUp(steps: (() => Promise<unknown>)[]): Promise<void> {
  let failure: unknown;
  for (const step of steps.reverse()) {
    try {
      await within(step(), 15_000, 'Cleaning up');
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure !== undefined) throw failure;
}

async function startVite(getHost: () => Middleware | undefined): Promise<{ server: ViteDevServer; origin: string }> {
  const hostBackend: Middleware = (req, res, next) => (getHost() ?? ((_req, _res, skip) => skip()))(req, res, next);
  const server = await createServer({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    clearScreen: false,
    cacheDir: 'node_modules/.vite-bench',
    // cos-js-sdk-v5 is CommonJS: pre-bundled at start, so that a cold cache never reloads the page mid-run.
    optimizeDeps: { entries: ['bench/upload-page.html'], include: ['cos-js-sdk-v5'] },
    server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false, watch: null },
    plugins: [{ name: 'bench-host-backend', configureServer: (vite) => void vite.middlewares.use(hostBackend) }],
  });
  try {
    await within(server.listen(), 20_000, 'Starting Vite');
    const { port } = server.httpServer!.address() as AddressInfo;
    return { server, origin: `http://localhost:${port}` };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/**
 * Starts the emulator, the page's server and headless Chromium at `executablePath`, runs `body` against them, then
 * stops them all and removes the temporary folder, even when `body` throws.
 *
 * @example
 * const chromium = findChromium();
 * if (chromium) await withBrowserBench(chromium, async (bench) => console.log((await bench.upload({ size: 8 << 20 })).ms));
 */
export async function withBrowserBench(executablePath: string, body: (bench: BrowserBench) => Promise<void>): Promise<void> {
  const steps: (() => Promise<unknown>)[] = [];
  try {
    const tempDir = await mkdtemp(join(process.env['BENCH_DATA_DIR'] || tmpdir(), 'cos-upload-bench-'));
    steps.push(() => rm(tempDir, { recursive: true, force: true }));
    const [dataDir, filesDir] = [join(tempDir, 'data'), join(tempDir, 'files')];
    await Promise.all([mkdir(dataDir), mkdir(filesDir)]);

    let host: Middleware | undefined;
    const { server, origin } = await startVite(() => host);
    steps.push(() => server.close());
    const emulator = await spawnEmulator(['--port', '0', '--bucket', BUCKET, '--cors-origin', origin, '--data-dir', dataDir]);
    steps.push(() => emulator.stop());
    host = createHostMiddleware({ endpoints: emulator.endpoints });

    const launch = { executablePath, headless: true, args: CHROME_ARGS, timeout: 30_000, protocolTimeout: 300_000 };
    const browser = await puppeteer.launch(launch);
    steps.push(() => browser.close());
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error instanceof Error ? error.message : String(error)}`));
    await page.goto(`${origin}/bench/upload-page.html`, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForFunction(() => typeof window.runUpload === 'function', { timeout: 60_000 });
    const session = await page.createCDPSession();

    const pick = filePicker(page, filesDir);
    const cos = emulator.endpoints.buckets[0]?.cos ?? '';
    const browserVersion = await browser.version();
    const upload = async (options: RunOptions) => {
      await pick(options.size);
      return measureUpload(page, session, options);
    };
    const port = `:${emulator.endpoints.port}`;
    const isService = (host: string) => host.endsWith(`.localhost${port}`);
    await body({
      description: `${browserVersion}, page ${origin}, emulator ${cos}`,
      browserVersion,
      endpoints: emulator.endpoints,
      upload,
      uploadCounted: async (options) => {
        await pick(options.size);
        const { result, counts } = await countRequests(session, isService, () => measureUpload(page, session, options));
        return { run: result, counts };
      },
      hash: async (size, partSize) => {
        await pick(size);
        return within(page.evaluate((o) => window.runHash(o), { size, partSize }), 60_000, 'Hashing');
      },
      setFaults: (config) => putFaults(emulator.endpoints.admin, emulator.endpoints.adminToken, config),
    });
  } finally {
    await cleanUp(steps);
  }
}
