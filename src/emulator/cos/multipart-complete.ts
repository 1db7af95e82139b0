import { createHash } from 'node:crypto';
import type { CompletedPart } from '../../core/protocol/cos-schemas.js';
import { parseCompleteMultipartUpload } from '../../core/protocol/complete-multipart-upload.js';
import { encodeKeyPath } from '../../core/signing/encode.js';
import { crc64Combine, formatCrc64 } from '../../core/upload/crc64.js';
import type { EmulatorEnv, Handler } from '../env.js';
import { serviceError } from '../errors.js';
import { replyXml } from '../http/reply.js';
import { namedUpload, noSuchUpload } from './named-upload.js';
import type { MultipartStore, PartRecord, UploadRecord } from './multipart-store.js';
import { bucketName } from './object-handlers.js';
import { crcHeader } from './object-headers.js';
import { checkMd5, declaredMd5, readSmallBody } from './request-body.js';

/** Smallest size of every part but the last: 1 MiB. */
export const MIN_PART_SIZE = 1024 * 1024;
/**
 * Largest Complete body read: 2 MiB, enough for 10,000 parts with quoted ETags (about 1.1 MB in the JS SDK's
 * form) [I].
 */
const MAX_BODY = 2 * 1024 * 1024;

const NOT_WELL_FORMED =
  'The XML you provided was not well-formed or did not validate against our published schema.';
const malformed = (message = NOT_WELL_FORMED) => serviceError('MalformedXML', message);

/**
 * The parts a Complete body names, checked in COS's order: strictly ascending numbers (400 `InvalidPartOrder`),
 * each uploaded with the named ETag, compared without quotes and case (400 `InvalidPart`), every part but the last
 * at least {@link MIN_PART_SIZE} (400 `EntityTooSmall`).
 */
export function checkCompletedParts(upload: UploadRecord, listed: readonly CompletedPart[]): PartRecord[] {
  if (listed.length === 0) throw malformed();
  listed.forEach((part, index) => {
    const previous = listed[index - 1];
    if (previous !== undefined && part.PartNumber <= previous.PartNumber) {
      throw serviceError(
        'InvalidPartOrder',
        'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
      );
    }
  });
  const parts = listed.map((part) => {
    const record = upload.parts.get(part.PartNumber);
    if (!record || part.ETag.replace(/^"|"$/g, '').toLowerCase() !== record.md5Hex) {
      throw serviceError(
        'InvalidPart',
        `Part ${part.PartNumber} could not be found, or its entity tag did not match the part's entity tag.`,
      );
    }
    return record;
  });
  parts.forEach((part, index) => {
    if (index < parts.length - 1 && part.size < MIN_PART_SIZE) {
      throw serviceError(
        'EntityTooSmall',
        `Your proposed upload is smaller than the minimum allowed size: part ${part.partNumber} is ` +
          `${part.size} bytes, and every part but the last must be at least ${MIN_PART_SIZE}.`,
      );
    }
  });
  return parts;
}

/** The multipart ETag: `"<hex MD5 of the parts' binary MD5s>-<count>"` (S3 style [I]). */
export function multipartEtag(parts: readonly PartRecord[]): string {
  const hash = createHash('md5');
  for (const part of parts) hash.update(Buffer.from(part.md5Hex, 'hex'));
  return `"${hash.digest('hex')}-${parts.length}"`;
}

/** The CRC-64 of the whole object, combined from the parts' CRCs and sizes without reading them. */
export function combinedCrc64(parts: readonly PartRecord[]): string {
  let crc: bigint | undefined;
  for (const part of parts) {
    const next = BigInt(part.crc64);
    crc = crc === undefined ? next : crc64Combine(crc, next, part.size);
  }
  return formatCrc64(crc ?? 0n);
}

/**
 * `POST /<key>?uploadId=X` with a `CompleteMultipartUpload` body: checks the parts, makes them the object's bytes
 * (linked, not copied: the cost is one link per part whatever their size, as COS answers at once), answers `CompleteMultipartUploadResult` with the multipart ETag and the whole object's
 * `x-cos-hash-crc64ecma`, then deletes the upload. Of two Completes racing, one wins and the other gets 404
 * `NoSuchUpload`. The XML is sent once the object is in place, without COS's leading white space.
 */
export function completeMultipartUpload(env: EmulatorEnv, store: MultipartStore, changed: () => void): Handler {
  return async (ctx) => {
    await store.ready();
    namedUpload(store, ctx);
    const md5 = declaredMd5(ctx);
    const body = await readSmallBody(ctx, MAX_BODY, () => malformed('The XML you provided was too large.'));
    checkMd5(md5, createHash('md5').update(body).digest('hex'));
    let listed: CompletedPart[];
    try {
      listed = parseCompleteMultipartUpload(body.toString('utf8'));
    } catch {
      throw malformed();
    }
    // From here to beginCompletion nothing awaits: the checks and the claim on the upload are one atomic step.
    const upload = namedUpload(store, ctx);
    const parts = checkCompletedParts(upload, listed);
    if (!store.beginCompletion(upload)) throw noSuchUpload();
    const etag = multipartEtag(parts);
    const crc64 = combinedCrc64(parts);
    const size = parts.reduce((total, part) => total + part.size, 0);
    try {
      await env.objects.commitSegments(upload.bucket, upload.key, parts, {
        size,
        etag,
        crc64,
        contentType: upload.contentType,
        headers: { ...upload.headers },
      });
    } catch (error) {
      store.cancelCompletion(upload);
      throw error;
    }
    await store.remove(upload);
    changed();
    const location = `${ctx.req.headers.host ?? ''}/${encodeKeyPath(upload.key)}`;
    await replyXml(
      ctx,
      200,
      { CompleteMultipartUploadResult: { Location: location, Bucket: bucketName(ctx), Key: upload.key, ETag: etag } },
      { 'x-cos-hash-crc64ecma': crcHeader(crc64, ctx.corruptCrc) },
    );
  };
}
