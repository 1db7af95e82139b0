import { rm } from 'node:fs/promises';
import type { EmulatorEnv, IngestResult } from '../env.js';
import { serviceError } from '../errors.js';
import { header, type RequestContext } from '../http/request-context.js';

/** A request whose client went away: there is nobody to answer, the connection has been destroyed. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}

/**
 * The declared body length of an upload. COS needs it: a request without `Content-Length`, or sent with
 * `Transfer-Encoding: chunked`, is answered 411 `MissingContentLength`.
 */
export function requireContentLength(ctx: Pick<RequestContext, 'req'>): number {
  const length = header(ctx, 'content-length');
  if (length === undefined || header(ctx, 'transfer-encoding') !== undefined) {
    throw serviceError('MissingContentLength', 'You must provide the Content-Length HTTP header.');
  }
  if (!/^\d+$/.test(length) || !Number.isSafeInteger(Number(length))) {
    throw serviceError('InvalidArgument', 'The Content-Length header is not a valid length.');
  }
  return Number(length);
}

/**
 * The binary MD5 a `Content-MD5` header declares (base64 of 16 bytes), or `undefined` when absent. Anything else is
 * 400 `InvalidDigest`, answered before the body is read.
 */
export function declaredMd5(ctx: Pick<RequestContext, 'req'>): Buffer | undefined {
  const value = header(ctx, 'content-md5');
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]{22}==$/.test(value.trim())) {
    throw serviceError('InvalidDigest', 'The Content-MD5 you specified is not valid.');
  }
  return Buffer.from(value.trim(), 'base64');
}

/** Throws 400 `BadDigest` when a declared MD5 differs from the body's. */
export function checkMd5(declared: Buffer | undefined, md5Hex: string): void {
  if (declared !== undefined && declared.toString('hex') !== md5Hex) {
    throw serviceError('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
}

const tooLarge = (maxBytes: number) =>
  serviceError('EntityTooLarge', `Your proposed upload exceeds the maximum allowed size of ${maxBytes} bytes.`);

/**
 * Streams the request body to `file` through the ingestor (MD5, CRC-64, bandwidth fault), failing as COS does:
 * 400 `IncompleteBody` for a body shorter or longer than declared, 400 `EntityTooLarge` past `maxBytes`. When the
 * client went away, the connection is destroyed and a {@link ClientGoneError} thrown. No file is left on failure.
 */
export async function ingestBody(
  env: EmulatorEnv,
  ctx: RequestContext,
  file: string,
  options: { expectedLength: number; maxBytes: number },
): Promise<IngestResult> {
  if (options.expectedLength > options.maxBytes) {
    throw tooLarge(options.maxBytes);
  }
  try {
    return await env.ingestor.ingest(ctx.req, file, {
      ...options,
      ...(ctx.throttle ? { throttle: ctx.throttle } : {}),
    });
  } catch (error) {
    await rm(file, { force: true });
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'RequestAborted' || ctx.req.socket.destroyed) {
      ctx.res.destroy();
      throw new ClientGoneError('The client went away during the upload', { cause: error });
    }
    if (code === 'IncompleteBody') {
      const message = 'You did not provide the number of bytes specified by the Content-Length HTTP header.';
      throw serviceError('IncompleteBody', message);
    }
    if (code === 'EntityTooLarge') {
      throw tooLarge(options.maxBytes);
    }
    throw error;
  }
}

/**
 * Reads a small request body (an XML document) into memory. Past `limit` bytes it stops reading and fails with
 * `tooLarge` (the server drains the rest); a client that goes away gives a {@link ClientGoneError}.
 */
export function readSmallBody(
  ctx: Pick<RequestContext, 'req' | 'res'>,
  limit: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const { req } = ctx;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (error: Error | undefined): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onClose);
      if (error) {
        req.pause();
        reject(error);
      } else {
        resolve(Buffer.concat(chunks));
      }
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > limit) finish(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onGone = (): void => {
      ctx.res.destroy();
      finish(new ClientGoneError('The client went away while sending the request'));
    };
    const onClose = (): void => {
      if (!req.complete) onGone();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onClose);
  });
}
