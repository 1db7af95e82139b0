// `npm start`: Vite serves the demo page, and this plugin starts the local emulator beside it with a demo bucket,
// prints its endpoints and keys, and mounts the example host backend (STS credentials, callback relay) under /api/.
import type { Plugin } from 'vite';
import { spawnEmulator, type EmulatorProcess } from './host/emulator-process.js';
import { createHostMiddleware, type HostMiddleware } from './host/host-middleware.js';

/** The demo bucket. */
export const DEMO_BUCKET = 'examplebucket-1250000000';

/** Starts the emulator for the dev server (`vite`, not `vite build`). */
export function emulatorPlugin(): Plugin {
  let emulator: EmulatorProcess | undefined;
  let host: HostMiddleware | undefined;
  return {
    name: 'cos-transcoder-emulator',
    apply: 'serve',
    async configureServer(server) {
      const port = process.env['COS_EMULATOR_PORT'] ?? '8700';
      emulator = await spawnEmulator(['--port', port, '--bucket', DEMO_BUCKET, '--region', 'ap-guangzhou']);
      const { endpoints } = emulator;
      host = createHostMiddleware({ endpoints });
      server.middlewares.use(host);
      // Unknown /api/ paths are the backend's 404, not Vite's SPA fallback (index.html with 200).
      server.middlewares.use((req, res, next) => {
        if (req.method !== 'GET' || !req.url?.startsWith('/api/')) return next();
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ error: 'Not found' }));
      });
      server.httpServer?.once('close', () => {
        host?.close();
        void emulator?.stop();
      });
      const lines = [
        'cos-transcoder emulator (COS, CI and STS on loopback)',
        `  bucket      ${DEMO_BUCKET} (ap-guangzhou)`,
        `  COS         ${endpoints.buckets[0]?.cos ?? ''}`,
        `  CI          ${endpoints.buckets[0]?.ci ?? ''}`,
        `  STS         ${endpoints.sts}`,
        `  admin       ${endpoints.admin}`,
        `  SecretId    ${endpoints.secretId}`,
        `  SecretKey   ${endpoints.secretKey}   (a local demo key: it works only here)`,
      ];
      server.config.logger.info(lines.join('\n'));
    },
    async buildEnd() {
      // Open event streams would otherwise hold the server open.
      host?.close();
      await emulator?.stop();
    },
  };
}
