// A test-only route of the browser test server: `/__emulator/<path>` is forwarded to the emulator's admin endpoint
// (`<admin>/<path>`) from Node, with the admin token the emulator printed at start. Browser pages cannot reach the
// admin endpoint themselves (it answers no other origin, and changes need the token), so tests that set faults or
// read the emulator's state go through here, on their own origin.
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { loopbackLookup, type EmulatorEndpoints } from '../../src/emulator/index.js';

type Next = (error?: unknown) => void;

/** The route's prefix. */
export const EMULATOR_ADMIN_PROXY_PATH = '/__emulator/';

/** Largest body forwarded, in bytes (the admin endpoint takes at most 64 KiB). */
const MAX_BODY = 64 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * A connect-style middleware forwarding `GET` / `PUT` / `DELETE` under {@link EMULATOR_ADMIN_PROXY_PATH} to the
 * admin endpoint, adding `x-emulator-admin-token`; it answers with the admin's status and JSON body. Other paths
 * are passed on.
 */
export function createEmulatorAdminProxy(
  endpoints: Pick<EmulatorEndpoints, 'admin' | 'adminToken'>,
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    if (!url.pathname.startsWith(EMULATOR_ADMIN_PROXY_PATH)) return next();
    const target = new URL(url.pathname.slice(EMULATOR_ADMIN_PROXY_PATH.length), endpoints.admin);
    void readBody(req).then((body) => {
      if (body === undefined) {
        res.writeHead(413, { 'content-type': 'application/json' }).end('{"error":"EntityTooLarge"}');
        return;
      }
      const headers: Record<string, string> = { 'x-emulator-admin-token': endpoints.adminToken };
      if (body.length > 0) headers['content-type'] = 'application/json';
      // The admin listens on loopback: connect there whatever `localhost` resolves to.
      const forward = request(target, { method: req.method ?? 'GET', headers, lookup: loopbackLookup }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        answer.pipe(res);
      });
      forward.setTimeout(10_000, () => forward.destroy(new Error('The admin endpoint did not answer within 10 s')));
      forward.once('error', (error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'AdminProxyFailed', message: error.message }));
      });
      forward.end(body);
    }, next);
  };
}
