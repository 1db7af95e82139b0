// A test-only route of the browser test server: `GET /__verify/object?key=<key>` reads the object back from the
// emulator in Node, with a GET signed by the emulator's permanent key, and answers `{ size, sha256 }` (hex), or
// `{ status }` with 404 when the object is not there. Browser tests compare that with `crypto.subtle.digest` of the
// bytes they uploaded, so that "arrived byte-identical" is checked by something other than the code under test.
import { createHash } from 'node:crypto';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createAuthorization } from '../../src/core/signing/authorization.js';
import { encodeKeyPath } from '../../src/core/signing/encode.js';
import { loopbackLookup, type EmulatorEndpoints } from '../../src/emulator/index.js';

/** What the route answers for a stored object. */
export interface VerifiedObject {
  size: number;
  /** Lower-case hex SHA-256 of the stored bytes. */
  sha256: string;
}

type Next = (error?: unknown) => void;

/** The route's path. */
export const VERIFY_OBJECT_PATH = '/__verify/object';

/** Streams the object at `key` from the emulator's first bucket into a SHA-256; `status` when it is not a 200. */
export async function readStoredObject(
  endpoints: EmulatorEndpoints,
  key: string,
): Promise<VerifiedObject | { status: number }> {
  const bucket = endpoints.buckets[0];
  if (!bucket) throw new Error('The emulator has no bucket');
  const url = new URL(`${bucket.cos}/${encodeKeyPath(key)}`);
  const now = Math.floor(Date.now() / 1000);
  const authorization = await createAuthorization({
    secretId: endpoints.secretId,
    secretKey: endpoints.secretKey,
    method: 'GET',
    pathname: `/${key}`,
    query: {},
    headers: { host: url.host },
    keyTime: { start: now - 60, end: now + 600 },
  });
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const client = request(url, { method: 'GET', headers: { authorization }, lookup: loopbackLookup }, resolve);
    client.setTimeout(30_000, () => client.destroy(new Error('The emulator did not answer within 30 s')));
    client.once('error', reject);
    client.end();
  });
  if (response.statusCode !== 200) {
    response.resume();
    return { status: response.statusCode ?? 0 };
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** The connect-style middleware serving {@link VERIFY_OBJECT_PATH}; other requests go to `next()`. */
export function createVerifyObjectMiddleware(endpoints: EmulatorEndpoints) {
  return (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    if (req.method !== 'GET' || url.pathname !== VERIFY_OBJECT_PATH) return next();
    const key = url.searchParams.get('key');
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(value));
    };
    if (!key) return json(400, { error: 'key is required' });
    readStoredObject(endpoints, key).then(
      (found) => json('sha256' in found ? 200 : 404, found),
      (error: unknown) => json(502, { error: error instanceof Error ? error.message : 'read failed' }),
    );
  };
}
