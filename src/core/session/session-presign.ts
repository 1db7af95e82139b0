import * as z from 'zod/mini';
import { abortSignal, checked, parseOptions, wholeNumber } from '../options.js';
import { CredentialProvider } from '../signing/credential-provider.js';
import type { Authorizer } from '../signing/types.js';
import { createSignedObjectUrl } from '../transport/signed-url.js';
import type { SessionSettings } from './session-options.js';
import type { PresignOptions, PresignTarget } from './session-types.js';

/** The longest lifetime of a presigned URL: 12 hours, as COS's console allows. */
const MAX_EXPIRES_SECONDS = 43_200;

const nonEmpty = (rule: string) => checked<string>((value) => typeof value === 'string' && value !== '', rule);

const PresignSchema = z.object({
  object: z.object({
    bucket: z.optional(nonEmpty('must be a bucket name')),
    region: z.optional(nonEmpty('must be a region name')),
    key: checked<string>(
      (value) => typeof value === 'string' && value !== '' && !value.startsWith('/'),
      'must be a non-empty object key without a leading "/"',
    ),
  }),
  options: z.object({
    expiresSeconds: z.optional(wholeNumber(60, MAX_EXPIRES_SECONDS)),
    signal: z.optional(abortSignal),
  }),
});

/**
 * Signers of presigned URLs with a chosen lifetime, per session and lifetime: a credential provider over the same
 * host callback and clock, whose signature lifetime is that of the URL.
 */
const presigners = new WeakMap<SessionSettings, Map<number, Authorizer>>();

function signerFor(settings: SessionSettings, expiresSeconds: number | undefined): Authorizer {
  const { getAuthorization, client } = settings;
  if (expiresSeconds === undefined || !getAuthorization) return settings.authorizer;
  let bySeconds = presigners.get(settings);
  if (!bySeconds) presigners.set(settings, (bySeconds = new Map()));
  let signer = bySeconds.get(expiresSeconds);
  if (!signer) {
    signer = new CredentialProvider({ getAuthorization, clock: client.clock, signatureLifetime: expiresSeconds });
    bySeconds.set(expiresSeconds, signer);
  }
  return signer;
}

/**
 * A session's signed `GET` URL of `object` (see {@link createSignedObjectUrl}), of the session's bucket unless
 * another is named.
 *
 * @throws {TranscoderError} `invalid-options` for a bad target or lifetime; the signing's errors otherwise.
 */
export async function presignObjectUrl(
  settings: SessionSettings,
  object: PresignTarget,
  options: PresignOptions,
): Promise<string> {
  parseOptions(PresignSchema, { object, options }, 'presign');
  const { client } = settings;
  const bucket = object.bucket ?? client.bucket;
  const region = object.region ?? client.region;
  const target = bucket === client.bucket && region === client.region ? client : settings.clientFor(bucket, region);
  const { signal } = options;
  const signer = signerFor(settings, options.expiresSeconds);
  return createSignedObjectUrl(target, signer, object.key, signal ? { signal } : {});
}
