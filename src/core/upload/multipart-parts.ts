import { TranscoderError, isTranscoderError } from '../errors.js';
import { buildCompleteMultipartUpload } from '../protocol/complete-multipart-upload.js';
import { parseCompleteMultipartUploadResult } from '../protocol/cos-document.js';
import type { ServiceResponse } from '../transport/service-client.js';
import { crc64Combine, formatCrc64 } from './crc64.js';
import { isNoSuchUpload, type MultipartSession } from './multipart-session.js';
import { compareCrc64, integrityError, requireEtag } from './object-integrity.js';
import type { PlannedPart } from './part-plan.js';
import { settledLater, type RunContext } from './run-context.js';
import type { UploadResult } from './upload-types.js';

/** Times a part whose stored CRC-64 differs from the file's is sent again before the upload fails. */
export const MAX_INTEGRITY_RESENDS = 2;

/** The client's CRC-64 of a part, started at most once per session. */
function partCrc(run: RunContext, session: MultipartSession, part: PlannedPart): Promise<bigint> | undefined {
  const { hasher, file } = run.settings;
  if (!hasher) return undefined;
  let crc = session.crcs.get(part.partNumber);
  if (!crc) {
    // The session outlives this run: a pause must not cancel a hash the next run will want.
    crc = settledLater(hasher.hash(file.slice(part.start, part.end)));
    session.crcs.set(part.partNumber, crc);
  }
  return crc;
}

/**
 * Sends one part (a `Blob.slice`, read by the transport as it goes), hashing it at the same time, and checks the
 * stored CRC-64. A mismatch sends the part again, up to {@link MAX_INTEGRITY_RESENDS} times.
 */
async function sendPart(run: RunContext, session: MultipartSession, part: PlannedPart): Promise<void> {
  const { client, file, key } = run.settings;
  const crc = partCrc(run, session, part);
  for (let resend = 0; ; resend += 1) {
    const response = await client.request({
      service: 'cos',
      method: 'PUT',
      key,
      query: { partNumber: String(part.partNumber), uploadId: session.uploadId },
      body: file.slice(part.start, part.end),
      action: 'name/cos:UploadPart',
      phase: 'upload',
      signal: run.signal,
      onUploadProgress: (sent) => {
        run.meter.sent(part.partNumber, sent);
        run.progressed();
      },
    });
    const etag = requireEtag(response, 'UploadPart', 'upload');
    const local = crc && (await crc);
    if (local !== undefined && compareCrc64(response, local) === 'mismatch') {
      if (resend < MAX_INTEGRITY_RESENDS) continue;
      throw integrityError(`UploadPart ${part.partNumber} of "${key}"`, local, response, 'upload', resend + 1);
    }
    session.etags.set(part.partNumber, etag);
    run.meter.sent(part.partNumber, part.end - part.start);
    run.progressed();
    return;
  }
}

/**
 * Sends every part not yet acknowledged, `concurrency` at a time, in part order. The first part that fails for
 * good stops the others (their requests are aborted) and rejects with its error.
 */
export async function sendParts(run: RunContext, session: MultipartSession): Promise<void> {
  for (const part of session.parts) {
    if (session.etags.has(part.partNumber)) {
      run.meter.credit(part.partNumber, part.end - part.start);
      partCrc(run, session, part);
    }
  }
  run.progressed();
  const pending = session.parts.filter((part) => !session.etags.has(part.partNumber));
  const stop = new AbortController();
  const onAbort = () => stop.abort(run.signal.reason);
  run.signal.addEventListener('abort', onAbort, { once: true });
  const lane: RunContext = { ...run, signal: stop.signal };
  let failure: unknown;
  const worker = async () => {
    for (let part = pending.shift(); part && failure === undefined; part = pending.shift()) {
      try {
        await sendPart(lane, session, part);
      } catch (error) {
        failure ??= error;
        stop.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(run.settings.concurrency, pending.length) }, worker));
  } finally {
    run.signal.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure;
}

/** The CRC-64 of the whole object, combined from the parts' without reading the file again. */
async function objectCrc(session: MultipartSession): Promise<bigint | undefined> {
  let total: bigint | undefined;
  for (const part of session.parts) {
    const crc = session.crcs.get(part.partNumber);
    if (!crc) return undefined;
    const value = await crc;
    total = total === undefined ? value : crc64Combine(total, value, part.end - part.start);
  }
  return total;
}

/**
 * CompleteMultipartUpload, then the whole object's CRC-64 check. A 200 whose body is an `<Error>` is a failure.
 * The request is resent after a lost answer; a resend that finds the upload gone (the first one completed it)
 * confirms the object with a HEAD before reporting success.
 */
export async function completeUpload(run: RunContext, session: MultipartSession): Promise<UploadResult> {
  const { client, key, file } = run.settings;
  const parts = session.parts.map((part) => ({ PartNumber: part.partNumber, ETag: session.etags.get(part.partNumber)! }));
  let response: ServiceResponse;
  let etag: string;
  try {
    response = await client.request({
      service: 'cos',
      method: 'POST',
      key,
      query: { uploadId: session.uploadId },
      headers: { 'content-type': 'application/xml' },
      body: buildCompleteMultipartUpload(parts),
      action: 'name/cos:CompleteMultipartUpload',
      phase: 'complete',
      idempotent: true,
      signal: run.signal,
    });
    etag = parseCompleteMultipartUploadResult(response.body, {
      status: response.status,
      ...(response.requestId === undefined ? {} : { requestId: response.requestId }),
    }).ETag;
  } catch (error) {
    if (!(isNoSuchUpload(error) && isTranscoderError(error) && error.attempts > 1)) throw error;
    response = await confirmObject(run, parts.length, error);
    etag = requireEtag(response, 'HeadObject', 'complete');
  }
  const local = await objectCrc(session);
  let verified = false;
  if (local !== undefined) {
    const check = compareCrc64(response, local);
    if (check === 'mismatch') throw integrityError(`CompleteMultipartUpload of "${key}"`, local, response, 'complete');
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
    multipart: true,
    uploadId: session.uploadId,
    resumedParts: session.resumedParts,
  };
}

/** After a resent Complete found no upload: the object must be there with this upload's size and part count. */
async function confirmObject(run: RunContext, partCount: number, cause: TranscoderError): Promise<ServiceResponse> {
  const { client, key, file } = run.settings;
  const head = await client.request({
    service: 'cos',
    method: 'HEAD',
    key,
    action: 'name/cos:HeadObject',
    phase: 'complete',
    signal: run.signal,
  });
  const etag = head.headers['etag'] ?? '';
  if (head.headers['content-length'] !== String(file.size) || !etag.replace(/"/g, '').endsWith(`-${partCount}`)) {
    throw cause;
  }
  return head;
}
