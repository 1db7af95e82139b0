// The side-by-side browser bench: the same picked file, in the same headless Chromium, to the same emulator, signed
// with the same STS credentials, uploaded by
//   A ours (`MultipartUpload`, defaults: CRC-64 verification on),
//   B cos-js-sdk-v5 `uploadFile` with its defaults,
//   C cos-js-sdk-v5 `sliceUploadFile` with our part size and concurrency (it verifies nothing),
//   D one raw XMLHttpRequest PUT (the path's limit).
// Runs alternate A B C D A B C D ... so that a slow spell of the shared machine hits all alike; every object is then
// checked from Node (HEAD: its size and its ETag's part count) and deleted. Then, for the large size, one counted run
// each (signing callback calls in the page, requests and CORS preflights from CDP Network events), and the peak JS
// heap while uploading 1 GiB, ours and cos-js-sdk-v5's. BENCH_QUICK=1 shrinks every size and the number of rounds.
import { DEFAULT_PART_SIZE, planPartSize } from '../src/core/upload/part-plan.js';
import { DEFAULT_CONCURRENCY, DEFAULT_MULTIPART_THRESHOLD } from '../src/core/upload/upload-options.js';
import type { BrowserBench } from './browser-harness.js';
import type { Measured } from './browser-sampling.js';
import { deleteObject, headObject } from './object-check.js';
import { median, printTable, verdict, type Table } from './report.js';
import type { RequestCounts } from './request-log.js';
import type { Contender, RunOptions } from './upload-page.js';

const MiB = 1024 * 1024;
/** cos-js-sdk-v5's default part size (`ChunkSize`) and multipart threshold (`SliceSize`). */
const SDK_CHUNK = MiB;

/** The contenders in the order they run, with their letters and what they are. */
const CONTENDERS: readonly { id: Contender; letter: string; name: string }[] = [
  { id: 'ours', letter: 'A', name: 'ours, MultipartUpload defaults (CRC-64 on)' },
  { id: 'cos-sdk', letter: 'B', name: 'cos-js-sdk-v5 uploadFile, defaults' },
  { id: 'cos-sdk-tuned', letter: 'C', name: 'cos-js-sdk-v5 sliceUploadFile, our parts' },
  { id: 'xhr-put', letter: 'D', name: 'one XHR PUT (the path limit)' },
];
const nameOf = (id: Contender) => CONTENDERS.find((c) => c.id === id)!;

/** The goals: ours at least this many times each other contender's median throughput. */
const GOALS: readonly { than: Contender; ratio: number }[] = [
  { than: 'cos-sdk', ratio: 1.5 },
  { than: 'cos-sdk-tuned', ratio: 1.0 },
  { than: 'xhr-put', ratio: 0.85 },
];

/** Sizes and rounds; BENCH_QUICK=1 makes them small. */
export function sideBySidePlan() {
  const quick = process.env['BENCH_QUICK'] === '1';
  return {
    quick,
    /** Each size with its rounds of A B C D: small uploads are cheap, so more of them steady their medians. */
    sizes: quick
      ? [{ size: 16 * MiB, rounds: 2 }, { size: 64 * MiB, rounds: 2 }]
      : [{ size: 16 * MiB, rounds: 5 }, { size: 256 * MiB, rounds: 3 }],
    /** The network-bound comparison: one size on a shared 25 MB/s link, fewer rounds (each run takes seconds). */
    capped: { size: (quick ? 16 : 64) * MiB, rounds: quick ? 1 : 2 },
    heapSize: (quick ? 128 : 1024) * MiB,
    heapContenders: ['ours', 'cos-sdk'] as Contender[],
  };
}

const label = (size: number) => (size >= 1024 * MiB ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`);
const mbps = (run: Measured) => run.bytes / 1e6 / (run.ms / 1000);
const mib = (bytes: number) => (bytes / MiB).toFixed(1);

/** Parts each contender should have sent for `size` bytes (`undefined`: one PUT). */
function expectedParts(contender: Contender, size: number): number | undefined {
  switch (contender) {
    case 'ours':
      return size >= DEFAULT_MULTIPART_THRESHOLD ? Math.ceil(size / planPartSize(size)) : undefined;
    case 'cos-sdk':
      // Its defaults: SliceSize and ChunkSize 1 MiB (larger only past 10,000 parts).
      return size > SDK_CHUNK ? Math.ceil(size / SDK_CHUNK) : undefined;
    case 'cos-sdk-tuned':
      return Math.ceil(size / planPartSize(size));
    case 'xhr-put':
      return undefined;
  }
}

/**
 * Checks what the emulator stored for `run` against what was sent (its size; its ETag's part count, which shows the
 * parts each contender really used), then deletes it. Throws when it is wrong.
 */
async function checkAndDelete(bench: BrowserBench, run: Measured, options: RunOptions): Promise<void> {
  const stored = await headObject(bench.endpoints, run.key);
  const problems: string[] = [];
  if (stored.size !== options.size) problems.push(`stored ${stored.size} bytes, sent ${options.size}`);
  const parts = expectedParts(run.contender, options.size);
  const etag = parts === undefined ? /^"[0-9a-f]{32}"$/ : new RegExp(`^"[0-9a-f]{32}-${parts}"$`);
  if (!etag.test(stored.etag)) problems.push(`ETag ${stored.etag} does not match ${String(etag)}`);
  if (run.contender === 'ours' && !run.verified) problems.push('not verified');
  if (problems.length > 0) throw new Error(`${run.contender} upload of ${run.key} is wrong: ${problems.join('; ')}`);
  await deleteObject(bench.endpoints, run.key);
}

/** Uploads once with `options`, checked; prints one progress line. */
async function once(bench: BrowserBench, options: RunOptions & { contender: Contender }): Promise<Measured> {
  const run = await bench.upload(options);
  await checkAndDelete(bench, run, options);
  const cpu = run.cpu === undefined ? '' : `, CPU ${((run.cpu * 1000) / (run.bytes / 1e6)).toFixed(1)} ms/MB`;
  const { letter } = nameOf(options.contender);
  console.log(`  ${letter} ${label(options.size)}: ${mbps(run).toFixed(0)} MB/s (${run.ms.toFixed(0)} ms${cpu}), checked`);
  return run;
}

/** Throughput rows and goal rows for one size. */
function throughputRows(size: number, runs: Map<Contender, Measured[]>): { rows: string[][]; goals: string[][] } {
  const rates = (id: Contender) => (runs.get(id) ?? []).map(mbps);
  const cpuOf = (id: Contender) =>
    median((runs.get(id) ?? []).map((run) => (run.cpu === undefined ? Number.NaN : run.cpu / run.bytes)));
  const rows = CONTENDERS.map(({ id, letter, name }) => {
    const measured = runs.get(id) ?? [];
    const rate = rates(id);
    const cpu = measured.map((run) => (run.cpu === undefined ? Number.NaN : (run.cpu * 1000) / (run.bytes / 1e6)));
    const split = (['renderer', 'browser', 'network', 'emulator'] as const).map((kind) =>
      median(measured.map((run) => ((run.cpuByKind?.[kind] ?? Number.NaN) * 1000) / (run.bytes / 1e6))).toFixed(1),
    );
    return [
      `${label(size)}`,
      `${letter} ${name}`,
      median(rate).toFixed(0),
      `${Math.min(...rate).toFixed(0)}–${Math.max(...rate).toFixed(0)}`,
      median(cpu).toFixed(1),
      split.join(' / '),
      mib(Math.max(...measured.map((run) => run.peak.js))),
      String(rate.length),
    ];
  });
  const ours = rates('ours');
  const goals = GOALS.map(({ than, ratio }) => {
    const actual = median(ours) / median(rates(than));
    // Each round's A against the same round's other: the two ran seconds apart, under the same load.
    const paired = median(rates(than).map((rate, i) => ours[i]! / rate));
    const { letter } = nameOf(than);
    const cpu = cpuOf('ours') / cpuOf(than);
    const cpuText = Number.isNaN(cpu) ? '-' : cpu.toFixed(2);
    const cells = [label(size), `A / ${letter}`, actual.toFixed(2), paired.toFixed(2), cpuText];
    return [...cells, `>= ${ratio.toFixed(2)}`, verdict(actual >= ratio)];
  });
  return { rows, goals };
}

/** Runs every contender `rounds` times per size, alternating, and returns the throughput and goal tables. */
async function throughput(bench: BrowserBench, plan: ReturnType<typeof sideBySidePlan>): Promise<Table[]> {
  const rows: string[][] = [];
  const goals: string[][] = [];
  for (const { size, rounds } of plan.sizes) {
    console.log(`${label(size)}: ${rounds} rounds of A B C D`);
    const runs = new Map<Contender, Measured[]>();
    for (let round = 0; round < rounds; round += 1) {
      for (const { id } of CONTENDERS) {
        const run = await once(bench, { size, contender: id });
        runs.set(id, [...(runs.get(id) ?? []), run]);
      }
    }
    const table = throughputRows(size, runs);
    rows.push(...table.rows);
    goals.push(...table.goals);
  }
  const throughputTable: Table = {
    title: 'Upload throughput, side by side (headless Chromium -> emulator over HTTP on loopback)',
    head: ['size', 'contender', 'MB/s median', 'min–max', 'CPU ms/MB', 'renderer / browser / network / emulator', 'peak JS heap MiB', 'runs'],
    rows,
    notes: [
      'Time from the uploader\'s start (fresh client, credentials not yet fetched) to its result; MB/s = file bytes / that time.',
      'CPU ms/MB: CPU time of the browser and the emulator (every process the bench started) per MB sent: on loopback the uploads are CPU-bound, so this is what they cost.',
      'Split by process (medians, ms/MB; /proc): Chromium\'s renderer (the page and its workers: hashing, signing, the uploader\'s JavaScript), its browser process (it serves the reads of Blob slices), its network service, and the emulator.',
      `C is tuned to our part size (${DEFAULT_PART_SIZE / MiB} MiB) and concurrency (${DEFAULT_CONCURRENCY}); B uses cos-js-sdk-v5's defaults (1 MiB parts, 3 at once). Neither verifies the stored bytes (cos-js-sdk-v5 checks nothing unless UploadCheckContentMd5 is set); ours checks CRC-64.`,
      'cos-js-sdk-v5 ran against the emulator with only its Domain and Protocol options set; its multipart uploads first list pending uploads (GET /?uploads, for resuming), which needs name/cos:ListMultipartUploads in the STS policy.',
      'Every object was checked afterwards from Node (HEAD: its size, and its ETag\'s part count: the parts each contender really sent) and deleted.',
    ],
  };
  const goalTable: Table = {
    title: 'Upload throughput goals (ratios of medians)',
    head: ['size', 'ratio', 'of medians', 'median of rounds', 'CPU per MB (A / X)', 'goal', 'verdict (of medians)'],
    rows: goals,
    notes: [
      'A: ours with defaults; B: cos-js-sdk-v5 defaults; C: cos-js-sdk-v5 tuned to our parts; D: one raw XHR PUT.',
      '"median of rounds": the median of each round\'s A / X, runs seconds apart under the same load; when it and the ratio of medians disagree, the machine\'s load moved during the run.',
      '"CPU per MB (A / X)": the ratio of median CPU time per byte of the browser and the emulator (above 1: ours costs more); it moves far less with the machine\'s load than throughput does.',
    ],
  };
  return [throughputTable, goalTable];
}

const kinds = (counts: RequestCounts) =>
  Object.entries(counts.byKind)
    .sort(([, a], [, b]) => b - a)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');

/** One counted upload per contender at the large size. */
async function requestCounts(bench: BrowserBench, size: number): Promise<Table> {
  console.log(`${label(size)}: one counted upload each`);
  const rows: string[][] = [];
  for (const { id, letter, name } of CONTENDERS) {
    const options = { size, contender: id };
    const { run, counts } = await bench.uploadCounted(options);
    await checkAndDelete(bench, run, options);
    const row = [`${letter} ${name}`, String(run.signingCalls), String(counts.service), String(counts.preflights)];
    rows.push([...row, String(counts.credentials), String(counts.host), kinds(counts)]);
    console.log(`  ${letter}: ${run.signingCalls} signing call(s), ${counts.service} requests + ${counts.preflights} preflights`);
  }
  return {
    title: `Signing callback calls and HTTP requests, one ${label(size)} upload`,
    head: ['contender', 'signing calls', 'requests', 'CORS preflights', 'credential fetches', 'other to page', 'requests by kind'],
    rows,
    notes: [
      'Signing calls: calls of the contender\'s getAuthorization callback in the page (each fetches STS credentials from /api/credentials).',
      'Requests and preflights: as Chromium\'s network stack saw them (CDP Network.requestWillBeSent; preflights are the OPTIONS requests), in a run of their own.',
      'Chromium caches a preflight per URL, and every part has its own URL (partNumber), so a part costs a preflight too.',
    ],
  };
}

/** Peak JS heap while uploading `plan.heapSize`, per contender. */
async function peakHeap(bench: BrowserBench, plan: ReturnType<typeof sideBySidePlan>): Promise<Table> {
  const bound = DEFAULT_CONCURRENCY * DEFAULT_PART_SIZE + 32 * MiB;
  const rows: string[][] = [];
  console.log(`${label(plan.heapSize)}: peak heap`);
  for (const id of plan.heapContenders) {
    const run = await once(bench, { size: plan.heapSize, contender: id });
    const { letter, name } = nameOf(id);
    const goal = id === 'ours' ? `< ${mib(bound)} MiB: ${verdict(run.peak.js < bound)}` : 'reference';
    const rise = run.peak.js - run.baseline.js;
    rows.push([`${letter} ${name}`, mib(run.peak.js), mib(rise), mib(run.peak.all), mbps(run).toFixed(0), goal]);
  }
  return {
    title: `Peak memory of the page while uploading ${label(plan.heapSize)}`,
    head: ['contender', 'peak JS heap MiB', 'rise over baseline MiB', 'with buffers + workers MiB', 'MB/s', 'goal'],
    rows,
    notes: [
      `Goal for ours: JS heap under concurrency x part size + 32 MiB = ${DEFAULT_CONCURRENCY} x ${DEFAULT_PART_SIZE / MiB} MiB + 32 MiB.`,
      'Sampled every ~50 ms over CDP (Runtime.getHeapUsage: JSHeapUsedSize; "with buffers + workers" adds ArrayBuffer backing stores and every worker\'s heap), after a forced GC before each upload.',
    ],
  };
}

/** The network-bound link: 25 MB/s (~200 Mbit/s, a fast office line), shared by every request of these uploads. */
const LINK = 25_000_000;
const CAPPED_PREFIX = 'bench-link/';

/**
 * A, C and D again on a link the emulator caps at {@link LINK} (its bandwidth fault on their keys alone): where real
 * uploads live, the CPU that loopback makes every cost show on is idle, and what an uploader adds is its round trips.
 */
async function networkBound(bench: BrowserBench, plan: ReturnType<typeof sideBySidePlan>): Promise<Table> {
  const { size, rounds } = plan.capped;
  const contenders = CONTENDERS.filter(({ id }) => id !== 'cos-sdk');
  console.log(`${label(size)} on a ${LINK / 1e6} MB/s link: ${rounds} rounds of A C D`);
  const runs = new Map<Contender, number[]>();
  await bench.setFaults({ rules: [{ keyPrefix: CAPPED_PREFIX, bandwidth: LINK }] });
  try {
    for (let round = 0; round < rounds; round += 1) {
      for (const { id } of contenders) {
        const run = await once(bench, { size, contender: id, keyPrefix: CAPPED_PREFIX });
        runs.set(id, [...(runs.get(id) ?? []), mbps(run)]);
      }
    }
  } finally {
    await bench.setFaults({});
  }
  const ours = median(runs.get('ours') ?? []);
  const rows = contenders.map(({ id, letter, name }) => {
    const rate = median(runs.get(id) ?? []);
    const goal = GOALS.find(({ than }) => than === id);
    const ratio = id === 'ours' ? '-' : (ours / rate).toFixed(2);
    const verdictText = goal ? `>= ${goal.ratio.toFixed(2)}: ${verdict(ours / rate >= goal.ratio)}` : '-';
    return [`${letter} ${name}`, rate.toFixed(1), ratio, verdictText];
  });
  return {
    title: `Network-bound: ${label(size)} on a shared ${LINK / 1e6} MB/s link (the emulator's bandwidth fault)`,
    head: ['contender', 'MB/s median', 'A / X', 'goal'],
    rows,
    notes: [`Medians of ${rounds} alternating rounds; every object checked as above. The loopback tables are the CPU-bound worst case; this is the case users have.`],
  };
}

/** Runs the side-by-side cases on `bench` and returns their tables (already printed). */
export async function benchSideBySide(bench: BrowserBench): Promise<Table[]> {
  const plan = sideBySidePlan();
  console.log(`\nside by side${plan.quick ? ' (BENCH_QUICK)' : ''}; warm-up: one 16 MiB upload each`);
  for (const { id } of CONTENDERS) await once(bench, { size: 16 * MiB, contender: id });
  const tables = await throughput(bench, plan);
  tables.push(await networkBound(bench, plan));
  tables.push(await requestCounts(bench, plan.sizes[plan.sizes.length - 1]!.size));
  tables.push(await peakHeap(bench, plan));
  for (const table of tables) printTable(table);
  return tables;
}
