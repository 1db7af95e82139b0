import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import { Keyring } from './auth/keyring.js';
import { createCiModule } from './ci/ci-module.js';
import { loadTemplateRegistry } from './ci/template-file.js';
import { EmulatorClock } from './clock.js';
import { createCosModule } from './cos/cos-module.js';
import type { EmulatorEnv, EmulatorModule, FaultController } from './env.js';
import { createAdminHandler } from './faults/admin-handler.js';
import { RandomFaultController } from './faults/fault-controller.js';
import { createRequestListener } from './http/server.js';
import { isLoopbackName } from './http/host-routing.js';
import { locateMediaTools, type MediaTools } from './media/ffmpeg-tools.js';
import {
  DEFAULT_SECRET_KEY,
  resolveOptions,
  type EmulatorOptions,
  type ResolvedEmulatorOptions,
} from './options.js';
import { openDataDir } from './storage/data-dir.js';
import { DiskObjectStore } from './storage/disk-object-store.js';
import { Ingestor } from './storage/ingest.js';
import { createStsModule } from './sts/sts-module.js';

/** A bucket's endpoints. */
export interface BucketEndpoints {
  name: string;
  region: string;
  /** `http://<bucket>.cos.<region>.<baseDomain>:<port>` */
  cos: string;
  /** `http://<bucket>.ci.<region>.<baseDomain>:<port>` */
  ci: string;
}

/** Where a running emulator answers, and the keys it accepts. */
export interface EmulatorEndpoints {
  /** The address it listens on, `http://127.0.0.1:<port>` (loopback's for a wildcard `0.0.0.0` or `::`). */
  origin: string;
  port: number;
  /** Always `http`: the emulator serves plain HTTP on loopback. */
  protocol: 'http';
  /** Host templates for `ServiceClient`'s `domains` option: `{Bucket}.cos.{Region}.localhost:<port>`. */
  domains: { cos: string; ci: string };
  /** The STS endpoint (`GetFederationToken`), `http://sts.localhost:<port>/`. */
  sts: string;
  /** The admin endpoint (state, faults), `http://localhost:<port>/_emulator/`. */
  admin: string;
  /**
   * The token every change through the admin endpoint must carry as `x-emulator-admin-token` (the `adminToken`
   * option, else a random one per start). Reads need none; they answer same-machine clients only.
   */
  adminToken: string;
  buckets: BucketEndpoints[];
  appId: string;
  /** The permanent key, as given in the options (a local, throw-away key). */
  secretId: string;
  secretKey: string;
}

/** A running emulator. */
export interface Emulator {
  readonly endpoints: EmulatorEndpoints;
  /** The faults in force; `update()` changes them (as `PUT /_emulator/faults` does). */
  readonly faults: FaultController;
  /** The folder the emulator keeps its files in: `<dataDir>/cos-emulator/`, or a temporary one. */
  readonly dataDir: string;
  /**
   * What the user should know about this start (the emulator listening beyond loopback, transcode jobs copying
   * their input because no FFmpeg was found); the CLI prints them.
   */
  readonly warnings: readonly string[];
  /** The media tools jobs use: which FFmpeg (path, version, where it was found), or copy-through and why. */
  readonly media: MediaTools;
  /** Stops serving, ends every connection, job and callback, and removes a temporary data folder. */
  close(): Promise<void>;
}

/**
 * Starts a local emulator of the COS, CI and STS APIs the widget uses: real HTTP on loopback, routing by `Host`,
 * CORS, signature and policy checks, multipart uploads, media jobs with callbacks, and faults on demand.
 *
 * It serves only the `Host` names it knows (`baseDomain` and its subdomains, loopback names, `allowedHosts`), its
 * admin endpoint changes nothing without `endpoints.adminToken`, and its connections are bounded by `limits`.
 * Listening beyond loopback (`host: '0.0.0.0'`) refuses the published example key and adds a `warnings` entry.
 *
 * @example
 * ```ts
 * const emulator = await startEmulator({ port: 8700, buckets: ['examplebucket-1250000000'] });
 * const { domains, protocol } = emulator.endpoints; // for ServiceClient
 * await emulator.close();
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const resolved = resolveOptions(options);
  const warnings = exposureWarnings(resolved);
  const media = await locateMediaTools(resolved.media);
  if (media.mode === 'copy' && resolved.media.mode === 'auto') warnings.push(copyThroughWarning(media.reason));
  const adminToken = resolved.adminToken ?? randomBytes(16).toString('hex');
  const templates = await loadTemplateRegistry(resolved.templates);
  const data = await openDataDir(resolved.dataDir);
  const dataDir = data.path;
  const clock = new EmulatorClock();
  const objects = new DiskObjectStore(dataDir, () => clock.now());
  await objects.init();
  const env: EmulatorEnv = {
    options: resolved,
    buckets: new Map(resolved.bucketConfigs.map((bucket) => [bucket.name, bucket])),
    clock,
    keyring: new Keyring(clock, resolved),
    objects,
    ingestor: new Ingestor(),
    faults: new RandomFaultController(resolved.faults, clock),
    media,
    templates,
    dataDir,
  };
  const modules: EmulatorModule[] = [createCosModule(env), createCiModule(env), createStsModule(env)];
  let endpoints: EmulatorEndpoints | undefined;
  const admin = createAdminHandler(env, modules, () => endpoints!, adminToken);
  const server = createBoundedServer(resolved.limits, createRequestListener(env, modules, admin));
  try {
    await listen(server, resolved.port, resolved.host);
  } catch (error) {
    await Promise.all(modules.map((module) => module.close?.()));
    await env.ingestor.close();
    await data.dispose();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : resolved.port;
  endpoints = describeEndpoints(resolved, port, adminToken);
  let closing: Promise<void> | undefined;
  return {
    endpoints,
    faults: env.faults,
    dataDir,
    warnings,
    media,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((done) => server.close(() => done()));
        server.closeAllConnections();
        await stopped;
        await Promise.all(modules.map((module) => module.close?.()));
        await env.ingestor.close();
        await data.dispose();
      })();
      return closing;
    },
  };
}

/**
 * The HTTP server with the emulator's bounds (`limits`): `headersTimeout` (at most the `requestTimeout`), a
 * `requestTimeout` for a whole request (0 for none), an idle timeout on silent connections (see
 * `IdleTimeout` for the one of a request being served), and a cap on open connections (more are closed at once).
 * Expired connections are looked for four times per shortest timeout (at most every 30 s).
 */
function createBoundedServer(limits: ResolvedEmulatorOptions['limits'], listener: RequestListener): Server {
  const { requestTimeoutMs, idleTimeoutMs, maxConnections } = limits;
  const headersTimeout =
    requestTimeoutMs > 0 ? Math.min(limits.headersTimeoutMs, requestTimeoutMs) : limits.headersTimeoutMs;
  const shortest = Math.min(headersTimeout, requestTimeoutMs > 0 ? requestTimeoutMs : Infinity);
  const server = createServer(
    {
      keepAliveTimeout: 5000,
      headersTimeout,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.max(25, Math.min(30_000, Math.floor(shortest / 4))),
    },
    listener,
  );
  server.timeout = idleTimeoutMs;
  server.maxConnections = maxConnections;
  return server;
}

/**
 * Refuses the published example key on an address beyond loopback (a `TypeError` naming the fix), and otherwise
 * warns that the emulator and its admin endpoint are on the network there.
 */
function exposureWarnings(options: ResolvedEmulatorOptions): string[] {
  const host = options.host.toLowerCase();
  if (isLoopbackName(host)) return [];
  if (options.secretKey === DEFAULT_SECRET_KEY) {
    throw new TypeError(
      `Invalid emulator options: host ${options.host} listens beyond loopback, where the published example key ` +
        'would let anyone on the network sign requests; pass your own key (--secret-id and --secret-key, or the ' +
        'secretId and secretKey options), or listen on 127.0.0.1.',
    );
  }
  return [
    `Listening on ${options.host}, beyond loopback: the emulator and its admin endpoint (/_emulator/, whose state ` +
      'anyone who reaches it can read; changes need the admin token) are reachable from the network. Requests ' +
      'that name it by a LAN address or host name are refused unless you pass --allow-host <name>.',
  ];
}

/** The warning of a start in `auto` media mode without a usable FFmpeg. */
function copyThroughWarning(reason: string): string {
  return (
    `No FFmpeg (${reason}): transcode jobs copy their input instead of encoding it (no template applied, no ` +
    'visible watermark drawn). Install the optional dependency @ffmpeg-installer/ffmpeg (npm install), put an ffmpeg ' +
    'on PATH, or pass --ffmpeg <path>; --media copy says this is intended and silences this warning.'
  );
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
}

function describeEndpoints(
  options: ReturnType<typeof resolveOptions>,
  port: number,
  adminToken: string,
): EmulatorEndpoints {
  const base = options.baseDomain;
  const hostPort = (host: string) => `${host}:${port}`;
  // A wildcard address is reached through loopback on this machine.
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host === '::' ? '::1' : options.host;
  const listenHost = host.includes(':') ? `[${host}]` : host;
  return {
    origin: `http://${listenHost}:${port}`,
    port,
    protocol: 'http',
    domains: { cos: hostPort(`{Bucket}.cos.{Region}.${base}`), ci: hostPort(`{Bucket}.ci.{Region}.${base}`) },
    sts: `http://${hostPort(`sts.${base}`)}/`,
    admin: `http://${hostPort(base)}/_emulator/`,
    adminToken,
    buckets: options.bucketConfigs.map(({ name, region }) => ({
      name,
      region,
      cos: `http://${hostPort(`${name}.cos.${region}.${base}`)}`,
      ci: `http://${hostPort(`${name}.ci.${region}.${base}`)}`,
    })),
    appId: options.appId,
    secretId: options.secretId,
    secretKey: options.secretKey,
  };
}
