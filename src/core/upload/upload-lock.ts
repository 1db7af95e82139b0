/**
 * Uploads of one file to one key take turns, across the tabs of an origin: the lock named by the resume record is
 * held while an upload runs (from opening its multipart upload until the object is complete and the record
 * forgotten, or until it pauses, fails or is cancelled). So the record has one multipart upload, and no part is
 * sent by two tabs at once. An upload that had to wait resumes from the record the other left, or, when there is
 * none, first looks whether the other completed the object ({@link completedElsewhere}).
 *
 * @module
 */

import { isTranscoderError } from '../errors.js';
import { createCrc64Hasher } from './crc64-hasher.js';
import { compareCrc64, requireEtag, verifiedResult } from './object-integrity.js';
import { planParts } from './part-plan.js';
import type { ResumeStore } from './resume-store.js';
import { unlessAborted, type RunContext } from './run-context.js';
import type { UploadResult } from './upload-types.js';

/** Scopes of the stores that name none: one per store object. */
const scopes = new WeakMap<ResumeStore, string>();
let nextScope = 0;
/** This realm's own part of a store's scope: Web Locks are shared by every page of the origin, store objects not. */
const realm = Math.random().toString(36).slice(2, 10);

/**
 * The lock of the resume record `recordId` in `storage`: named by the store's `lockScope` (the same in every tab
 * for a store in `localStorage`), else by the store object itself.
 */
export function uploadLockName(storage: ResumeStore, recordId: string): string {
  let scope = storage.lockScope;
  if (scope === undefined) {
    scope = scopes.get(storage);
    if (scope === undefined) scopes.set(storage, (scope = `store-${realm}-${(nextScope += 1)}`));
  }
  return `upload:${scope}:${recordId}`;
}

/**
 * The result of an upload that another holder of the lock completed while this one waited: the object at the key
 * (HeadObject) has the file's size and its `x-cos-hash-crc64ecma` is the file's CRC-64. `undefined` when there is
 * no such object, or nothing proves it is this file's (no readable CRC, another size): the file is then uploaded.
 */
export async function completedElsewhere(run: RunContext, partSize: number): Promise<UploadResult | undefined> {
  const { settings, signal } = run;
  const { client, key, file } = settings;
  let head;
  try {
    head = await client.request({
      service: 'cos',
      method: 'HEAD',
      key,
      action: 'name/cos:HeadObject',
      phase: 'upload',
      signal,
    });
  } catch (error) {
    // No object (404), or no right to look (403): the upload goes on as usual.
    if (isTranscoderError(error) && !error.retryable && error.code !== 'aborted') return undefined;
    throw error;
  }
  if (head.headers['content-length'] !== String(file.size) || head.headers['x-cos-hash-crc64ecma'] === undefined) {
    return undefined;
  }
  // With `verify` off there is no hasher: one is made for this check only.
  const hasher = settings.hasher ?? createCrc64Hasher();
  let local: bigint;
  try {
    local = await unlessAborted(hasher.hash(file, signal), signal);
  } finally {
    if (!settings.hasher) hasher.close();
  }
  if (compareCrc64(head, local) !== 'match') return undefined;
  const etag = requireEtag(head, 'HeadObject', 'upload');
  const parts = planParts(file.size, partSize).length;
  const result = verifiedResult(settings, head, settings.hasher ? local : undefined, {
    operation: 'HeadObject',
    phase: 'upload',
    etag,
    resumedParts: parts,
  });
  return { ...result, multipart: true };
}
