import { TranscoderError, isTranscoderError } from '../errors.js';
import { parseAuthorization } from '../signing/authorization.js';
import type { Authorizer } from '../signing/types.js';
import { SECURITY_TOKEN_HEADER } from './headers.js';
import { requestPathname } from './endpoint.js';
import type { ServiceClient } from './service-client.js';

/** Options of {@link createSignedObjectUrl}. */
export interface SignedObjectUrlOptions {
  /** Aborts the signing; the call then rejects with `aborted`. */
  signal?: AbortSignal;
}

/**
 * A signed `GET` URL of an object of `client`'s bucket, for a `<video src>` or a download link: the signature goes
 * in the query (`q-sign-algorithm`, `q-ak`, `q-sign-time`, `q-key-time`, `q-header-list=host`, `q-url-param-list`,
 * `q-signature`), followed by `x-cos-security-token` when the signature was made with temporary credentials, as
 * the COS SDKs' `getObjectUrl` writes it.
 *
 * It is signed through `authorizer` like any request: the host's `getAuthorization` receives action
 * `name/cos:GetObject`, method `GET`, the object's host and pathname, and only the `host` header, so that a host
 * checking its policy sees exactly what the URL allows. The URL is valid for the signature's key time (the
 * authorizer's signature lifetime, or what a host that signs on its server decided).
 *
 * @throws {TranscoderError} `invalid-request` for an invalid key; `sign-failed` when the authorizer fails or
 * returns no usable signature; `aborted` when `signal` aborts.
 *
 * @example
 * ```ts
 * video.src = await createSignedObjectUrl(client, authorizer, 'output/clip.mp4');
 * ```
 */
export async function createSignedObjectUrl(
  client: ServiceClient,
  authorizer: Authorizer,
  key: string,
  options: SignedObjectUrlOptions = {},
): Promise<string> {
  const pathname = requestPathname({ key });
  const url = new URL(client.urlFor({ service: 'cos', key }));
  const { signal } = options;
  let signed: Awaited<ReturnType<Authorizer['authorize']>>;
  try {
    signed = await authorizer.authorize(
      {
        method: 'GET',
        host: url.host,
        pathname,
        query: {},
        headers: { host: url.host },
        bucket: client.bucket,
        region: client.region,
        key,
        service: 'cos',
        action: 'name/cos:GetObject',
      },
      signal ? { signal } : {},
    );
  } catch (caught) {
    if (isTranscoderError(caught)) throw caught;
    throw new TranscoderError('Could not sign the GetObject URL: the authorizer failed', {
      code: 'sign-failed',
      phase: 'sign',
      cause: caught,
    });
  }
  // A signed URL carries the signature as query fields: only a v5 signature can be put there.
  if (typeof signed?.authorization !== 'string' || !parseAuthorization(signed.authorization)) {
    throw new TranscoderError('Could not sign the GetObject URL: the authorizer returned no COS v5 signature', {
      code: 'sign-failed',
      phase: 'sign',
    });
  }
  const token = signed.securityToken ? `&${SECURITY_TOKEN_HEADER.cos}=${encodeURIComponent(signed.securityToken)}` : '';
  return `${url.origin}${url.pathname}?${signed.authorization}${token}`;
}
