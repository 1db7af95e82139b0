import { EmulatorError } from '../errors.js';
import { header, type RequestContext } from '../http/request-context.js';

/** Largest STS request body accepted, in bytes. */
export const STS_MAX_BODY_BYTES = 64 * 1024;

/**
 * An error of the Tencent Cloud API, answered as `{"Response":{"Error":{"Code","Message"},"RequestId"}}`. Its HTTP
 * status is 200, as the cloud API answers every error it could parse the request of (the pipeline's JSON error
 * reply carries the status of the {@link EmulatorError}).
 */
export function stsError(code: string, message: string): EmulatorError {
  return new EmulatorError(200, code, message);
}

async function readBody(ctx: RequestContext): Promise<string> {
  const declared = Number(header(ctx, 'content-length') ?? '0');
  const tooLarge = () =>
    stsError('RequestSizeLimitExceeded', `The request body exceeds the limit of ${STS_MAX_BODY_BYTES} bytes.`);
  if (declared > STS_MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > STS_MAX_BODY_BYTES) throw tooLarge();
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The parameters of a Tencent Cloud API request: the `application/x-www-form-urlencoded` body of a POST, or the
 * query string of a GET (or of a POST with an empty body), decoded once; for a repeated name, the last value wins.
 */
export async function readStsParams(ctx: RequestContext): Promise<Record<string, string>> {
  const params: Record<string, string> = {};
  if (ctx.method === 'POST') {
    const type = (header(ctx, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const body = await readBody(ctx);
    if (body !== '') {
      if (type !== '' && type !== 'application/x-www-form-urlencoded') {
        throw stsError(
          'InvalidParameter',
          'With the HmacSHA1 / HmacSHA256 signature, a POST body must be application/x-www-form-urlencoded.',
        );
      }
      for (const [name, value] of new URLSearchParams(body)) params[name] = value;
      return params;
    }
  }
  for (const [name, value] of ctx.query) params[name] = value;
  return params;
}
