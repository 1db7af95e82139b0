// The browser upload bench: `MultipartUpload` in headless Chromium, sending to the emulator on other origins over
// HTTP, so CORS preflights, XHR and the CRC-64 worker all run for real (the harness: bench/browser-harness.ts; the
// page: bench/upload-page.ts). Its cases and its table are here.
//
// MB/s (10^6 bytes/s) times `upload.start()` alone. "CPU ms/MB" is the CPU time of the browser and the emulator per
// MB: unlike wall time, it hardly moves when other programs load the machine. "heap" and "all" are the page's peak
// memory and its rise over the baseline (see bench/browser-sampling.ts). On loopback the uploads are CPU-bound
// (Chromium, the emulator and the CRC worker share the machine's cores), so every cycle of the CRC-64 shows as time:
// the worst case. Real uploads are bound by the network, which the emulator's bandwidth fault stands in for.
// BENCH_QUICK=1 shrinks every case for a smoke run; BENCH_DATA_DIR is where the temporary folder goes.
import { pathToFileURL } from 'node:url';
import { findChromium, withBrowserBench, type BrowserBench } from './browser-harness.js';
import type { Measured } from './browser-sampling.js';
import type { RunOptions } from './upload-page.js';

const MiB = 1024 * 1024;
/** The engine's defaults (upload-options.ts, part-plan.ts), restated for the memory bound and the labels. */
const DEFAULT_PART_SIZE = 8 * MiB;
const DEFAULT_CONCURRENCY = 4;
/** The network-bound case's link: 25 MB/s, a fast broadband or office line (~200 Mbit/s). */
const NETWORK_CAP = 25_000_000;
/** Keys of the network-bound case's uploads, the only ones the bandwidth fault names. */
const CAPPED_PREFIX = 'bench-capped/';
/** The most the CRC-64 checks may add to an upload's time where it counts: on a network-bound link. */
const OVERHEAD_TARGET = 1.05;

const label = (size: number) => (size >= 1024 * MiB ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`);
const mbps = (run: Measured) => run.bytes / 1e6 / (run.ms / 1000);
const cpuPerMb = (run: Measured) => (run.cpu === undefined ? undefined : (run.cpu * 1000) / (run.bytes / 1e6));
const mib = (bytes: number) => (bytes / MiB).toFixed(1);
/** The median; of an even count, the mean of the two middle values. */
function middle(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}
const percent = (ratio: number) => `${((ratio - 1) * 100).toFixed(1)}%`;

/** Column titles and widths (negative: left-aligned). */
const COLUMNS = { case: -42, 'MB/s': 5, ms: 6, 'compl. ms': 9, 'CPU ms/MB': 9, 'heap MiB': 8, delta: 5, 'all MiB': 7, 'delta ': 6 };

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
    /** The network-bound case: ~5 s a run at the cap in full, ~1.3 s quick. */
    network: (quick ? 32 : 128) * MiB,
    networkPairs: 2,
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

/**
 * `pairs` pairs of uploads with `options`, verify on and off back to back in alternating order (so that a slow spell
 * of the machine hits both alike), each printed as `name`; the first is checked. Returns the runs of each.
 */
async function verifyPairs(run: Measure, options: RunOptions, pairs: number, name: string) {
  const [on, off] = [[], []] as [Measured[], Measured[]];
  for (let i = 0; i < pairs; i += 1) {
    for (const verify of i % 2 === 0 ? [true, false] : [false, true]) {
      const measured = await run({ ...options, verify });
      (verify ? on : off).push(measured);
      printRow(`${name}${verify ? '' : ', verify off'}, run ${i + 1}`, measured);
      if (i === 0 && verify) checkResult(measured, options, { multipart: true, parts: options.size / DEFAULT_PART_SIZE });
    }
  }
  const many = pairs > 1 ? ` (median of ${pairs})` : '';
  printRow(`${name}${many}`, summary(on, 'median'));
  printRow(`${name}, verify off${many}`, summary(off, 'median'));
  return { on, off };
}

/** The time and CPU the CRC-64 checks add: medians of the ratios of the pairs, each the least disturbed by others. */
function overhead({ on, off }: { on: Measured[]; off: Measured[] }) {
  const wall = on.map((measured, i) => measured.ms / off[i]!.ms);
  const cpu = on.map((measured, i) => (measured.cpu ?? Number.NaN) / (off[i]!.cpu ?? Number.NaN));
  const [wallMedian, cpuMedian] = [middle(wall), middle(cpu)];
  const time = `time ${percent(wallMedian)} (median of pairs ${wall.map(percent).join(', ')})`;
  return { wallMedian, text: `${time}; CPU ${percent(cpuMedian)}` };
}

/** The defaults with the emulator's bandwidth capped at {@link NETWORK_CAP} for these uploads alone, then uncapped. */
async function networkBound(bench: BrowserBench, run: Measure, sizes: Plan) {
  await bench.setFaults({ rules: [{ keyPrefix: CAPPED_PREFIX, bandwidth: NETWORK_CAP }] });
  try {
    const name = `${label(sizes.network)} capped`;
    return await verifyPairs(run, { size: sizes.network, keyPrefix: CAPPED_PREFIX }, sizes.networkPairs, name);
  } finally {
    await bench.setFaults({});
  }
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

async function runCases(bench: BrowserBench): Promise<void> {
  const run: Measure = (options) => bench.upload(options);
  const sizes = plan();
  printLine(Object.keys(COLUMNS).map((title) => title.trim()));
  // Warm-up: Vite's first transforms, the worker module, the credentials and the CORS preflight cache.
  await run({ size: 16 * MiB });
  const headline = await verifyPairs(run, { size: sizes.headline }, sizes.headlinePairs, `${label(sizes.headline)} defaults`);
  console.log(`network-bound (the emulator's bandwidth capped at ${NETWORK_CAP / 1e6} MB/s for these uploads):`);
  const network = await networkBound(bench, run, sizes);
  console.log(`sweep (verify on${sizes.sweepPasses > 1 ? `, fastest of ${sizes.sweepPasses} passes` : ''}):`);
  await sweep(run, sizes);
  const large = await run({ size: sizes.large });
  printRow(`${label(sizes.large)} defaults`, large);
  const simple = await run({ size: sizes.simple });
  printRow(`${label(sizes.simple)} simple PUT`, simple);
  checkResult(simple, { size: sizes.simple }, { multipart: false });

  const hashMs = await bench.hash(sizes.headline, DEFAULT_PART_SIZE);
  const hashRate = sizes.headline / 1e6 / (hashMs / 1000);
  console.log(
    `CRC-64 verify overhead, CPU-bound worst case (loopback, no cap) at ${label(sizes.headline)}: ` +
      `${overhead(headline).text}; the hasher alone: ${hashRate.toFixed(0)} MB/s`,
  );
  const capped = overhead(network);
  const rate = (runs: Measured[]) => mbps(summary(runs, 'median')).toFixed(1);
  console.log(
    `CRC-64 verify overhead, network-bound (${NETWORK_CAP / 1e6} MB/s cap) at ${label(sizes.network)}: ${capped.text}; ` +
      `throughput ${rate(network.on)} MB/s verify on, ${rate(network.off)} MB/s off; ` +
      `target <= ${percent(OVERHEAD_TARGET)}: ${capped.wallMedian <= OVERHEAD_TARGET ? 'PASS' : 'FAIL'}`,
  );
  const bound = DEFAULT_CONCURRENCY * DEFAULT_PART_SIZE + 32 * MiB;
  const verdict = (bytes: number) => `${mib(bytes)} MiB ${bytes < bound ? 'PASS' : 'FAIL'}`;
  console.log(
    `peak at ${label(sizes.large)} vs concurrency x partSize + 32 MiB = ${mib(bound)} MiB: ` +
      `JS heap ${verdict(large.peak.js)}; all (page buffers + CRC worker) ${verdict(large.peak.all)}`,
  );
}

/**
 * Runs the browser upload cases and prints a table. Prints a notice and returns when there is no Chromium
 * (`CHROME_PATH`, else /usr/bin/chromium).
 */
export async function benchBrowserUpload(): Promise<void> {
  console.log('\nbrowser upload (MultipartUpload in headless Chromium -> emulator over HTTP on another origin; MB = 10^6 bytes)');
  const chromium = findChromium();
  if (chromium === undefined) {
    console.log('skipped: no Chromium (set CHROME_PATH to a Chrome or Chromium binary; default /usr/bin/chromium)');
    return;
  }
  await withBrowserBench(chromium, async (bench) => {
    console.log(`${bench.description}${plan().quick ? ' (BENCH_QUICK)' : ''}`);
    await runCases(bench);
  });
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) await benchBrowserUpload();
