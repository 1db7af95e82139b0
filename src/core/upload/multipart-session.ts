import { isTranscoderError } from '../errors.js';
import { parseInitiateMultipartUploadResult, parseListPartsResult } from '../protocol/cos-document.js';
import { crc64 } from './crc64.js';
import { fileFingerprint } from './fingerprint.js';
import { isUsablePartSize, planPartSize, planParts, type PlannedPart } from './part-plan.js';
import { resumeRecordId, type ResumeRecord, type ResumeStore } from './resume-store.js';
import type { RunContext } from './run-context.js';
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
 * Resume records in use by a running upload of this page. A second upload of the same file to the same key (a
 * double click, two widgets) neither resumes nor overwrites the record of one still running: sharing an UploadId,
 * one's cancel or Complete would break the other. A paused upload lets its record go, so that a new instance (the
 * page's next widget) can take it over.
 */
const recordsInUse = new WeakMap<ResumeStore, Set<string>>();

function claimsOf(storage: ResumeStore): Set<string> {
  let claims = recordsInUse.get(storage);
  if (!claims) recordsInUse.set(storage, (claims = new Set()));
  return claims;
}

/** Lets another upload of this page resume the record again. */
export function releaseRecord(storage: ResumeStore | undefined, recordId: string | undefined): void {
  if (storage && recordId !== undefined) claimsOf(storage).delete(recordId);
}

/** Marks the record as in use again (a paused upload resuming). */
export function claimRecord(storage: ResumeStore | undefined, recordId: string | undefined): void {
  if (storage && recordId !== undefined) claimsOf(storage).add(recordId);
}

/**
 * What a resume record must match: the file (name, size, date, sampled bytes) and the object headers, so that a
 * record made with another Content-Type or metadata is not resumed into an object without them.
 */
export async function uploadFingerprint(file: Blob, headers: Readonly<Record<string, string>>): Promise<string> {
  const sorted = JSON.stringify(Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : 1)));
  const digest = crc64(new TextEncoder().encode(sorted)).toString(16);
  return `${await fileFingerprint(file)}:${digest}`;
}

/**
 * Opens the multipart upload of a run: the session of an earlier run of this upload, else one resumed from the
 * resume store (checked against ListParts), else a new one (InitiateMultipartUpload, then a record saved).
 */
export async function openSession(run: RunContext, current?: MultipartSession): Promise<MultipartSession> {
  if (current) return current;
  const { settings } = run;
  const { client, key, storage } = settings;
  let recordId: string | undefined;
  let fingerprint = '';
  if (storage) {
    fingerprint = await uploadFingerprint(settings.file, settings.headers);
    const id = resumeRecordId({ bucket: client.bucket, region: client.region, key, fingerprint });
    if (!claimsOf(storage).has(id)) recordId = id;
  }
  if (recordId === undefined) return initiate(run, undefined, fingerprint);
  claimRecord(storage, recordId);
  try {
    const record = await storage!.get(recordId);
    const resumed = record && (await resumeFromRecord(run, record, recordId, fingerprint));
    return resumed || (await initiate(run, recordId, fingerprint));
  } catch (error) {
    // The upload that claimed the record failed before it had a session: the record is free again.
    releaseRecord(storage, recordId);
    throw error;
  }
}

/** InitiateMultipartUpload, then a resume record saved under `recordId` (when given). */
async function initiate(run: RunContext, recordId: string | undefined, fingerprint: string): Promise<MultipartSession> {
  const { settings } = run;
  const { client, file, key, storage } = settings;
  const partSize = planPartSize(file.size, settings.partSize);
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
    signal: run.signal,
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
