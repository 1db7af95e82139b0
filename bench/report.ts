// The bench's tables: printed as each section ends, and gathered into bench/results.md by a full `npm run bench`
// with the machine they were measured on.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem, type as osType, release } from 'node:os';

/** One section's table: a title, column heads, rows of cells, and notes (goals, how it was measured). */
export interface Table {
  title: string;
  head: string[];
  rows: string[][];
  notes: string[];
}

/** `PASS` when `ok`, else `FAIL`. */
export const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

/** The median; of an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

/** Prints `table` as aligned text. */
export function printTable({ title, head, rows, notes }: Table): void {
  const widths = head.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const pad = (cell: string, i: number) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!));
  const line = (cells: string[]) => cells.map(pad).join('  ');
  console.log(`\n${title}`);
  console.log(line(head));
  for (const row of rows) console.log(line(row));
  for (const note of notes) console.log(`  ${note}`);
}

const escape = (cell: string): string => cell.replaceAll('|', '\\|');

function markdown({ title, head, rows, notes }: Table): string {
  const lines = [`## ${title}`, '', `| ${head.map(escape).join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.map(escape).join(' | ')} |`);
  if (notes.length > 0) lines.push('', ...notes.map((note) => `- ${note}`));
  return lines.join('\n');
}

/** The machine, as results.md states it: CPU model, cores, memory, OS. */
export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memory = `${(totalmem() / 2 ** 30).toFixed(1)} GiB`;
  let os = `${osType()} ${release()}`;
  try {
    const text = execFileSync('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"'], { encoding: 'utf8' }).trim();
    if (text) os = `${text} (${os})`;
  } catch {
    // No /etc/os-release: the kernel's name will do.
  }
  return `${cpu}, ${cpus().length} cores, ${memory} memory, ${os}`;
}

/** Writes `path` (bench/results.md) with the run's date, machine, versions, total time and every table. */
export async function writeResults(
  path: string | URL,
  run: { started: Date; totalSeconds: number; browser: string | undefined },
  tables: readonly Table[],
): Promise<void> {
  const header = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/index.ts); do not edit by hand. MB = 10^6 bytes, MiB = 2^20, kB = 1,024 bytes.',
    'The machine is shared: wall-clock figures move with its load, so compare contenders within one run.',
    '',
    `- date: ${run.started.toISOString()}`,
    `- machine: ${machine()}`,
    `- Node ${process.version}; browser ${run.browser ?? 'none (no Chromium found)'}`,
    `- total time of the run: ${run.totalSeconds.toFixed(0)} s (goal: under 600 s: ${verdict(run.totalSeconds < 600)})`,
  ];
  await writeFile(path, `${[header.join('\n'), ...tables.map(markdown)].join('\n\n')}\n`);
}
