#!/usr/bin/env node
// Runs every check and ends with one plain line: "N passed, N failed" (", N skipped" when any).
// 1. the type check (counted as one check), 2. Node-side tests (mocha + tsx), 3. browser tests in headless Chromium
// (@web/test-runner). Exits non-zero when anything failed or a stage could not run.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = (name) => resolve(root, 'node_modules', '.bin', name);
const totals = { passed: 0, failed: 0, skipped: 0 };

function run(command, args, env = {}) {
  return new Promise((done) => {
    const chunks = [];
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => {
      chunks.push(chunk);
      process.stdout.write(chunk);
    });
    child.on('error', (error) => done({ code: 127, output: String(error) }));
    child.on('close', (code) => done({ code: code ?? 1, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

function stage(name) {
  process.stdout.write(`\n=== ${name}\n`);
}

stage('type check (tsc --noEmit)');
const tsc = await run(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']);
if (tsc.code === 0) totals.passed += 1;
else totals.failed += 1;

stage('Node tests (mocha)');
const mocha = await run(bin('mocha'), ['--reporter', 'spec']);
const number = (re) => Number(re.exec(mocha.output)?.[1] ?? 0);
const mochaCounts = {
  passed: number(/^\s*(\d+) passing/m),
  failed: number(/^\s*(\d+) failing/m),
  skipped: number(/^\s*(\d+) pending/m),
};
if (mocha.code !== 0 && mochaCounts.failed === 0) mochaCounts.failed = 1; // crashed before counting
if (mochaCounts.passed + mochaCounts.failed === 0) mochaCounts.failed = 1; // ran nothing: never a silent pass
for (const k of Object.keys(totals)) totals[k] += mochaCounts[k];

stage('browser tests (@web/test-runner, headless Chromium)');
const summaryFile = resolve(root, '.cache', 'wtr-summary.json');
rmSync(summaryFile, { force: true });
const wtr = await run(bin('web-test-runner'), [], { WTR_SUMMARY_FILE: summaryFile });
if (existsSync(summaryFile)) {
  const browser = JSON.parse(readFileSync(summaryFile, 'utf8'));
  if (wtr.code !== 0 && browser.failed === 0) browser.failed = 1;
  if (browser.passed + browser.failed === 0) browser.failed = 1;
  for (const k of Object.keys(totals)) totals[k] += browser[k];
} else {
  totals.failed += 1; // the runner could not start (no browser?); its message is above
}

const skipped = totals.skipped > 0 ? `, ${totals.skipped} skipped` : '';
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed${skipped}\n`);
process.exit(totals.failed > 0 ? 1 : 0);
