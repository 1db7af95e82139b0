// Starts the emulator's command line in a child process and reads the one JSON line it prints: what `npm start`
// and the browser tests use, so that they run the emulator exactly as a user's `npx cos-transcoder-emulator` does.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EmulatorEndpoints } from '../../src/emulator/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A running emulator process. */
export interface EmulatorProcess {
  endpoints: EmulatorEndpoints;
  /** Sends SIGTERM and waits for the exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** Spawns `src/emulator/cli.ts` under tsx with `args`; rejects if it exits or prints nothing within 20 s. */
export function spawnEmulator(args: readonly string[]): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/cli.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error('The emulator printed no endpoints within 20 s'));
    }, 20_000);
    const exitedEarly = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`The emulator exited with code ${String(code)} before it started`));
    };
    child.once('exit', exitedEarly);
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      // Only this handler: `stop()` waits on another 'exit' listener.
      child.off('exit', exitedEarly);
      try {
        resolve({ endpoints: JSON.parse(line) as EmulatorEndpoints, stop });
      } catch (error) {
        void stop();
        reject(error as Error);
      }
    });
  });
}
