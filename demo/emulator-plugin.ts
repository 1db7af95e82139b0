// `npm start` and `npm run preview`: Vite serves the demo page, and this plugin starts the local emulator beside it
// with a demo bucket, prints its endpoints and keys, and mounts the example host backend (config, STS credentials,
// server-side signing, callback relay) under /api/.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Connect, Plugin, PreviewServer, ViteDevServer } from 'vite';
import { spawnEmulator, type EmulatorProcess } from './host/emulator-process.js';
import { createHostMiddleware, type HostMiddleware } from './host/host-middleware.js';

/** The demo bucket. */
export const DEMO_BUCKET = 'examplebucket-1250000000';
/** Keys the demo page may write and read under (the host's STS policy and signing checks). */
export const DEMO_PREFIX = 'demo/';
/** The emulator's port the demo page's markup names; another one (COS_EMULATOR_PORT) is rewritten into the page. */
export const DEMO_EMULATOR_PORT = '8700';
/** The dev server's address the page's `callback-url` names; rewritten to the real one when it differs. */
export const DEMO_SERVER_HOST = '127.0.0.1:5173';

/** Unknown /api/ GETs are the backend's 404, not Vite's SPA fallback (index.html with 200). */
const apiNotFound: Connect.NextHandleFunction = (req, res, next) => {
  if (req.method !== 'GET' || !req.url?.startsWith('/api/')) return next();
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: 'Not found' }));
};

/** Options of {@link emulatorPlugin}. */
export interface EmulatorPluginOptions {
  /** The emulator's port; `'0'` picks a free one. @default COS_EMULATOR_PORT, else 8700 */
  emulatorPort?: string;
}

/** Starts the emulator for the dev server and the preview server (`vite`, `vite preview`; not `vite build`). */
export function emulatorPlugin(options: EmulatorPluginOptions = {}): Plugin {
  let emulator: EmulatorProcess | undefined;
  let host: HostMiddleware | undefined;
  let serverHost: string | undefined;

  /** The page's markup names the default ports, as a reader would write it; other ports are filled in here. */
  const withPorts = (html: string): string => {
    const port = String(emulator?.endpoints.port ?? DEMO_EMULATOR_PORT);
    const page = html.replaceAll(`localhost:${DEMO_EMULATOR_PORT}`, `localhost:${port}`);
    return serverHost ? page.replaceAll(DEMO_SERVER_HOST, serverHost) : page;
  };

  const mount = async (server: ViteDevServer | PreviewServer) => {
    const port = options.emulatorPort ?? process.env['COS_EMULATOR_PORT'] ?? DEMO_EMULATOR_PORT;
    emulator = await spawnEmulator(['--port', port, '--bucket', DEMO_BUCKET, '--region', 'ap-guangzhou']);
    const { endpoints } = emulator;
    host = createHostMiddleware({ endpoints, prefix: DEMO_PREFIX });
    server.middlewares.use(host);
    server.middlewares.use(apiNotFound);
    server.httpServer?.once('listening', () => {
      const address = server.httpServer?.address();
      if (address && typeof address === 'object') serverHost = `${address.address}:${address.port}`;
    });
    server.httpServer?.once('close', () => {
      host?.close();
      void emulator?.stop();
    });
    const lines = [
      'cos-transcoder emulator (COS, CI and STS on loopback)',
      `  bucket      ${DEMO_BUCKET} (ap-guangzhou), demo keys under ${DEMO_PREFIX}`,
      `  COS         ${endpoints.buckets[0]?.cos ?? ''}`,
      `  CI          ${endpoints.buckets[0]?.ci ?? ''}`,
      `  STS         ${endpoints.sts}`,
      `  admin       ${endpoints.admin}   (changes need x-emulator-admin-token: ${endpoints.adminToken})`,
      `  SecretId    ${endpoints.secretId}`,
      `  SecretKey   ${endpoints.secretKey}   (a local demo key: it works only here)`,
    ];
    server.config.logger.info(lines.join('\n'));
  };

  return {
    name: 'cos-transcoder-emulator',
    apply: 'serve',
    configureServer: mount,
    transformIndexHtml: withPorts,
    async configurePreviewServer(server) {
      await mount(server);
      // The built page, with the ports of this server and this emulator (static files skip transformIndexHtml).
      const page = resolve(server.config.root, server.config.build.outDir, 'index.html');
      server.middlewares.use((req, res, next) => {
        if (req.method !== 'GET' || (req.url !== '/' && req.url !== '/index.html')) return next();
        readFile(page, 'utf8').then((html) => {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
          res.end(withPorts(html));
        }, next);
      });
    },
    async buildEnd() {
      // Open event streams would otherwise hold the server open.
      host?.close();
      await emulator?.stop();
    },
  };
}
