import { rm } from 'node:fs/promises';
import type { EmulatorEnv, Handler, StoredObject } from '../env.js';
import { EmulatorError, serviceError } from '../errors.js';
import { reply } from '../http/reply.js';
import { readSegments } from '../storage/object-segments.js';
import { header, objectKey, type RequestContext } from '../http/request-context.js';
import { crcHeader, etagListMatches, objectHeaders, uploadMetadata, validateKey } from './object-headers.js';
import { parseRange } from './range.js';
import { checkMd5, declaredMd5, ingestBody, requireContentLength } from './request-body.js';

/** Bytes per read when streaming an object out. */
const READ_CHUNK = 1024 * 1024;

/** The bucket a COS handler serves (the pipeline has checked that it exists). */
export function bucketName(ctx: Pick<RequestContext, 'bucket'>): string {
  if (!ctx.bucket) throw new Error('COS handler called without a bucket');
  return ctx.bucket.name;
}

const noSuchKey = (): EmulatorError => serviceError('NoSuchKey', 'The specified key does not exist.');

/**
 * `PUT /<key>`: validates the key, requires `Content-Length`, checks `Content-MD5`, streams the body to a temporary
 * file and commits it with its `Content-Type`, stored headers and `x-cos-meta-*`. Answers 200 with `ETag` (quoted
 * MD5) and `x-cos-hash-crc64ecma`.
 */
function putObject(env: EmulatorEnv, changed: () => void): Handler {
  return async (ctx) => {
    const bucket = bucketName(ctx);
    const key = objectKey(ctx);
    validateKey(key);
    const expectedLength = requireContentLength(ctx);
    const md5 = declaredMd5(ctx);
    const { contentType, headers } = uploadMetadata(ctx);
    const file = env.objects.tempFile();
    const body = await ingestBody(env, ctx, file, { expectedLength, maxBytes: env.options.maxObjectSize });
    let object: StoredObject;
    try {
      checkMd5(md5, body.md5Hex);
      object = await env.objects.commit(bucket, key, file, {
        size: body.size,
        etag: `"${body.md5Hex}"`,
        crc64: body.crc64,
        contentType,
        headers,
      });
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    changed();
    await reply(ctx, 200, { ETag: object.etag, 'x-cos-hash-crc64ecma': crcHeader(object.crc64, ctx.corruptCrc) });
  };
}

/** The 304 / 412 answers `If-None-Match` and `If-Match` call for, if any. */
function preconditionStatus(ctx: RequestContext, object: StoredObject): 304 | 412 | undefined {
  const ifMatch = header(ctx, 'if-match');
  if (ifMatch !== undefined && !etagListMatches(ifMatch, object.etag)) return 412;
  const ifNoneMatch = header(ctx, 'if-none-match');
  if (ifNoneMatch !== undefined && etagListMatches(ifNoneMatch, object.etag)) return 304;
  return undefined;
}

/**
 * `GET` / `HEAD /<key>`: 404 `NoSuchKey`; `If-Match` (412 `PreconditionFailed`) and `If-None-Match` (304); one
 * `Range` (206 with `Content-Range`, 416 `InvalidRange` when unsatisfiable, ignored when malformed). The version
 * whose metadata is sent is held until its bytes are sent, read across its segments (the parts of a multipart
 * upload), so a concurrent PUT or DELETE never mixes two versions or cuts the body short.
 */
function serveObject(env: EmulatorEnv, withBody: boolean): Handler {
  return async (ctx) => {
    const lease = env.objects.open(bucketName(ctx), objectKey(ctx));
    if (!lease) throw noSuchKey();
    try {
      const { object } = lease;
      const precondition = preconditionStatus(ctx, object);
      if (precondition === 412) {
        throw serviceError('PreconditionFailed', 'At least one of the preconditions you specified did not hold.');
      }
      if (precondition === 304) {
        return await reply(ctx, 304, { ETag: object.etag, 'Last-Modified': new Date(object.lastModified).toUTCString() });
      }
      const range = parseRange(header(ctx, 'range'), object.size);
      if (range.kind === 'unsatisfiable') {
        throw serviceError('InvalidRange', 'The requested range is not satisfiable.', {
          'Content-Range': `bytes */${object.size}`,
        });
      }
      const whole = range.kind === 'whole';
      const start = whole ? 0 : range.start;
      const end = whole ? object.size - 1 : range.end;
      const headers = objectHeaders(ctx, object, { whole, corruptCrc: ctx.corruptCrc });
      headers['Content-Length'] = String(end - start + 1);
      if (!whole) headers['Content-Range'] = `bytes ${start}-${end}/${object.size}`;
      const status = whole ? 200 : 206;
      if (!withBody) return await reply(ctx, status, headers);
      if (object.size === 0) return await reply(ctx, status, headers, '');
      const body = readSegments(lease.segments, start, end, READ_CHUNK);
      try {
        return await reply(ctx, status, headers, body);
      } finally {
        body.destroy();
      }
    } finally {
      lease.release();
    }
  };
}

/** `DELETE /<key>`: 204 whether or not the object existed, as COS answers. */
function deleteObject(env: EmulatorEnv, changed: () => void): Handler {
  return async (ctx) => {
    await env.objects.delete(bucketName(ctx), objectKey(ctx));
    changed();
    await reply(ctx, 204);
  };
}

/**
 * The simple object operations. `changed` is called after every write, so that the module can refresh its
 * summary.
 */
export function createObjectHandlers(
  env: EmulatorEnv,
  changed: () => void,
): Record<'PutObject' | 'GetObject' | 'HeadObject' | 'DeleteObject', Handler> {
  return {
    PutObject: putObject(env, changed),
    GetObject: serveObject(env, true),
    HeadObject: serveObject(env, false),
    DeleteObject: deleteObject(env, changed),
  };
}
