// What the browser upload bench measures around one upload in the page: its time (from the page), the CPU time of
// every process this one started (the browser and the emulator; Linux /proc) and the page's memory over CDP, sampled
// every ~50 ms with the baseline taken after a forced GC. "js" is the page's JSHeapUsedSize (what DevTools shows);
// "all" adds the page's ArrayBuffer backing stores (not in JSHeapUsedSize) and the CRC-64 worker's heap and buffers.
import { readdir, readFile } from 'node:fs/promises';
import type { CDPSession, Page } from 'puppeteer-core';
import type { RunOptions, RunResult } from './upload-page.js';

const SAMPLE_EVERY_MS = 50;
/** Linux's USER_HZ: the unit of the CPU times in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;

/** Memory of the page at one instant, in bytes: `js` its JSHeapUsedSize, `all` with ArrayBuffers and workers too. */
export type HeapSample = { js: number; all: number };

/**
 * Where CPU time went: Chromium's renderer (the page, its workers), its browser process (which serves Blob reads),
 * its network service, its other processes, and the emulator (the Node child).
 */
export type CpuKind = 'renderer' | 'browser' | 'network' | 'other' | 'emulator';

/** One measured upload. */
export interface Measured extends RunResult {
  /** Memory after a forced GC, before the upload. */
  baseline: HeapSample;
  /** The most memory seen during the upload. */
  peak: HeapSample;
  /** CPU seconds of the browser and the emulator during the upload; `undefined` without /proc. */
  cpu: number | undefined;
  /** The same by process kind; `undefined` without /proc. */
  cpuByKind: Record<CpuKind, number> | undefined;
}

/** Resolves after `ms` milliseconds. */
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** `promise`, or a rejection naming `what` after `ms` (the timer never keeps the process alive). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
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

/** The kind of a descendant process, from its command line. */
async function kindOf(pid: number): Promise<CpuKind> {
  // Chromium rewrites its children's command lines into one space-separated string: read it as text.
  const line = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const type = /--type=([\w-]+)/.exec(line)?.[1];
  if (type === undefined) return /^(\S*\/)?node(\0|\s|$)/.test(line) ? 'emulator' : 'browser';
  if (type === 'renderer') return 'renderer';
  return line.includes('network.mojom.NetworkService') ? 'network' : 'other';
}

/**
 * CPU seconds (user + system, reaped children included) of every process descended from this one, by kind;
 * Linux only.
 */
async function descendantsCpu(): Promise<Record<CpuKind, number> | undefined> {
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
  const total: Record<CpuKind, number> = { renderer: 0, browser: 0, network: 0, other: 0, emulator: 0 };
  for (let queue = [...(parents.get(process.pid) ?? [])], pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
    total[await kindOf(pid)] += cpu.get(pid) ?? 0;
    queue.push(...(parents.get(pid) ?? []));
  }
  return total;
}

const sum = (byKind: Record<CpuKind, number>) => Object.values(byKind).reduce((a, b) => a + b, 0);

/**
 * Runs one upload in the page (`window.runUpload`, the file already picked) while sampling its memory and the CPU
 * time of this process's descendants; rejects if the upload runs slower than 5 MB/s.
 */
export async function measureUpload(page: Page, session: CDPSession, options: RunOptions): Promise<Measured> {
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
    const upload = page.evaluate((o) => window.runUpload(o), options);
    const result = await within(upload, budget, `Uploading ${options.size} bytes`);
    const cpuAfter = await descendantsCpu();
    let cpuByKind: Record<CpuKind, number> | undefined;
    if (cpuBefore !== undefined && cpuAfter !== undefined) {
      const kinds = Object.keys(cpuAfter) as CpuKind[];
      cpuByKind = Object.fromEntries(kinds.map((kind) => [kind, cpuAfter[kind] - cpuBefore[kind]])) as Record<CpuKind, number>;
    }
    return { ...result, baseline, peak, cpu: cpuByKind && sum(cpuByKind), cpuByKind };
  } finally {
    running = false;
    await sampler;
  }
}
