// The browser upload bench: one headless Chromium, one emulator on other origins over HTTP (CORS preflights, XHR and
// the CRC-64 worker all run for real; the harness: bench/browser-harness.ts; the page: bench/upload-page.ts). It runs
// the side-by-side comparison (bench/side-by-side.ts), then what only concerns our engine: what verification costs
// (verify on and off back to back, on loopback where it is CPU-bound and with the emulator's bandwidth capped where a
// real upload is network-bound), the hasher alone, and one short pass over part size x concurrency.
//
// MB/s (10^6 bytes/s) times the whole upload in the page. "CPU ms/MB" is the CPU time of the browser and the emulator
// per MB. BENCH_QUICK=1 shrinks every case for a smoke run; BENCH_DATA_DIR is where the temporary folder goes.
import { pathToFileURL } from 'node:url';
import { DEFAULT_PART_SIZE } from '../src/core/upload/part-plan.js';
import { findChromium, withBrowserBench, type BrowserBench } from './browser-harness.js';
import type { Measured } from './browser-sampling.js';
import { median, printTable, verdict, type Table } from './report.js';
import { benchSideBySide } from './side-by-side.js';
import type { RunOptions } from './upload-page.js';

const MiB = 1024 * 1024;
/** The network-bound case's link: 25 MB/s, a fast broadband or office line (~200 Mbit/s). */
const NETWORK_CAP = 25_000_000;
/** Keys of the network-bound case's uploads, the only ones the bandwidth fault names. */
const CAPPED_PREFIX = 'bench-capped/';
/** The most the CRC-64 checks may add to an upload's time where it counts: on a network-bound link. */
const OVERHEAD_TARGET = 1.05;

const label = (size: number) => `${size / MiB} MiB`;
const mbps = (run: Measured) => run.bytes / 1e6 / (run.ms / 1000);
const cpuPerMb = (run: Measured) => (run.cpu === undefined ? Number.NaN : (run.cpu * 1000) / (run.bytes / 1e6));
const percent = (ratio: number) => `${((ratio - 1) * 100).toFixed(1)}%`;

/** The sizes of each case; BENCH_QUICK=1 shrinks them so that the whole bench takes seconds. */
function plan() {
  const quick = process.env['BENCH_QUICK'] === '1';
  return {
    /** Loopback, CPU-bound: pairs of runs, verify on and off back to back. */
    loopback: (quick ? 64 : 256) * MiB,
    loopbackPairs: quick ? 1 : 3,
    /** The network-bound case: ~5 s a run at the cap in full, ~1.3 s quick. */
    network: (quick ? 32 : 128) * MiB,
    networkPairs: 2,
    sweepSize: (quick ? 32 : 128) * MiB,
    partSizes: quick ? [8] : [4, 8, 16],
    concurrencies: quick ? [2, 4] : [2, 4, 6],
  };
}
type Plan = ReturnType<typeof plan>;

/** Checks one of our runs: every byte sent, verified when asked. */
function check(run: Measured, options: RunOptions): void {
  const problems = [
    run.bytes !== options.size && `size ${run.bytes}, expected ${options.size}`,
    run.verified !== (options.verify !== false) && `verified ${String(run.verified)}`,
  ].filter((problem) => problem !== false);
  if (problems.length > 0) throw new Error(`Upload of ${run.key} is wrong: ${problems.join('; ')}`);
}

/** `pairs` pairs of our uploads, verify on and off back to back in alternating order; the ratios of each pair. */
async function verifyPairs(bench: BrowserBench, options: RunOptions, pairs: number) {
  const [on, off] = [[], []] as [Measured[], Measured[]];
  for (let i = 0; i < pairs; i += 1) {
    for (const verify of i % 2 === 0 ? [true, false] : [false, true]) {
      const run = await bench.upload({ ...options, verify });
      check(run, { ...options, verify });
      (verify ? on : off).push(run);
      console.log(`  ${label(options.size)} verify ${verify ? 'on ' : 'off'}: ${mbps(run).toFixed(1)} MB/s`);
    }
  }
  const wall = on.map((run, i) => run.ms / off[i]!.ms);
  const cpu = on.map((run, i) => (run.cpu ?? Number.NaN) / (off[i]!.cpu ?? Number.NaN));
  return { on, off, wall: median(wall), cpu: median(cpu), pairs: wall.map(percent).join(', ') };
}

/** Verification's cost on loopback and on a capped link, and the hasher alone. */
async function verifyCost(bench: BrowserBench, sizes: Plan): Promise<Table> {
  const cap = `${label(sizes.network)} capped at ${NETWORK_CAP / 1e6} MB/s`;
  console.log(`\nverification cost: ${label(sizes.loopback)} on loopback, ${cap}`);
  const loopback = await verifyPairs(bench, { size: sizes.loopback }, sizes.loopbackPairs);
  await bench.setFaults({ rules: [{ keyPrefix: CAPPED_PREFIX, bandwidth: NETWORK_CAP }] });
  let capped: Awaited<ReturnType<typeof verifyPairs>>;
  try {
    capped = await verifyPairs(bench, { size: sizes.network, keyPrefix: CAPPED_PREFIX }, sizes.networkPairs);
  } finally {
    await bench.setFaults({});
  }
  const hashMs = await bench.hash(sizes.loopback, DEFAULT_PART_SIZE);
  const row = (name: string, result: typeof loopback, goal: string) => [
    name,
    median(result.on.map(mbps)).toFixed(1),
    median(result.off.map(mbps)).toFixed(1),
    `${percent(result.wall)} (${result.pairs})`,
    percent(result.cpu),
    goal,
  ];
  return {
    title: 'What CRC-64 verification costs our uploads (verify on vs off, back to back)',
    head: ['case', 'MB/s on', 'MB/s off', 'time added (pairs)', 'CPU added', 'goal'],
    rows: [
      row(`${label(sizes.loopback)}, loopback (CPU-bound, worst case)`, loopback, 'none'),
      row(
        `${label(sizes.network)}, capped at ${NETWORK_CAP / 1e6} MB/s (network-bound)`,
        capped,
        `<= ${percent(OVERHEAD_TARGET)}: ${verdict(capped.wall <= OVERHEAD_TARGET)}`,
      ),
    ],
    notes: [
      `The hasher alone (createCrc64Hasher over the picked file in ${DEFAULT_PART_SIZE / MiB} MiB slices): ${(sizes.loopback / 1e6 / (hashMs / 1000)).toFixed(0)} MB/s.`,
      'Medians over the pairs; the capped case uses the emulator\'s bandwidth fault on its keys alone.',
    ],
  };
}

/** One pass over part size x concurrency at one file size (ours, verify on). */
async function sweep(bench: BrowserBench, sizes: Plan): Promise<Table> {
  console.log(`\npart size x concurrency, ${label(sizes.sweepSize)}, one pass`);
  const rows: string[][] = [];
  for (const partSize of sizes.partSizes) {
    for (const concurrency of sizes.concurrencies) {
      const options = { size: sizes.sweepSize, partSize: partSize * MiB, concurrency };
      const run = await bench.upload(options);
      check(run, options);
      rows.push([`${partSize} MiB x ${concurrency}`, mbps(run).toFixed(0), cpuPerMb(run).toFixed(1)]);
    }
  }
  return {
    title: `Our part size x parts in flight, ${label(sizes.sweepSize)} on loopback (one pass, verify on)`,
    head: ['part size x concurrency', 'MB/s', 'CPU ms/MB'],
    rows,
    notes: ['One run each on a shared machine: differences under ~15% are noise. CPU ms/MB moves less with load than MB/s.'],
  };
}

/** What the browser section measured: its tables, and the browser's version (absent without Chromium). */
export interface BrowserReport {
  tables: Table[];
  browser?: string;
}

/**
 * Runs the browser upload cases (side by side, then ours alone) and prints their tables. Prints a notice and
 * returns no tables when there is no Chromium (`CHROME_PATH`, else /usr/bin/chromium).
 */
export async function benchBrowserUpload(): Promise<BrowserReport> {
  console.log('\nbrowser uploads (headless Chromium -> emulator over HTTP on another origin; MB = 10^6 bytes)');
  const chromium = findChromium();
  if (chromium === undefined) {
    console.log('skipped: no Chromium (set CHROME_PATH to a Chrome or Chromium binary; default /usr/bin/chromium)');
    return { tables: [] };
  }
  const report: BrowserReport = { tables: [] };
  await withBrowserBench(chromium, async (bench) => {
    console.log(bench.description);
    report.browser = bench.browserVersion;
    report.tables.push(...(await benchSideBySide(bench)));
    const sizes = plan();
    const own = [await verifyCost(bench, sizes), await sweep(bench, sizes)];
    for (const table of own) printTable(table);
    report.tables.push(...own);
  });
  return report;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) await benchBrowserUpload();
