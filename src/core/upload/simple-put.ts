import type { UploadResult } from './upload-types.js';
import { requireEtag, verifiedResult } from './object-integrity.js';
import { settledLater, unlessAborted, type RunContext } from './run-context.js';

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
  const local = crc && (await unlessAborted(crc, signal));
  return verifiedResult(settings, response, local, { operation: 'PutObject', phase: 'upload', etag, resumedParts: 0 });
}
