import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

function count(suite, totals) {
  for (const test of suite?.tests ?? []) {
    if (test.skipped) totals.skipped += 1;
    else if (test.passed) totals.passed += 1;
    else totals.failed += 1;
  }
  for (const child of suite?.suites ?? []) count(child, totals);
}

/**
 * A @web/test-runner reporter that writes the run's totals as JSON for scripts/test.mjs. A test file that fails to
 * load (a syntax error, a failing import) counts as one failure, so it can never pass silently.
 */
export function summaryReporter(file = process.env.WTR_SUMMARY_FILE) {
  return {
    onTestRunFinished({ sessions }) {
      const totals = { passed: 0, failed: 0, skipped: 0, files: sessions.length };
      for (const session of sessions) {
        count(session.testResults, totals);
        if ((session.errors?.length ?? 0) > 0) totals.failed += 1;
      }
      if (file) {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, JSON.stringify(totals));
      }
    },
  };
}
