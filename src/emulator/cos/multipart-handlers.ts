import { rm } from 'node:fs/promises';
import type { EmulatorEnv, Handler } from '../env.js';
import { serviceError } from '../errors.js';
import { reply, replyXml } from '../http/reply.js';
import { objectKey, queryParam } from '../http/request-context.js';
import { completeMultipartUpload } from './multipart-complete.js';
import { accountPrincipal, listPartsDocument, listUploadsDocument } from './multipart-listing.js';
import type { MultipartStore } from './multipart-store.js';
import { namedUpload, noSuchUpload } from './named-upload.js';
import { bucketName } from './object-handlers.js';
import { crcHeader, uploadMetadata, validateKey } from './object-headers.js';
import { integerParam, urlEncodingRequested } from './query-params.js';
import { checkMd5, declaredMd5, ingestBody, requireContentLength } from './request-body.js';

/** Largest part COS accepts: 5 GiB. */
export const MAX_PART_SIZE = 5 * 1024 ** 3;
/** Highest part number. */
export const MAX_PART_NUMBER = 10_000;
/** Most parts or uploads one listing returns, and the default. */
const MAX_LISTED = 1000;

/**
 * `POST /<key>?uploads`: starts an upload, keeping the `Content-Type`, stored headers and `x-cos-meta-*` for the
 * final object; answers `InitiateMultipartUploadResult`.
 */
function initiate(env: EmulatorEnv, store: MultipartStore, changed: () => void): Handler {
  return async (ctx) => {
    const bucket = bucketName(ctx);
    const key = objectKey(ctx);
    validateKey(key);
    const { contentType, headers } = uploadMetadata(ctx);
    const upload = await store.create({ bucket, key, initiated: ctx.now, contentType, headers });
    changed();
    await replyXml(ctx, 200, {
      InitiateMultipartUploadResult: { Bucket: bucket, Key: key, UploadId: upload.uploadId },
    });
  };
}

/**
 * `PUT /<key>?partNumber=N&uploadId=X`: streams the part to a file (a re-upload replaces the part atomically) and
 * answers its `ETag` and `x-cos-hash-crc64ecma`. A part whose upload is aborted or completed while it streams is
 * dropped and answered 404 `NoSuchUpload`.
 */
function uploadPart(env: EmulatorEnv, store: MultipartStore, changed: () => void): Handler {
  return async (ctx) => {
    const partText = queryParam(ctx, 'partNumber');
    const partNumber = partText !== undefined && /^\d{1,5}$/.test(partText) ? Number(partText) : Number.NaN;
    if (!(partNumber >= 1 && partNumber <= MAX_PART_NUMBER)) {
      const message = `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive.`;
      throw serviceError('InvalidArgument', message);
    }
    await store.ready();
    const upload = namedUpload(store, ctx);
    const expectedLength = requireContentLength(ctx);
    const md5 = declaredMd5(ctx);
    const file = env.objects.tempFile();
    const maxBytes = Math.min(MAX_PART_SIZE, env.options.maxObjectSize);
    const body = await ingestBody(env, ctx, file, { expectedLength, maxBytes });
    try {
      checkMd5(md5, body.md5Hex);
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    const part = await store.putPart(upload, partNumber, file, body, env.clock.now());
    if (!part) throw noSuchUpload();
    changed();
    await reply(ctx, 200, {
      ETag: `"${part.md5Hex}"`,
      'x-cos-hash-crc64ecma': crcHeader(part.crc64, ctx.corruptCrc),
    });
  };
}

/** `GET /<key>?uploadId=X`: one page of the parts (`max-parts`, `part-number-marker`, `encoding-type`). */
function listParts(env: EmulatorEnv, store: MultipartStore): Handler {
  return async (ctx) => {
    const encode = urlEncodingRequested(ctx);
    const maxParts = integerParam(ctx, 'max-parts', { fallback: MAX_LISTED, min: 1, max: MAX_LISTED });
    const marker = integerParam(ctx, 'part-number-marker', { fallback: 0, min: 0 });
    await store.ready();
    const upload = namedUpload(store, ctx, true);
    const owner = accountPrincipal(env.options.appId);
    await replyXml(ctx, 200, listPartsDocument(bucketName(ctx), upload, { maxParts, marker, encode }, owner));
  };
}

/**
 * `GET /?uploads`: one page of the bucket's uploads (`prefix`, `delimiter`, `key-marker`, `upload-id-marker`,
 * `max-uploads`, `encoding-type`).
 */
function listUploads(env: EmulatorEnv, store: MultipartStore): Handler {
  return async (ctx) => {
    const encode = urlEncodingRequested(ctx);
    const maxUploads = integerParam(ctx, 'max-uploads', { fallback: MAX_LISTED, min: 1, max: MAX_LISTED });
    const keyMarker = queryParam(ctx, 'key-marker') ?? '';
    const query = {
      prefix: queryParam(ctx, 'prefix') ?? '',
      delimiter: queryParam(ctx, 'delimiter') ?? '',
      keyMarker,
      uploadIdMarker: keyMarker === '' ? '' : (queryParam(ctx, 'upload-id-marker') ?? ''),
      maxUploads,
      encode,
    };
    await store.ready();
    const bucket = bucketName(ctx);
    const owner = accountPrincipal(env.options.appId);
    await replyXml(ctx, 200, listUploadsDocument(bucket, store.list(bucket), query, owner));
  };
}

/** `DELETE /<key>?uploadId=X`: 204, the parts deleted; 404 `NoSuchUpload` when unknown. */
function abort(store: MultipartStore, changed: () => void): Handler {
  return async (ctx) => {
    await store.ready();
    const upload = namedUpload(store, ctx);
    await store.remove(upload);
    changed();
    await reply(ctx, 204, { 'Content-Type': 'application/xml' });
  };
}

/** The multipart upload operations over `store`; `changed` is called after every write. */
export function createMultipartHandlers(
  env: EmulatorEnv,
  store: MultipartStore,
  changed: () => void,
): Record<
  | 'InitiateMultipartUpload'
  | 'UploadPart'
  | 'ListParts'
  | 'ListMultipartUploads'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload',
  Handler
> {
  return {
    InitiateMultipartUpload: initiate(env, store, changed),
    UploadPart: uploadPart(env, store, changed),
    ListParts: listParts(env, store),
    ListMultipartUploads: listUploads(env, store),
    CompleteMultipartUpload: completeMultipartUpload(env, store, changed),
    AbortMultipartUpload: abort(store, changed),
  };
}
