import { TranscoderError, isTranscoderError } from '../errors.js';
import { buildCompleteMultipartUpload } from '../protocol/complete-multipart-upload.js';
import { parseCompleteMultipartUploadResult } from '../protocol/cos-document.js';
import type { ServiceResponse } from '../transport/service-client.js';
import { abortError, delay } from '../transport/delay.js';
import { retryDelay } from '../transport/retry.js';
import { crc64Combine } from './crc64.js';
import { isNoSuchUpload, type MultipartSession } from './multipart-session.js';
import { compareCrc64, integrityError, requireEtag, verifiedResult } from './object-integrity.js';
import type { PlannedPart } from './part-plan.js';
import { settledLater, unlessAborted, type RunContext } from './run-context.js';
import type { UploadResult } from './upload-types.js';

/** Times a part whose stored CRC-64 differs from the file's is sent again before the upload fails. */
export const MAX_INTEGRITY_RESENDS = 2;

/** The client's CRC-64 of a part, started at most once per session. */
function partCrc(run: RunContext, session: MultipartSession, part: PlannedPart): Promise<bigint> | undefined {
  const { hasher, file } = run.settings;
  if (!hasher) return undefined;
  let crc = session.crcs.get(part.partNumber);
  if (!crc) {
    // The session outlives this run: a pause must not cancel a hash the next run will want; a cancel does.
    const started = settledLater(hasher.hash(file.slice(part.start, part.end), session.hashing.signal));
    crc = started;
    session.crcs.set(part.partNumber, started);
    // A hash that failed (a file that became unreadable, a cancel) is tried again by the next run.
    started.catch(() => {
      if (session.crcs.get(part.partNumber) === started) session.crcs.delete(part.partNumber);
    });
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
        run.meter.sent(part.partNumber, Math.min(sent, part.end - part.start));
        run.progressed();
      },
    });
    const etag = requireEtag(response, 'UploadPart', 'upload');
    // A pause lets the check finish (the part is on the service: it must not be sent again); a cancel does not.
    const local = crc && (await unlessAborted(crc, session.hashing.signal));
    if (local !== undefined && compareCrc64(response, local) === 'mismatch') {
      if (resend < MAX_INTEGRITY_RESENDS) continue;
      const what = `UploadPart ${part.partNumber} of ${JSON.stringify(key)}`;
      throw integrityError(what, local, response, 'upload', resend + 1);
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
  const resumed = session.parts.filter((part) => session.etags.has(part.partNumber));
  for (const part of resumed) run.meter.credit(part.partNumber, part.end - part.start);
  run.progressed();
  // The parts already on the service need a CRC only for the whole-object check: hashed once nothing else waits
  // for the hasher, so that each part being sent gets its own CRC first.
  let resumedHashing = false;
  const hashResumed = () => {
    if (resumedHashing) return;
    resumedHashing = true;
    for (const part of resumed) partCrc(run, session, part);
  };
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
    hashResumed();
  };
  try {
    await Promise.all(Array.from({ length: Math.min(run.settings.concurrency, pending.length) }, worker));
    hashResumed();
  } finally {
    run.signal.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure;
}

/** The CRC-64 of the whole object, combined from the parts' without reading the file again. */
async function objectCrc(run: RunContext, session: MultipartSession): Promise<bigint | undefined> {
  let total: bigint | undefined;
  for (const part of session.parts) {
    const crc = partCrc(run, session, part);
    if (!crc) return undefined;
    const value = await unlessAborted(crc, run.signal);
    total = total === undefined ? value : crc64Combine(total, value, part.end - part.start);
  }
  return total;
}

/** Service codes a Complete may report in a 200 `<Error>` body that a resend can mend. */
const TRANSIENT_COMPLETE_ERRORS = new Set(['InternalError', 'ServiceUnavailable', 'SlowDown']);
/** Times a Complete that reported a transient error in its body is sent again (waiting as the retry policy says). */
const MAX_COMPLETE_RESENDS = 2;

/** CompleteMultipartUpload, resent (bounded) when its 200 carries a transient `<Error>`. */
async function sendComplete(run: RunContext, session: MultipartSession): Promise<{ response: ServiceResponse; etag: string }> {
  const { client, key } = run.settings;
  const parts = session.parts.map((part) => ({ PartNumber: part.partNumber, ETag: session.etags.get(part.partNumber)! }));
  for (let resend = 0; ; resend += 1) {
    const response = await client.request({
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
    try {
      const { ETag } = parseCompleteMultipartUploadResult(response.body, {
        status: response.status,
        ...(response.requestId === undefined ? {} : { requestId: response.requestId }),
      });
      return { response, etag: ETag };
    } catch (error) {
      const wait = resend < MAX_COMPLETE_RESENDS ? retryDelay(client.retry, resend + 1) : undefined;
      const transient = isTranscoderError(error) && TRANSIENT_COMPLETE_ERRORS.has(error.serviceCode ?? '');
      if (!transient || wait === undefined) throw error;
      await delay(wait, run.signal).catch(() => {
        throw abortError(run.signal, 'complete');
      });
    }
  }
}

/**
 * CompleteMultipartUpload, then the whole object's CRC-64 check. A 200 whose body is an `<Error>` is a failure
 * (resent when the error is transient). The request is resent after a lost answer; a resend that finds the upload
 * gone (the first one may have completed it) accepts the object only if a HEAD shows this upload's size, part
 * count and, when verifying, CRC-64.
 */
export async function completeUpload(run: RunContext, session: MultipartSession): Promise<UploadResult> {
  let response: ServiceResponse;
  let etag: string;
  let local: bigint | undefined;
  try {
    ({ response, etag } = await sendComplete(run, session));
    local = await objectCrc(run, session);
  } catch (error) {
    if (!(isNoSuchUpload(error) && isTranscoderError(error) && error.attempts > 1)) throw error;
    local = await objectCrc(run, session);
    response = await confirmObject(run, session.parts.length, local, error);
    etag = requireEtag(response, 'HeadObject', 'complete');
  }
  return verifiedResult(run.settings, response, local, {
    operation: 'CompleteMultipartUpload',
    phase: 'complete',
    etag,
    uploadId: session.uploadId,
    resumedParts: session.resumedParts,
  });
}

/**
 * After a resent Complete found no upload: the object must be there with this upload's size, part count and (when
 * known) CRC-64, or the original error stands.
 */
async function confirmObject(
  run: RunContext,
  partCount: number,
  local: bigint | undefined,
  cause: TranscoderError,
): Promise<ServiceResponse> {
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
  const sameShape = head.headers['content-length'] === String(file.size) && etag.replace(/"/g, '').endsWith(`-${partCount}`);
  if (!sameShape || (local !== undefined && compareCrc64(head, local) !== 'match')) throw cause;
  return head;
}
