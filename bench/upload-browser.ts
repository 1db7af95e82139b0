// The browser upload bench: `MultipartUpload` in headless Chromium, sending to the emulator (started from its
// command line) on other origins over HTTP, so CORS preflights, XHR and the CRC-64 worker all run for real. The page
// (bench/upload-page.ts) is served by a Vite dev server with the example host backend (STS credentials) at /api/.
// The bytes are a file on disk (one random MiB repeated) picked in the page's <input type=file>, as users pick them.
//
// MB/s (10^6 bytes/s) times `upload.start()` alone. "CPU ms/MB" is the CPU time of the browser and the emulator
// (every process this one started; Linux /proc) per MB: unlike wall time, it hardly moves when other programs load
// the machine. Memory is sampled every ~50 ms over CDP, the baseline after a forced GC: "heap" is the page's
// JSHeapUsedSize (what DevTools shows); "all" adds the page's ArrayBuffer backing stores (not in JSHeapUsedSize) and
// the CRC-64 worker's heap and buffers. BENCH_QUICK=1 shrinks every case for a smoke run; BENCH_DATA_DIR is where
// the temporary folder (the emulator's data, the files) goes, the OS temp folder by default.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer, { type CDPSession, type ElementHandle, type Page } from 'puppeteer-core';
import { createServer, type ViteDevServer } from 'vite';
import { spawnEmulator, type EmulatorProcess } from '../demo/host/emulator-process.js';
import { createHostMiddleware } from '../demo/host/host-middleware.js';
import type { RunOptions, RunResult } from './upload-page.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MiB = 1024 * 1024;
const BUCKET = 'examplebucket-1250000000';
/** The engine's defaults (upload-options.ts, part-plan.ts), restated for the memory bound and the labels. */
const DEFAULT_PART_SIZE = 8 * MiB;
const DEFAULT_CONCURRENCY = 4;
const SAMPLE_EVERY_MS = 50;
/** Linux's USER_HZ: the unit of the CPU times in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;
const CHROME_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];
CHROME_ARGS.push('--disable-sync', '--no-first-run');

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
type Pick = (size: number) => Promise<void>;

/** Memory of the page at one instant, in bytes: `js` its JSHeapUsedSize, `all` with ArrayBuffers and workers too. */
type HeapSample = { js: number; all: number };

/** One measured upload. */
interface Measured extends RunResult {
  baseline: HeapSample;
  peak: HeapSample;
  /** CPU seconds of the browser and the emulator during the upload; `undefined` without /proc. */
  cpu: number | undefined;
}

const label = (size: number) => (size >= 1024 * MiB ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`);
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timeout = new Promise<never>((_, reject) => {
    setTimeout(() => reject(new Error(`${what} took over ${Math.round(ms / 1000)} s`)), ms).unref();
  });
  return Promise.race([promise, timeout]);
}

async function heapUsage(session: CDPSession): Promise<{ used: number; buffers: number }> {
  const usage = await session.send('Runtime.getHeapUsage');
  return { used: usage.usedSize, buffers: usage.backingStorageSize ?? 0 };
}

async function sampleHeap(page: Page, session: CDPSession): Promise<HeapSample> {
  const main = await heapUsage(session);
  // A worker that ends between listing and asking simply counts for nothing in this sample.
  const workers = await Promise.all(page.workers().map((worker) => heapUsage(worker.client).catch(() => undefined)));
  const inWorkers = workers.reduce((sum, usage) => sum + (usage ? usage.used + usage.buffers : 0), 0);
  return { js: main.used, all: main.used + main.buffers + inWorkers };
}

/** CPU seconds (user + system, reaped children included) of every process descended from this one; Linux only. */
async function descendantsCpu(): Promise<number | undefined> {
  const names = await readdir('/proc').catch(() => undefined);
  if (!names) return undefined;
  const parents = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const name of names.filter((entry) => /^\d+$/.test(entry))) {
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command: state, ppid, ..., utime, stime, cutime, cstime at 11 to 14.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.length < 15) continue;
    const [pid, ppid] = [Number(name), Number(fields[1])];
    parents.set(ppid, [...(parents.get(ppid) ?? []), pid]);
    cpu.set(pid, [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / CLOCK_TICKS);
  }
  let total = 0;
  for (let queue = [...(parents.get(process.pid) ?? [])], pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
    total += cpu.get(pid) ?? 0;
    queue.push(...(parents.get(pid) ?? []));
  }
  return total;
}

/** Runs one upload in the page while sampling its memory; the baseline is taken after a forced GC. */
async function measure(page: Page, session: CDPSession, options: RunOptions): Promise<Measured> {
  await session.send('HeapProfiler.collectGarbage');
  const baseline = await sampleHeap(page, session);
  const peak = { ...baseline };
  let running = true;
  const sampler = (async () => {
    while (running) {
      const sample = await sampleHeap(page, session).catch(() => baseline);
      [peak.js, peak.all] = [Math.max(peak.js, sample.js), Math.max(peak.all, sample.all)];
      await sleep(SAMPLE_EVERY_MS);
    }
  })();
  const cpuBefore = await descendantsCpu();
  // At least 5 MB/s, plus time to start the worker.
  const budget = 30_000 + options.size / 5_000;
  try {
    const result = await within(page.evaluate((o) => window.runUpload(o), options), budget, `Uploading ${label(options.size)}`);
    const cpuAfter = await descendantsCpu();
    const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
    return { ...result, baseline, peak, cpu };
  } finally {
    running = false;
    await sampler;
  }
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

/** MB/s of the default CRC-64 hasher alone over `size` bytes in 8 MiB slices: what verifying costs at most. */
async function hashRate(page: Page, pick: Pick, size: number): Promise<number> {
  await pick(size);
  const options = { size, partSize: DEFAULT_PART_SIZE };
  const ms = await within(page.evaluate((o) => window.runHash(o), options), 60_000, 'Hashing');
  return size / 1e6 / (ms / 1000);
}

const mbps = (run: Measured) => run.bytes / 1e6 / (run.ms / 1000);
const cpuPerMb = (run: Measured) => (run.cpu === undefined ? undefined : (run.cpu * 1000) / (run.bytes / 1e6));
const mib = (bytes: number) => (bytes / MiB).toFixed(1);
const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Column titles and widths (negative: left-aligned). */
const COLUMNS = { case: -41, 'MB/s': 5, ms: 6, 'compl. ms': 9, 'CPU ms/MB': 9, 'heap MiB': 8, delta: 5, 'all MiB': 7, 'delta ': 6 };

function printLine(cells: string[]): void {
  const widths = Object.values(COLUMNS);
  console.log(cells.map((cell, i) => ((widths[i] ?? 0) < 0 ? cell.padEnd(-widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}

function printRow(name: string, run: Measured): void {
  const { ms, completeMs, peak, baseline } = run;
  const heap = [peak.js, peak.js - baseline.js, peak.all, peak.all - baseline.all].map(mib);
  const cpu = cpuPerMb(run)?.toFixed(1) ?? '-';
  printLine([name, mbps(run).toFixed(0), ms.toFixed(0), completeMs.toFixed(0), cpu, ...heap]);
}

/** The run of median throughput (or the fastest: others on the machine only ever slow a run down), worst memory. */
function summary(runs: readonly Measured[], pick: 'median' | 'fastest'): Measured {
  const sorted = [...runs].sort((a, b) => mbps(a) - mbps(b));
  const chosen = sorted[pick === 'median' ? Math.floor(sorted.length / 2) : sorted.length - 1]!;
  const worst = (of: (run: Measured) => number) => Math.max(...runs.map(of));
  const peak = { js: worst((run) => run.peak.js), all: worst((run) => run.peak.all) };
  const rise = { js: worst((run) => run.peak.js - run.baseline.js), all: worst((run) => run.peak.all - run.baseline.all) };
  return { ...chosen, peak, baseline: { js: peak.js - rise.js, all: peak.all - rise.all } };
}

/** The sizes of each case; BENCH_QUICK=1 shrinks them so that the whole bench takes seconds. */
function plan() {
  const quick = process.env['BENCH_QUICK'] === '1';
  return {
    quick,
    headline: (quick ? 64 : 256) * MiB,
    /** Pairs of runs, verify on and off back to back, so that a slow spell of the machine hits both alike. */
    headlinePairs: quick ? 1 : 3,
    sweepSize: (quick ? 32 : 128) * MiB,
    partSizes: quick ? [4, 8] : [4, 8, 16, 32],
    concurrencies: quick ? [2, 4] : [2, 4, 6],
    /** Passes over the sweep, forward then backward. */
    sweepPasses: quick ? 1 : 2,
    large: (quick ? 128 : 1024) * MiB,
    simple: 8 * MiB,
  };
}
type Plan = ReturnType<typeof plan>;
type Measure = (options: RunOptions) => Promise<Measured>;

function checkResult(run: Measured, options: RunOptions, expected: { multipart: boolean; parts?: number }): void {
  const etag = expected.parts === undefined ? /^"[0-9a-f]{32}"$/ : new RegExp(`^"[0-9a-f]{32}-${expected.parts}"$`);
  const problems = [
    run.bytes !== options.size && `size ${run.bytes}, expected ${options.size}`,
    run.multipart !== expected.multipart && `multipart ${String(run.multipart)}`,
    !etag.test(run.etag) && `ETag ${run.etag} does not match ${String(etag)}`,
    run.verified !== (options.verify !== false) && `verified ${String(run.verified)}`,
  ].filter((problem) => problem !== false);
  if (problems.length > 0) throw new Error(`Upload of ${run.key} is wrong: ${problems.join('; ')}`);
  console.log(`  correct: ETag ${run.etag}, ${run.bytes} bytes, multipart ${String(run.multipart)}, verified ${String(run.verified)}`);
}

/** The headline file with the defaults, verify on and off in alternating order; returns the runs of each. */
async function headlineRuns(run: Measure, sizes: Plan): Promise<{ on: Measured[]; off: Measured[] }> {
  const [on, off] = [[], []] as [Measured[], Measured[]];
  const name = `${label(sizes.headline)} defaults`;
  for (let i = 0; i < sizes.headlinePairs; i += 1) {
    for (const verify of i % 2 === 0 ? [true, false] : [false, true]) {
      const measured = await run({ size: sizes.headline, verify });
      (verify ? on : off).push(measured);
      printRow(`${name}${verify ? '' : ', verify off'}, run ${i + 1}`, measured);
      if (i === 0 && verify) checkResult(measured, { size: sizes.headline }, { multipart: true, parts: sizes.headline / DEFAULT_PART_SIZE });
    }
  }
  const many = sizes.headlinePairs > 1 ? ` (median of ${sizes.headlinePairs})` : '';
  printRow(`${name}${many}`, summary(on, 'median'));
  printRow(`${name}, verify off${many}`, summary(off, 'median'));
  return { on, off };
}

/** Part size x concurrency at one file size, each once per pass; prints the fastest run of each. */
async function sweep(run: Measure, sizes: Plan): Promise<void> {
  const combos = sizes.partSizes.flatMap((partSize) => sizes.concurrencies.map((concurrency) => ({ partSize, concurrency })));
  const runs = new Map<string, Measured[]>();
  for (let pass = 0; pass < sizes.sweepPasses; pass += 1) {
    for (const { partSize, concurrency } of pass % 2 === 0 ? combos : [...combos].reverse()) {
      const name = `${label(sizes.sweepSize)} part ${partSize} MiB x ${concurrency}`;
      const measured = await run({ size: sizes.sweepSize, partSize: partSize * MiB, concurrency });
      runs.set(name, [...(runs.get(name) ?? []), measured]);
    }
  }
  const rows = [...runs].map(([name, measured]) => ({ name, run: summary(measured, 'fastest') }));
  for (const { name, run: measured } of rows) printRow(name, measured);
  const fastest = rows.reduce((a, b) => (mbps(b.run) > mbps(a.run) ? b : a));
  const leanest = rows.reduce((a, b) => ((cpuPerMb(b.run) ?? 0) < (cpuPerMb(a.run) ?? 0) ? b : a));
  console.log(`  fastest: ${fastest.name}; least CPU per MB: ${leanest.name}`);
}

async function runCases(page: Page, session: CDPSession, pick: Pick): Promise<void> {
  const run: Measure = async (options) => {
    await pick(options.size);
    return measure(page, session, options);
  };
  const sizes = plan();
  printLine(Object.keys(COLUMNS).map((title) => title.trim()));
  // Warm-up: Vite's first transforms, the worker module, the credentials and the CORS preflight cache.
  await run({ size: 16 * MiB });
  const { on, off } = await headlineRuns(run, sizes);
  console.log(`sweep (verify on${sizes.sweepPasses > 1 ? `, fastest of ${sizes.sweepPasses} passes` : ''}):`);
  await sweep(run, sizes);
  const large = await run({ size: sizes.large });
  printRow(`${label(sizes.large)} defaults`, large);
  const simple = await run({ size: sizes.simple });
  printRow(`${label(sizes.simple)} simple PUT`, simple);
  checkResult(simple, { size: sizes.simple }, { multipart: false });

  // Each pair ran back to back, so its ratio is the least disturbed by the rest of the machine.
  const percent = (ratio: number) => `${((ratio - 1) * 100).toFixed(1)}%`;
  const wall = on.map((measured, i) => measured.ms / off[i]!.ms);
  const cpu = on.map((measured, i) => (measured.cpu ?? Number.NaN) / (off[i]!.cpu ?? Number.NaN));
  console.log(
    `CRC-64 verify overhead at ${label(sizes.headline)}: time ${percent(middle(wall))} (median of pairs ` +
      `${wall.map(percent).join(', ')}; target <= 5%: ${middle(wall) <= 1.05 ? 'PASS' : 'FAIL'}); ` +
      `CPU ${percent(middle(cpu))}; the hasher alone: ${(await hashRate(page, pick, sizes.headline)).toFixed(0)} MB/s`,
  );
  const bound = DEFAULT_CONCURRENCY * DEFAULT_PART_SIZE + 32 * MiB;
  const verdict = (bytes: number) => `${mib(bytes)} MiB ${bytes < bound ? 'PASS' : 'FAIL'}`;
  console.log(
    `peak at ${label(sizes.large)} vs concurrency x partSize + 32 MiB = ${mib(bound)} MiB: ` +
      `JS heap ${verdict(large.peak.js)}; all (page buffers + CRC worker) ${verdict(large.peak.all)}`,
  );
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

/** Resolves once nothing accepts connections on `port` of the loopback any more. */
async function portClosed(port: number): Promise<void> {
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('error', () => resolve(false)).once('connect', () => {
        socket.destroy();
        resolve(true);
      });
    });
    if (!open) return;
    await sleep(100);
  }
}

/**
 * Stops the emulator. `EmulatorProcess.stop()` sends SIGTERM at once, but its promise may never settle (the
 * process's exit listener is dropped once its endpoints are read), so its port closing counts as stopped too.
 */
async function stopEmulator(emulator: EmulatorProcess): Promise<void> {
  await Promise.race([emulator.stop(), portClosed(emulator.endpoints.port)]);
}

async function startVite(getHost: () => Middleware | undefined): Promise<{ server: ViteDevServer; origin: string }> {
  const hostBackend: Middleware = (req, res, next) => (getHost() ?? ((_req, _res, skip) => skip()))(req, res, next);
  const server = await createServer({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    clearScreen: false,
    cacheDir: 'node_modules/.vite-bench',
    optimizeDeps: { entries: ['bench/upload-page.html'] },
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
 * Runs the browser upload cases and prints a table. Prints a notice and returns when there is no Chromium
 * (`CHROME_PATH`, else /usr/bin/chromium).
 */
export async function benchBrowserUpload(): Promise<void> {
  console.log('\nbrowser upload (MultipartUpload in headless Chromium -> emulator over HTTP on another origin; MB = 10^6 bytes)');
  const executablePath = process.env['CHROME_PATH'] || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    console.log(`skipped: no Chromium at ${executablePath} (set CHROME_PATH to a Chrome or Chromium binary)`);
    return;
  }
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
    steps.push(() => stopEmulator(emulator));
    host = createHostMiddleware({ endpoints: emulator.endpoints });

    const launch = { executablePath, headless: true, args: CHROME_ARGS, timeout: 30_000, protocolTimeout: 300_000 };
    const browser = await puppeteer.launch(launch);
    steps.push(() => browser.close());
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error instanceof Error ? error.message : String(error)}`));
    await page.goto(`${origin}/bench/upload-page.html`, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForFunction(() => typeof window.runUpload === 'function', { timeout: 60_000 });
    const session = await page.createCDPSession();

    const cos = emulator.endpoints.buckets[0]?.cos ?? '';
    console.log(`${await browser.version()}, page ${origin}, emulator ${cos}${plan().quick ? ' (BENCH_QUICK)' : ''}`);
    await runCases(page, session, filePicker(page, filesDir));
  } finally {
    await cleanUp(steps);
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) await benchBrowserUpload();
