// The emulator's real media processing: job time per built-in transcode template (submit to Success, one job at a
// time, so encode + probe + hashing + commit) for the 4 s 640x360 sample and for a generated 1080p 30 s clip; then
// the memory of the emulator while two 1080p jobs run at once. The emulator runs from its CLI in a child process
// (`--media ffmpeg`, two encode threads, two jobs at once) so that its memory is its own: RSS sampled every 100 ms
// from /proc/<pid>/status and its peak (VmHWM), plus the peak RSS of its encoder processes (the ffmpeg children).
// BENCH_QUICK=1 makes the generated clip 10 s. Linux only for memory (elsewhere the column says n/a).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { JobsDetail } from '../src/core/protocol/ci-schemas.js';
import { listTemplates } from '../src/emulator/ci/templates.js';
import type { Emulator, EmulatorEndpoints } from '../src/emulator/index.js';
import { describeJob, submit, transcodeBody } from '../test/emulator/ci-support.js';
import { seedObject } from '../test/helpers/emulator.js';
import { generateClip } from '../test/helpers/media/clips.js';
import { hasMediaTools } from '../test/helpers/media/tools.js';
import type { Table } from './report.js';

const SAMPLE = fileURLToPath(new URL('../test/fixtures/media/sample-640x360.mp4', import.meta.url));
const CLI = fileURLToPath(new URL('../src/emulator/cli.ts', import.meta.url));
const CLIP_SECONDS = process.env['BENCH_QUICK'] ? 10 : 30;
const MiB = 1024 * 1024;

/** The emulator CLI in a child process; resolves once it printed its endpoints. */
async function startCli(): Promise<{ child: ChildProcess; emulator: Emulator }> {
  const args = ['--import', 'tsx', CLI, '--media', 'ffmpeg', '--encode-threads', '2', '--job-workers', '2'];
  args.push('--job-queue-ms', '10', '--job-run-ms', '10');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await Promise.race([
    createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next().then((next) => [next.value as string]),
    sleep(30_000).then(() => [undefined]),
  ]);
  if (!line) throw new Error('the emulator CLI did not start within 30 s');
  const endpoints = JSON.parse(line) as EmulatorEndpoints;
  return { child, emulator: { endpoints } as Emulator };
}

/** KiB fields of /proc/<pid>/status, or `undefined` (the process ended, or not Linux). */
async function status(pid: number): Promise<{ rss: number; hwm: number } | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/** The pids whose parent is `pid` (the emulator's ffmpeg and ffprobe children). */
async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent === pid) found.push(Number(name));
  }
  return found;
}

/** Submits a transcode job and polls (every 100 ms, up to 15 min) until it ends; its detail and wall time. */
async function runJob(emulator: Emulator, input: string, template: string): Promise<{ job: JobsDetail; ms: number }> {
  const started = performance.now();
  const body = transcodeBody(input, { output: `bench/\${jobid}.\${ext}`, operation: { TemplateId: template } });
  const { JobId } = await submit(emulator, body);
  for (const deadline = Date.now() + 15 * 60_000; Date.now() < deadline; await sleep(100)) {
    const job = await describeJob(emulator, JobId);
    if (job.State === 'Success' || job.State === 'Failed') return { job, ms: performance.now() - started };
  }
  throw new Error(`job ${JobId} did not end within 15 minutes`);
}

/** Runs two jobs at once while sampling the emulator's memory and its encoders'. */
async function twoAtOnce(emulator: Emulator, pid: number, input: string, templates: [string, string]) {
  let [rssPeak, encodersPeak, samples] = [0, 0, 0];
  let running = true;
  const sampler = (async () => {
    while (running) {
      const own = await status(pid);
      if (own) rssPeak = Math.max(rssPeak, own.rss);
      let encoders = 0;
      for (const child of await childrenOf(pid)) encoders += (await status(child))?.rss ?? 0;
      encodersPeak = Math.max(encodersPeak, encoders);
      samples += 1;
      await sleep(100);
    }
  })();
  const started = performance.now();
  try {
    await Promise.all(templates.map((template) => runJob(emulator, input, template)));
  } finally {
    running = false;
    await sampler;
  }
  const hwm = (await status(pid))?.hwm ?? 0;
  return { ms: performance.now() - started, rssPeak, hwm, encodersPeak, samples };
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number): string => (bytes > 0 ? `${(bytes / MiB).toFixed(0)} MiB` : 'n/a');

/** Runs the media cases and prints their tables; resolves with them as one results table (`undefined`: skipped). */
export async function benchMedia(): Promise<Table | undefined> {
  if (!hasMediaTools()) {
    console.log('media: skipped (no ffmpeg / ffprobe: the optional dependencies did not install)');
    return undefined;
  }
  const rows: string[][] = [];
  const notes: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'bench-media-'));
  let child: ChildProcess | undefined;
  try {
    const clipStart = performance.now();
    const size = { width: 1920, height: 1080, seconds: CLIP_SECONDS, fps: 30 };
    const clip = await generateClip(dir, 'clip-1080p.mp4', size);
    const took = seconds(performance.now() - clipStart);
    console.log(`generated ${CLIP_SECONDS} s 1080p30 clip (x264 ultrafast) in ${took}`);
    notes.push(`Submit to Success, one job at a time (encode + probe + hashing + commit); the clip generated with x264 ultrafast in ${took}.`);
    let emulator: Emulator;
    ({ child, emulator } = await startCli());
    await seedObject(emulator, 'in/sample.mp4', SAMPLE);
    await seedObject(emulator, 'in/clip-1080p.mp4', clip);
    const idle = await status(child.pid!);
    console.log(`emulator CLI pid ${child.pid}, idle RSS ${mib(idle?.rss ?? 0)}`);
    notes.push(`The emulator CLI in a child process (--media ffmpeg, 2 encode threads, 2 jobs at once), idle RSS ${mib(idle?.rss ?? 0)}.`);
    const heads = ['template'.padEnd(26), 'output'.padEnd(24), 'sample 4 s'.padStart(11)];
    console.log(`\n${heads.join(' ')} ${`1080p ${CLIP_SECONDS} s`.padStart(12)}`);
    for (const template of listTemplates().transcode) {
      const times: string[] = [];
      let output = '';
      for (const input of ['in/sample.mp4', 'in/clip-1080p.mp4']) {
        const { job, ms } = await runJob(emulator, input, template.id);
        if (job.State !== 'Success') times.push(`failed ${job.Code}`);
        else times.push(seconds(ms));
        const video = job.Operation?.MediaInfo?.Stream?.Video[0];
        if (input.includes('1080p') && video) output = `${video.CodecName} ${video.Width}x${video.Height}`;
      }
      const columns = [template.name.padEnd(26), `${template.container} ${output}`.padEnd(24)];
      console.log(`${columns.join(' ')} ${times[0]!.padStart(11)} ${times[1]!.padStart(12)}`);
      rows.push([template.name, `${template.container} ${output}`, times[0]!, times[1]!]);
    }
    const pair: [string, string] = ['t1460606b9752148c4ab182f55163ba7cd', 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8e'];
    const memory = await twoAtOnce(emulator, child.pid!, 'in/clip-1080p.mp4', pair);
    const pairNames = 'high_993874 + emulator_mp4_h265_1080p on the 1080p clip';
    console.log(`\ntwo jobs at once (${pairNames}): ${seconds(memory.ms)}`);
    console.log(`  emulator RSS peak (sampled ${memory.samples}x) ${mib(memory.rssPeak)}, VmHWM ${mib(memory.hwm)}`);
    console.log(`  its encoder processes (ffmpeg), peak RSS together ${mib(memory.encodersPeak)}`);
    notes.push(
      `Two jobs at once (${pairNames}): ${seconds(memory.ms)}; emulator RSS peak ${mib(memory.rssPeak)} (VmHWM ` +
        `${mib(memory.hwm)}); its ffmpeg processes together ${mib(memory.encodersPeak)} at peak.`,
    );
    return {
      title: 'Emulator media processing (real FFmpeg)',
      head: ['template', 'output (1080p input)', 'sample 4 s 640x360', `1080p30 ${CLIP_SECONDS} s`],
      rows,
      notes,
    };
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchMedia();
