import type { UploadResult } from './upload-types.js';
import { compareCrc64, integrityError, requireEtag } from './object-integrity.js';
import { settledLater, unlessAborted, type RunContext } from './run-context.js';
import { formatCrc64 } from './crc64.js';

/**
 * Uploads the whole file with one `PUT Object`, hashing it in parallel. A `PUT` is idempotent, so the transport's
 * retries are safe; a pause aborts it and the next run sends it again.
 */
export async function putObject(run: RunContext): Promise<UploadResult> {
  const { settings, meter, signal } = run;
  const { client, file, key, hasher } = settings;
  // Its own signal: a PUT that fails stops the hash too.
  const hashing = new AbortController();
  const onAbort = () => hashing.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const crc = hasher && settledLater(hasher.hash(file, hashing.signal));
  let response;
  try {
    response = await client.request({
      service: 'cos',
      method: 'PUT',
      key,
      headers: settings.headers,
      body: file,
      action: 'name/cos:PutObject',
      phase: 'upload',
      signal,
      onUploadProgress: (sent) => {
        meter.sent(1, Math.min(sent, file.size));
        run.progressed();
      },
    });
  } catch (error) {
    hashing.abort(error);
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  const etag = requireEtag(response, 'PutObject', 'upload');
  let verified = false;
  let local: bigint | undefined;
  if (crc) {
    local = await unlessAborted(crc, signal);
    const check = compareCrc64(response, local);
    if (check === 'mismatch') throw integrityError(`PutObject of ${JSON.stringify(key)}`, local, response, 'upload');
    verified = check === 'match';
  }
  return {
    bucket: client.bucket,
    region: client.region,
    key,
    location: client.urlFor({ service: 'cos', key }),
    size: file.size,
    etag,
    ...(local === undefined ? {} : { crc64: formatCrc64(local) }),
    verified,
    multipart: false,
    resumedParts: 0,
  };
}
