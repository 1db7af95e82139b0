// What the emulator stored, asked from Node with the permanent key (HEAD Object), and the object removed after its
// check (DELETE Object) so that a long run does not fill the data folder: every upload of the side-by-side bench is
// checked this way, whoever sent it.
import { createAuthorization } from '../src/core/signing/authorization.js';
import { LoopbackTransport, type EmulatorEndpoints } from '../src/emulator/index.js';

/** An object as HEAD Object describes it. */
export interface StoredObject {
  size: number;
  etag: string;
  /** `x-cos-hash-crc64ecma`, as COS computes it for every object. */
  crc64: string | undefined;
}

const transport = new LoopbackTransport();

async function sendSigned(endpoints: EmulatorEndpoints, method: 'HEAD' | 'DELETE', key: string) {
  const bucket = endpoints.buckets[0];
  if (!bucket) throw new Error('The emulator has no bucket');
  const url = new URL(`${bucket.cos}/${key}`);
  const now = Math.floor(Date.now() / 1000);
  const authorization = await createAuthorization({
    secretId: endpoints.secretId,
    secretKey: endpoints.secretKey,
    method,
    pathname: `/${key}`,
    query: {},
    headers: { host: url.host },
    keyTime: { start: now - 60, end: now + 600 },
  });
  return transport.send({ method, url: url.href, headers: { authorization }, timeout: 30_000 });
}

/** The stored object at `key` (keys of the bench need no encoding); rejects when there is none. */
export async function headObject(endpoints: EmulatorEndpoints, key: string): Promise<StoredObject> {
  const response = await sendSigned(endpoints, 'HEAD', key);
  if (response.status !== 200) throw new Error(`HEAD ${key} answered ${response.status}`);
  const { headers } = response;
  return { size: Number(headers['content-length']), etag: headers['etag'] ?? '', crc64: headers['x-cos-hash-crc64ecma'] };
}

/** Deletes the object at `key`. */
export async function deleteObject(endpoints: EmulatorEndpoints, key: string): Promise<void> {
  const response = await sendSigned(endpoints, 'DELETE', key);
  if (response.status !== 204 && response.status !== 200) throw new Error(`DELETE ${key} answered ${response.status}`);
}
