import { isTranscoderError } from '../errors.js';
import { parseInitiateMultipartUploadResult, parseListPartsResult } from '../protocol/cos-document.js';
import { crc64 } from './crc64.js';
import { fileFingerprint } from './fingerprint.js';
import { isUsablePartSize, planPartSize, planParts, type PlannedPart } from './part-plan.js';
import { resumeRecordId, type ResumeRecord } from './resume-store.js';
import { settledLater, unlessAborted, type RunContext } from './run-context.js';
import type { UploadSettings } from './upload-options.js';

/** A multipart upload in progress: what every run of the same upload shares. */
export interface MultipartSession {
  readonly uploadId: string;
  readonly partSize: number;
  readonly parts: readonly PlannedPart[];
  /** `ETag` of each part the service has acknowledged, by part number. */
  readonly etags: Map<number, string>;
  /** The client's CRC-64 of each part, computed once, by part number. */
  readonly crcs: Map<number, Promise<bigint>>;
  /** Aborts the hashing when the upload is cancelled or over. */
  readonly hashing: AbortController;
  /** Where the resume record is stored, when there is a store. */
  readonly recordId: string | undefined;
  /** Parts found on the service when the session was resumed from a record. */
  readonly resumedParts: number;
}

/** Whether a failure says that the upload id is gone (completed, aborted, or expired by a lifecycle rule). */
export const isNoSuchUpload = (error: unknown): boolean =>
  isTranscoderError(error) && error.status === 404 && error.serviceCode === 'NoSuchUpload';

/**
 * What a resume record must match: the file (name, size, date, sampled bytes) and the object headers, so that a
 * record made with another Content-Type or metadata is not resumed into an object without them.
 */
export async function uploadFingerprint(file: Blob, headers: Readonly<Record<string, string>>): Promise<string> {
  const sorted = JSON.stringify(Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : 1)));
  const digest = crc64(new TextEncoder().encode(sorted)).toString(16);
  return `${await fileFingerprint(file)}:${digest}`;
}

/** Where an upload's resume record is kept, and what the record must match. */
export interface RecordIdentity {
  readonly recordId: string;
  readonly fingerprint: string;
}

/** The identity of the upload's resume record, or `undefined` when it keeps none (`storage: false`). */
export async function recordIdentity(settings: UploadSettings): Promise<RecordIdentity | undefined> {
  const { client, key, storage } = settings;
  if (!storage) return undefined;
  const fingerprint = await uploadFingerprint(settings.file, settings.headers);
  return { recordId: resumeRecordId({ bucket: client.bucket, region: client.region, key, fingerprint }), fingerprint };
}

/**
 * Opens the multipart upload of a run: one resumed from `record` (checked against ListParts), else a new one
 * (InitiateMultipartUpload, then a record saved under the identity's id).
 */
export async function openSession(
  run: RunContext,
  identity: RecordIdentity | undefined,
  record: ResumeRecord | undefined,
): Promise<MultipartSession> {
  if (identity === undefined) return initiate(run, undefined, '');
  const resumed = record && (await resumeFromRecord(run, record, identity.recordId, identity.fingerprint));
  return resumed || (await initiate(run, identity.recordId, identity.fingerprint));
}

/** InitiateMultipartUpload, then a resume record saved under `recordId` (when given). */
async function initiate(run: RunContext, recordId: string | undefined, fingerprint: string): Promise<MultipartSession> {
  const { settings } = run;
  const { client, file, key, storage } = settings;
  const partSize = planPartSize(file.size, settings.partSize);
  // Not aborted by a pause or a cancel: once sent, the upload may exist on the service, and only its answer tells
  // which one to abort (a cancel) or to go on with (a resume). The run stops waiting for it at once; the upload
  // keeps the promise.
  const pending = settledLater(
    (async () => {
      const response = await client.request({
        service: 'cos',
        method: 'POST',
        key,
        query: { uploads: '' },
        headers: settings.headers,
        action: 'name/cos:InitiateMultipartUpload',
        phase: 'upload',
        // A resent Initiate whose first answer was lost leaves an empty upload behind, which costs nothing and is
        // cleaned by the bucket's lifecycle rule; failing the whole upload instead would cost the user far more.
        idempotent: true,
      });
      const { UploadId: uploadId } = parseInitiateMultipartUploadResult(response.body, context(response));
      run.targeted({ uploadId, recordId });
      if (storage && recordId !== undefined) {
        const record: ResumeRecord = {
          version: 1,
          fingerprint,
          bucket: client.bucket,
          region: client.region,
          key,
          uploadId,
          partSize,
          size: file.size,
          createdAt: client.clock.now(),
        };
        await storage.set(recordId, record);
      }
      return newSession(uploadId, partSize, file.size, recordId, new Map());
    })(),
  );
  run.initiating(pending);
  return unlessAborted(pending, run.signal);
}

function newSession(
  uploadId: string,
  partSize: number,
  size: number,
  recordId: string | undefined,
  etags: Map<number, string>,
): MultipartSession {
  return {
    uploadId,
    partSize,
    parts: planParts(size, partSize),
    etags,
    crcs: new Map(),
    hashing: new AbortController(),
    recordId,
    resumedParts: etags.size,
  };
}

const context = (response: { status: number; requestId?: string }) => ({
  status: response.status,
  ...(response.requestId === undefined ? {} : { requestId: response.requestId }),
});

/**
 * A session from a resume record, or `undefined` when the record cannot be used: it describes another file or
 * target, it has expired (its upload is then aborted, best effort), the service no longer knows its upload, or
 * ListParts is refused (another user's record, a policy without ListParts). Parts the service lists with the
 * expected size count as sent; any other part is sent again.
 */
async function resumeFromRecord(
  run: RunContext,
  record: ResumeRecord,
  recordId: string,
  fingerprint: string,
): Promise<MultipartSession | undefined> {
  const { settings } = run;
  const { client, file, key } = settings;
  const storage = settings.storage!;
  const age = client.clock.now() - record.createdAt;
  const matches =
    record.fingerprint === fingerprint &&
    record.bucket === client.bucket &&
    record.region === client.region &&
    record.key === key &&
    record.size === file.size &&
    isUsablePartSize(file.size, record.partSize);
  if (!matches || !(age >= -86_400_000 && age < settings.resumeTtl)) {
    await storage.delete(recordId);
    if (matches) await abortUpload(settings, record.uploadId).catch(() => undefined);
    return undefined;
  }
  run.targeted({ uploadId: record.uploadId, recordId });
  let listed: Map<number, { etag: string; size: number }>;
  try {
    listed = await listParts(run, record.uploadId);
  } catch (error) {
    if (!isStale(error)) throw error;
    await storage.delete(recordId);
    return undefined;
  }
  const etags = new Map<number, string>();
  for (const part of planParts(file.size, record.partSize)) {
    const found = listed.get(part.partNumber);
    if (found && found.size === part.end - part.start) etags.set(part.partNumber, found.etag);
  }
  return newSession(record.uploadId, record.partSize, file.size, recordId, etags);
}

/** Whether ListParts failed in a way that no retry will mend: the record cannot be resumed. */
const isStale = (error: unknown): boolean =>
  isNoSuchUpload(error) ||
  (isTranscoderError(error) && !error.retryable && error.status !== undefined && error.status >= 400 && error.status < 500);

/** Every part the service holds for `uploadId` (ListParts, all pages). */
async function listParts(run: RunContext, uploadId: string): Promise<Map<number, { etag: string; size: number }>> {
  const { client, key } = run.settings;
  const parts = new Map<number, { etag: string; size: number }>();
  let marker: string | undefined;
  // Bounded: 10,000 parts at 1,000 per page is 10 pages; a service repeating a marker cannot loop forever.
  for (let page = 0; page < 20; page += 1) {
    const response = await client.request({
      service: 'cos',
      method: 'GET',
      key,
      query: { uploadId, 'max-parts': '1000', ...(marker === undefined ? {} : { 'part-number-marker': marker }) },
      action: 'name/cos:ListParts',
      phase: 'upload',
      signal: run.signal,
    });
    const result = parseListPartsResult(response.body, context(response));
    for (const part of result.Part) parts.set(part.PartNumber, { etag: part.ETag, size: part.Size });
    const next = result.NextPartNumberMarker;
    if (!result.IsTruncated || next === undefined || String(next) === marker) break;
    marker = String(next);
  }
  return parts;
}

/** AbortMultipartUpload; an upload the service no longer knows counts as aborted. */
export async function abortUpload(settings: UploadSettings, uploadId: string): Promise<void> {
  try {
    await settings.client.request({
      service: 'cos',
      method: 'DELETE',
      key: settings.key,
      query: { uploadId },
      action: 'name/cos:AbortMultipartUpload',
      phase: 'cancel',
    });
  } catch (error) {
    if (!isNoSuchUpload(error)) throw error;
  }
}
