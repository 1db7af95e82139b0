import { TranscoderError, type Phase } from '../errors.js';
import type { ServiceResponse } from '../transport/service-client.js';
import { formatCrc64, parseCrc64 } from './crc64.js';
import type { UploadSettings } from './upload-options.js';
import type { UploadResult } from './upload-types.js';

/** The response header carrying the CRC-64 of what the service stored. */
export const CRC64_HEADER = 'x-cos-hash-crc64ecma';

/**
 * Compares the service's `x-cos-hash-crc64ecma` with `local`. Returns `'match'`, `'mismatch'` (a malformed value
 * included: something between the service and the page changed it), or `'unknown'` when the header is absent (not
 * exposed by the bucket's CORS rule).
 */
export function compareCrc64(response: ServiceResponse, local: bigint): 'match' | 'mismatch' | 'unknown' {
  const text = response.headers[CRC64_HEADER];
  if (text === undefined) return 'unknown';
  return parseCrc64(text.trim()) === local ? 'match' : 'mismatch';
}

/** The `integrity` error for bytes the service stored differently from what was read here. */
export function integrityError(
  what: string,
  local: bigint,
  response: ServiceResponse,
  phase: Phase,
  attempts = 1,
): TranscoderError {
  const remote = response.headers[CRC64_HEADER] ?? '';
  return new TranscoderError(
    `${what}: the service stored bytes whose CRC-64 (${/^\d{1,20}$/.test(remote) ? remote : 'unreadable'}) ` +
      `differs from the file's (${formatCrc64(local)})`,
    {
      code: 'integrity',
      phase,
      status: response.status,
      ...(response.requestId === undefined ? {} : { requestId: response.requestId }),
      attempts,
    },
  );
}

/** The `ETag` header, which the bucket's CORS rule must expose; its absence is an `invalid-response` error. */
export function requireEtag(response: ServiceResponse, operation: string, phase: Phase): string {
  const etag = response.headers['etag'];
  if (etag) return etag;
  throw new TranscoderError(
    `${operation} answered without a readable ETag: add "ETag" to the bucket's CORS ExposeHeader`,
    { code: 'invalid-response', phase, status: response.status },
  );
}

/** How the object was made, for {@link verifiedResult}. */
export interface MadeObject {
  /** The request that stored the object and reported its CRC-64, for messages: `PutObject`. */
  readonly operation: string;
  readonly phase: Phase;
  readonly etag: string;
  /** The multipart upload's id; absent for a single `PUT`. */
  readonly uploadId?: string;
  readonly resumedParts: number;
}

/**
 * The {@link UploadResult} of an object the service stored, once its `x-cos-hash-crc64ecma` is checked against the
 * file's CRC-64 `local` (when computed). Throws the `integrity` error when they differ.
 */
export function verifiedResult(
  settings: UploadSettings,
  response: ServiceResponse,
  local: bigint | undefined,
  made: MadeObject,
): UploadResult {
  const { client, key, file } = settings;
  let verified = false;
  if (local !== undefined) {
    const check = compareCrc64(response, local);
    if (check === 'mismatch') {
      throw integrityError(`${made.operation} of ${JSON.stringify(key)}`, local, response, made.phase);
    }
    verified = check === 'match';
  }
  return {
    bucket: client.bucket,
    region: client.region,
    key,
    location: client.urlFor({ service: 'cos', key }),
    size: file.size,
    etag: made.etag,
    ...(local === undefined ? {} : { crc64: formatCrc64(local) }),
    verified,
    // The hasher is still open here (an upload closes the one it made after this): it says where it ran.
    hashing: local === undefined ? 'off' : settings.hasher?.offMainThread ? 'worker' : 'main-thread',
    multipart: made.uploadId !== undefined,
    ...(made.uploadId === undefined ? {} : { uploadId: made.uploadId }),
    resumedParts: made.resumedParts,
  };
}
