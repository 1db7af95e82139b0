import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { buildCompleteMultipartUpload } from '../../src/core/protocol/complete-multipart-upload.js';
import { parseInitiateMultipartUploadResult } from '../../src/core/protocol/cos-document.js';
import { Crc64, formatCrc64 } from '../../src/core/upload/crc64.js';
import type { Emulator } from '../../src/emulator/index.js';
import { permanentKeys, send, type WireResponse } from './emulator.js';

/** A part to complete an upload with. */
export interface CompletePart {
  PartNumber: number;
  ETag: string;
}

/** One mebibyte, the smallest size of a part that is not the last. */
export const MiB = 1024 * 1024;

/** CRC-64/XZ of the concatenated chunks, as `x-cos-hash-crc64ecma` writes it, computed by the core. */
export function crcOf(...chunks: Uint8Array[]): string {
  const crc = new Crc64();
  for (const chunk of chunks) crc.update(chunk);
  return formatCrc64(crc.digest());
}

/** Lowercase hex MD5. */
export const md5Hex = (bytes: Uint8Array | string): string => createHash('md5').update(bytes).digest('hex');
/** Base64 MD5, as `Content-MD5` carries it. */
export const md5Base64 = (bytes: Uint8Array | string): string => createHash('md5').update(bytes).digest('base64');

/** The S3-style multipart ETag of `parts`, computed independently of the emulator. */
export function multipartEtag(parts: readonly Uint8Array[]): string {
  const digests = Buffer.concat(parts.map((part) => createHash('md5').update(part).digest()));
  return `"${md5Hex(digests)}-${parts.length}"`;
}

/** A Complete body written by hand (no quoting or order fixes, unlike the core's builder). */
export function completeXml(parts: readonly CompletePart[]): string {
  const items = parts.map(
    (part) => `<Part><PartNumber>${part.PartNumber}</PartNumber><ETag>${part.ETag}</ETag></Part>`,
  );
  return `<CompleteMultipartUpload>${items.join('')}</CompleteMultipartUpload>`;
}

/** Signed multipart calls to one emulator with its permanent key, over real HTTP. */
export function multipartCalls(emulator: () => Emulator) {
  const cos = (
    method: string,
    key: string,
    query: Record<string, string> = {},
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<WireResponse> =>
    send(emulator(), {
      service: 'cos',
      method,
      path: `/${key}`,
      query,
      body,
      headers,
      keys: permanentKeys(emulator()),
    });
  const initiate = async (key: string, headers: Record<string, string> = {}): Promise<string> => {
    const response = await cos('POST', key, { uploads: '' }, undefined, headers);
    expect(response.status).to.equal(200);
    return parseInitiateMultipartUploadResult(response.text).UploadId;
  };
  const uploadPart = (key: string, uploadId: string, partNumber: number, body: Buffer): Promise<WireResponse> =>
    cos('PUT', key, { partNumber: String(partNumber), uploadId }, body);
  const complete = (key: string, uploadId: string, parts: CompletePart[]): Promise<WireResponse> =>
    cos('POST', key, { uploadId }, buildCompleteMultipartUpload(parts), { 'content-type': 'application/xml' });
  /** Uploads `bodies` as parts 1..n; the upload id and the parts to complete with. */
  const uploadAll = async (key: string, bodies: Buffer[]): Promise<{ uploadId: string; parts: CompletePart[] }> => {
    const uploadId = await initiate(key);
    const parts: CompletePart[] = [];
    for (const [index, body] of bodies.entries()) {
      const response = await uploadPart(key, uploadId, index + 1, body);
      expect(response.status).to.equal(200);
      parts.push({ PartNumber: index + 1, ETag: response.headers['etag'] as string });
    }
    return { uploadId, parts };
  };
  const listUploads = (query: Record<string, string>): Promise<WireResponse> =>
    cos('GET', '', { uploads: '', ...query });
  return { cos, initiate, uploadPart, complete, uploadAll, listUploads };
}
