import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { CliUsageError, parseCliOptions } from '../../src/emulator/cli-options.js';
import type { EmulatorEndpoints } from '../../src/emulator/index.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code, or rejects after `timeoutMs` (killing the process). */
  exit: (timeoutMs: number) => Promise<number | null>;
}

function runCli(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit: (timeoutMs) =>
      new Promise((done, fail) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          fail(new Error(`the CLI did not exit within ${timeoutMs} ms; stderr: ${err}`));
        }, timeoutMs);
        void exited.then((code) => {
          clearTimeout(timer);
          done(code);
        });
      }),
  };
}

/** Waits (bounded) for the first line on stdout and parses it as the endpoints. */
async function endpointsOf(run: Run, timeoutMs = 8000): Promise<EmulatorEndpoints> {
  const deadline = Date.now() + timeoutMs;
  while (!run.stdout().includes('\n')) {
    if (Date.now() > deadline || run.child.exitCode !== null) {
      run.child.kill('SIGKILL');
      throw new Error(`no endpoints line; stderr: ${run.stderr()}`);
    }
    await new Promise((done) => setTimeout(done, 20));
  }
  return JSON.parse(run.stdout().split('\n')[0]!) as EmulatorEndpoints;
}

describe('emulator command line', function () {
  this.timeout(15_000);
  const running: Run[] = [];
  const start = (args: string[], env?: Record<string, string>): Run => {
    const run = runCli(['--port', '0', ...args], env);
    running.push(run);
    return run;
  };
  afterEach(() => {
    for (const run of running.splice(0)) if (run.child.exitCode === null) run.child.kill('SIGKILL');
  });

  it('should print its endpoints, serve, and exit 0 on SIGTERM', async () => {
    const run = start(['--app-id', '1250000001', '--secret-id', 'AKIDcli', '--secret-key', 'cliKey']);
    const endpoints = await endpointsOf(run);
    const { appId, secretId, secretKey } = endpoints;
    expect([appId, secretId, secretKey]).to.deep.equal(['1250000001', 'AKIDcli', 'cliKey']);
    const health = await fetch(`${endpoints.origin}/_emulator/health`);
    expect(await health.json()).to.deep.equal({ ok: true });
    run.child.kill('SIGTERM');
    expect(await run.exit(5000)).to.equal(0);
    expect(run.stdout().split('\n')).to.have.length(2);
  });

  it('should exit 0 on SIGINT', async () => {
    const run = start([]);
    await endpointsOf(run);
    run.child.kill('SIGINT');
    expect(await run.exit(5000)).to.equal(0);
  });

  it('should take its configuration from environment variables, flags winning', async () => {
    const run = start(['--region', 'ap-shanghai'], {
      COS_EMULATOR_REGION: 'ap-beijing',
      COS_EMULATOR_BUCKET: 'one-1250000000, two-1250000000@ap-chengdu',
      COS_EMULATOR_LATENCY_MS: '5',
    });
    const endpoints = await endpointsOf(run);
    expect(endpoints.buckets.map(({ name, region }) => `${name}@${region}`)).to.deep.equal([
      'one-1250000000@ap-shanghai',
      'two-1250000000@ap-chengdu',
    ]);
    const faults = (await (await fetch(`${endpoints.origin}/_emulator/faults`)).json()) as { config: unknown };
    expect(faults.config).to.deep.equal({ rules: [{ latencyMs: 5 }] });
    run.child.kill('SIGTERM');
    expect(await run.exit(5000)).to.equal(0);
  });

  it('should print the admin token that changes through the admin endpoint need', async () => {
    const run = start([]);
    const endpoints = await endpointsOf(run);
    expect(endpoints.adminToken).to.match(/^[0-9a-f]{32}$/);
    const put = (headers: Record<string, string>) =>
      fetch(`${endpoints.origin}/_emulator/faults`, { method: 'PUT', headers, body: '{"seed":2}' });
    expect((await put({})).status).to.equal(401);
    expect((await put({ 'x-emulator-admin-token': endpoints.adminToken })).status).to.equal(200);
    const chosen = start(['--admin-token', 'my-own-admin-token-0001']);
    expect((await endpointsOf(chosen)).adminToken).to.equal('my-own-admin-token-0001');
  });

  it('should refuse the published example key beyond loopback, exiting 2 with the fix', async () => {
    const run = runCli(['--port', '0', '--host', '0.0.0.0']);
    expect(await run.exit(8000)).to.equal(2);
    expect(run.stdout()).to.equal('');
    expect(run.stderr()).to.match(/^cos-transcoder-emulator: .*0\.0\.0\.0.*--secret-key.*\n$/);
  });

  it('should warn once on stderr when it listens beyond loopback with the user\'s own key', async () => {
    const run = start(['--host', '0.0.0.0', '--secret-id', 'AKIDlan', '--secret-key', 'lanSecretKey']);
    const endpoints = await endpointsOf(run);
    expect(endpoints.origin).to.equal(`http://127.0.0.1:${endpoints.port}`);
    const lines = run.stderr().split('\n').filter((line) => line !== '');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^cos-transcoder-emulator: warning: .*0\.0\.0\.0.*admin endpoint.*--allow-host/);
    expect((await fetch(`${endpoints.origin}/_emulator/health`)).status).to.equal(200);
    run.child.kill('SIGTERM');
    expect(await run.exit(5000)).to.equal(0);
    expect(run.stderr().split('\n').filter((line) => line !== '')).to.have.length(1);
  });

  it('should exit 2 with one line on stderr for an unknown flag', async () => {
    const run = runCli(['--bogus']);
    expect(await run.exit(8000)).to.equal(2);
    expect(run.stderr()).to.match(/^cos-transcoder-emulator: .*--bogus.*\n$/);
    expect(run.stdout()).to.equal('');
  });

  it('should exit 2 naming the option for an invalid value', async () => {
    const run = runCli(['--port', '70000']);
    expect(await run.exit(8000)).to.equal(2);
    expect(run.stderr()).to.match(/^cos-transcoder-emulator: Invalid emulator options: port: .*\n$/);
  });

  it('should print the usage and exit 0 for --help', async () => {
    const run = runCli(['--help']);
    expect(await run.exit(8000)).to.equal(0);
    expect(run.stdout()).to.match(/^Usage: cos-transcoder-emulator/);
    expect(run.stdout()).to.contain('--error-rate');
  });
});

describe('emulator command-line options', () => {
  it('should parse buckets as name or name@region, repeatable', () => {
    const request = parseCliOptions(['--bucket', 'a-1250000000', '--bucket', 'b-1250000000@ap-beijing']);
    expect(request).to.deep.equal({
      help: false,
      options: { buckets: ['a-1250000000', { name: 'b-1250000000', region: 'ap-beijing' }] },
    });
  });

  it('should map job, callback and skew flags to their options', () => {
    const args = ['--job-workers', '3', '--job-queue-ms', '10', '--job-run-ms', '20', '--callback-attempts', '2'];
    const request = parseCliOptions([...args, '--max-skew-seconds', '60']);
    expect(request).to.deep.equal({
      help: false,
      options: {
        jobs: { workers: 3, queueDelayMs: 10, runMs: 20 },
        callbacks: { attempts: 2 },
        maxClockSkewSeconds: 60,
      },
    });
  });

  it('should add the fault shortcuts as one rule after the --faults ones', () => {
    const request = parseCliOptions([
      '--faults',
      '{"rules":[{"latencyMs":1}],"seed":4}',
      '--error-rate',
      '0.5',
      '--error-code',
      'SlowDown',
      '--drop-after-rate',
      '0.1',
      '--clock-offset-seconds=-60',
      '--fail-jobs-rate',
      '1',
    ]);
    expect(request.help ? undefined : request.options.faults).to.deep.equal({
      rules: [{ latencyMs: 1 }, { errorRate: 0.5, error: 'SlowDown', dropAfterRate: 0.1 }],
      seed: 4,
      clockOffsetSeconds: -60,
      failJobs: { rate: 1 },
    });
  });

  it('should read lists from comma-separated environment variables', () => {
    const request = parseCliOptions([], { COS_EMULATOR_CORS_ORIGIN: 'http://a.test, http://b.test' });
    expect(request).to.deep.equal({ help: false, options: { corsOrigins: ['http://a.test', 'http://b.test'] } });
  });

  it('should ask for --flag=-n when a negative value is given apart', () => {
    const parse = () => parseCliOptions(['--clock-offset-seconds', '-60']);
    expect(parse).to.throw(CliUsageError, '--clock-offset-seconds=-XYZ');
  });

  it('should refuse a value that is not a number', () => {
    expect(() => parseCliOptions(['--latency-ms', '10ms'])).to.throw(CliUsageError, '--latency-ms: expected a number');
  });

  it('should refuse an unknown error code', () => {
    expect(() => parseCliOptions(['--error-rate', '1', '--error-code', 'Teapot'])).to.throw(CliUsageError, 'Teapot');
  });

  it('should refuse --faults that is not JSON', () => {
    expect(() => parseCliOptions(['--faults', '{rules'])).to.throw(CliUsageError, '--faults: not JSON');
  });
});
