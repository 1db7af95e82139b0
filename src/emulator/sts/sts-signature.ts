import { createHmac, timingSafeEqual } from 'node:crypto';

/** The `SignatureMethod` values of the Tencent Cloud API v1 signature; `HmacSHA1` when the parameter is absent. */
export const STS_SIGNATURE_METHODS = ['HmacSHA1', 'HmacSHA256'] as const;

/** One of {@link STS_SIGNATURE_METHODS}. */
export type StsSignatureMethod = (typeof STS_SIGNATURE_METHODS)[number];

/** What a Tencent Cloud API v1 signature covers. */
export interface StsSignable {
  /** `POST` or `GET`, as sent. */
  method: string;
  /** The request's `Host`, with its port when it has one (`sts.localhost:8700`). */
  host: string;
  /** The request path, `/` for STS. */
  path: string;
  /**
   * Every request parameter but `Signature`, with the values the server decoded from the form body or the query
   * string (so `Policy` is still URL-encoded once, as `qcloud-cos-sts` sends it encoded twice).
   */
  params: Readonly<Record<string, string>>;
}

/**
 * The text a Tencent Cloud API v1 signature is computed over:
 * `<METHOD><host><path>?<k1>=<v1>&<k2>=<v2>...`, parameters sorted by name, values not encoded, `Signature` left out.
 */
export function stsStringToSign({ method, host, path, params }: StsSignable): string {
  const pairs = Object.keys(params)
    .filter((name) => name !== 'Signature')
    .sort()
    .map((name) => `${name}=${params[name] ?? ''}`);
  return `${method.toUpperCase()}${host}${path}?${pairs.join('&')}`;
}

/** The base64 `Signature` of a request: HMAC-SHA1 (default) or HMAC-SHA256 of {@link stsStringToSign} with the key. */
export function signStsRequest(
  request: StsSignable,
  secretKey: string,
  signatureMethod: StsSignatureMethod = 'HmacSHA1',
): string {
  const algorithm = signatureMethod === 'HmacSHA256' ? 'sha256' : 'sha1';
  return createHmac(algorithm, secretKey).update(stsStringToSign(request), 'utf8').digest('base64');
}

/**
 * Whether `signature` (base64, as received) is the one `secretKey` gives the request. A `+` that a lax client left
 * unencoded in a query string arrives as a space; it is read back as `+`.
 */
export function verifyStsSignature(
  request: StsSignable,
  secretKey: string,
  signatureMethod: StsSignatureMethod,
  signature: string,
): boolean {
  const expected = Buffer.from(signStsRequest(request, secretKey, signatureMethod));
  const received = Buffer.from(signature.replaceAll(' ', '+'));
  return expected.length === received.length && timingSafeEqual(expected, received);
}
