import * as z from 'zod/mini';
import { CliUsageError, parseCliOptions, USAGE } from './cli-options.js';
import { startEmulator, type Emulator } from './emulator.js';

/** Milliseconds `close()` may take after a signal before the process gives up on it. */
const CLOSE_TIMEOUT_MS = 3000;

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

function die(message: string, code: number): never {
  process.stderr.write(`cos-transcoder-emulator: ${message.replace(/\s+/g, ' ').trim()}\n`);
  process.exit(code);
}

function stopOnSignals(emulator: Emulator): void {
  let stopping = false;
  const stop = (signal: keyof typeof SIGNAL_EXIT_CODES) => {
    if (stopping) process.exit(SIGNAL_EXIT_CODES[signal]);
    stopping = true;
    const timer = setTimeout(() => die(`close() took over ${CLOSE_TIMEOUT_MS} ms; exiting`, 1), CLOSE_TIMEOUT_MS);
    emulator.close().then(
      () => {
        clearTimeout(timer);
        process.exit(0);
      },
      (error: unknown) => die(`close failed: ${(error as Error).message}`, 1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * The `cos-transcoder-emulator` command: parses the flags and `COS_EMULATOR_*` variables, starts the emulator,
 * prints its endpoints as one line of JSON on stdout (nothing else goes there; `adminToken` is the token changes
 * through the admin endpoint need), prints each of its warnings once on stderr (listening beyond loopback), and
 * closes it on SIGINT / SIGTERM
 * (exit code 0; a second signal exits at once). Usage mistakes and invalid options exit with code 2 and one line on
 * stderr; any other start failure (a port in use...) with code 1.
 */
async function main(): Promise<void> {
  z.config(z.locales.en());
  let request;
  try {
    request = parseCliOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof CliUsageError) die(error.message, 2);
    throw error;
  }
  if (request.help) {
    process.stdout.write(USAGE);
    return;
  }
  let emulator: Emulator;
  try {
    emulator = await startEmulator(request.options);
  } catch (error) {
    die((error as Error).message, error instanceof TypeError ? 2 : 1);
  }
  stopOnSignals(emulator);
  for (const warning of emulator.warnings) process.stderr.write(`cos-transcoder-emulator: warning: ${warning}\n`);
  process.stdout.write(`${JSON.stringify(emulator.endpoints)}\n`);
}

main().catch((error: unknown) => die(error instanceof Error ? error.message : String(error), 1));
