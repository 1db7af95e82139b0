import type { IncomingMessage } from 'node:http';
import type { EmulatorEnv } from '../env.js';
import { readStsParams, STS_MAX_BODY_BYTES, stsError } from '../sts/sts-request.js';
import { STS_SIGNATURE_METHODS, verifyStsSignature, type StsSignatureMethod } from '../sts/sts-signature.js';
import { header, type RequestContext } from './request-context.js';

async function readBounded(req: IncomingMessage): Promise<Buffer> {
  const tooLarge = () =>
    stsError('RequestSizeLimitExceeded', `The request body exceeds the limit of ${STS_MAX_BODY_BYTES} bytes.`);
  if (Number(req.headers['content-length'] ?? '0') > STS_MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > STS_MAX_BODY_BYTES) throw tooLarge();
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/** The request again, its (already read) body replayed to whoever iterates it. */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  return Object.create(req, {
    [Symbol.asyncIterator]: {
      value: async function* () {
        if (body.length > 0) yield body;
      },
    },
  }) as IncomingMessage;
}

/**
 * Whether an STS request carries a valid signature of a known key, checked before any fault is decided for it.
 * The signature of a Tencent Cloud API request lives in its parameters, often its form body, so that body (at most
 * {@link STS_MAX_BODY_BYTES}, as the STS handler allows) is read here and replayed to the handler, which then runs
 * every check itself and answers with the service's error for whatever is wrong.
 */
export async function stsSigned(ctx: RequestContext, env: EmulatorEnv): Promise<boolean> {
  const body = await readBounded(ctx.req);
  const writable = ctx as { req: IncomingMessage };
  const original = ctx.req;
  writable.req = replay(original, body);
  let params: Record<string, string>;
  try {
    params = await readStsParams(ctx);
  } catch {
    return false;
  } finally {
    writable.req = replay(original, body);
  }
  const { SecretId: secretId, Signature: signature } = params;
  const method = params['SignatureMethod'] ?? 'HmacSHA1';
  const record = secretId ? env.keyring.find(secretId) : undefined;
  if (!record || !signature || !(STS_SIGNATURE_METHODS as readonly string[]).includes(method)) return false;
  const signed = { method: ctx.method, host: header(ctx, 'host') ?? '', path: ctx.pathname, params };
  return verifyStsSignature(signed, record.secretKey, method as StsSignatureMethod, signature);
}
