import { expect } from 'chai';
import { SkewCorrectedClock } from '../../src/core/transport/clock.js';
import { createCrc64Hasher } from '../../src/core/upload/crc64-hasher.js';
import { crc64, formatCrc64 } from '../../src/core/upload/crc64.js';
import { uploadFingerprint } from '../../src/core/upload/multipart-session.js';
import { MultipartUpload } from '../../src/core/upload/multipart-upload.js';
import { MemoryResumeStore, resumeRecordId, type ResumeRecord } from '../../src/core/upload/resume-store.js';
import type { MultipartUploadOptions } from '../../src/core/upload/upload-options.js';
import type { UploadSnapshot, UploadStatus } from '../../src/core/upload/upload-types.js';
import type { FakeTransport, RecordedRequest, ScriptedReply } from './fake-transport.js';
import { randomBytes } from './random-bytes.js';
import { BUCKET, NOW, REGION, setup } from './service-client-setup.js';

export { BUCKET, COS_HOST, NOW, REGION } from './service-client-setup.js';

/** One mebibyte: the part size of these tests. */
export const MiB = 1024 * 1024;
/** The key the uploads write: a space, to check that paths are decoded back. */
export const KEY = 'input/clip 1.mp4';
/** The UploadId every scripted Initiate answers with. */
export const UPLOAD_ID = '1716000000a1b2c3d4e5';

/** `size` bytes of a xorshift stream: deterministic, different for each seed, no two parts alike. */
export const bytesOf = (size: number, seed = 1): Uint8Array<ArrayBuffer> => randomBytes(size, seed * 2654435761);

/** A {@link MemoryResumeStore} that logs each call, so tests can assert when records are saved and dropped. */
export class RecordingStore extends MemoryResumeStore {
  readonly log: string[] = [];

  override get(id: string): ResumeRecord | undefined {
    this.log.push('get');
    return super.get(id);
  }

  override set(id: string, record: ResumeRecord): void {
    this.log.push(`set ${record.uploadId}`);
    super.set(id, record);
  }

  override delete(id: string): void {
    this.log.push('delete');
    super.delete(id);
  }

  /** The record under `id`, read by the test (not logged). */
  peek(id: string): ResumeRecord | undefined {
    return super.get(id);
  }
}

/** What {@link uploadSetup} takes: the file's bytes (or size) and any upload option. */
export type UploadSetupOptions = Partial<MultipartUploadOptions> & {
  /** File size, for a file of {@link bytesOf}. @default 3 MiB */
  size?: number;
  /** The file's bytes. @default bytesOf(size) */
  data?: Uint8Array<ArrayBuffer>;
  /** The file's MIME type. @default 'video/mp4' */
  type?: string;
  /** The clock of the client (and of resume records' ages). @default fixed at NOW */
  now?: () => number;
};

/**
 * A `MultipartUpload` of a `File` through a scripted transport: 1 MiB parts, multipart from 1 MiB, 4 parts at once,
 * a recording memory store, a main-thread CRC-64 hasher, every progress change published. Every snapshot the
 * upload publishes is collected in `snapshots`.
 */
export function uploadSetup(options: UploadSetupOptions = {}) {
  const { size = 3 * MiB, data = bytesOf(size), type = 'video/mp4', now = () => NOW, ...overrides } = options;
  const { transport, client, authorizer } = setup({
    clock: new SkewCorrectedClock(now),
    retry: { delays: [1, 1], jitter: 0 },
  });
  const file = new File([data], 'clip 1.mp4', { type, lastModified: NOW });
  const storage = new RecordingStore();
  const base: MultipartUploadOptions = {
    client,
    file,
    key: KEY,
    partSize: MiB,
    multipartThreshold: MiB,
    concurrency: 4,
    storage,
    verify: true,
    hasher: createCrc64Hasher({ worker: false }),
    progressInterval: 0,
    ...overrides,
  };
  /** Another upload of the same file through the same client and store: a new instance, as after a reload. */
  const makeUpload = (more: Partial<MultipartUploadOptions> = {}) => new MultipartUpload({ ...base, ...more });
  const upload = makeUpload();
  const snapshots: UploadSnapshot[] = [];
  upload.subscribe((snapshot) => snapshots.push(snapshot));
  return { transport, client, authorizer, file, data, storage, upload, snapshots, makeUpload };
}

/** The engine's fingerprint of an upload of `file` with no headers but its Content-Type (the file's type). */
const fingerprintOf = (file: Blob): Promise<string> =>
  uploadFingerprint(file, { 'content-type': file.type || 'application/octet-stream' });

/** The id under which the engine keeps the resume record of `file` at {@link KEY}. */
export async function recordIdOf(file: Blob, key = KEY): Promise<string> {
  return resumeRecordId({ bucket: BUCKET, region: REGION, key, fingerprint: await fingerprintOf(file) });
}

/** The resume record the engine would have saved for `file` after initiating {@link UPLOAD_ID}. */
export async function recordOf(file: Blob, overrides: Partial<ResumeRecord> = {}): Promise<ResumeRecord> {
  return {
    version: 1,
    fingerprint: await fingerprintOf(file),
    bucket: BUCKET,
    region: REGION,
    key: KEY,
    uploadId: UPLOAD_ID,
    partSize: MiB,
    size: file.size,
    createdAt: NOW,
    ...overrides,
  };
}

/** The bytes of a request's body (a Blob slice for parts). */
export async function bodyOf(request: RecordedRequest): Promise<Uint8Array> {
  const { body } = request;
  if (body instanceof Blob) return new Uint8Array(await body.arrayBuffer());
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body === undefined) return new Uint8Array(0);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

/** Whether two byte arrays hold the same bytes (without chai's slow deep diff of megabytes). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** The `x-cos-hash-crc64ecma` value of `bytes`. */
export const crcOf = (bytes: Uint8Array): string => formatCrc64(crc64(bytes));

/** A CRC-64 header value that matches nothing these tests send. */
export const WRONG_CRC = '1234567890';

/** The scripted ETag of part `n`. */
export const partEtag = (n: number | string): string => `"etag-${n}"`;

/** `200` to InitiateMultipartUpload. */
export const initiateReply = (uploadId = UPLOAD_ID): ScriptedReply => ({
  status: 200,
  headers: { 'content-type': 'application/xml' },
  body:
    '<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult>' +
    `<Bucket>${BUCKET}</Bucket><Key>${KEY}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
});

/** How a scripted part reply reports the CRC-64: the body's, a wrong one, or none (not exposed by CORS). */
export type CrcReply = 'right' | 'wrong' | 'none';

/** `200` to an UploadPart with its ETag and, by default, the CRC-64 of the bytes received. */
export async function partReply(request: RecordedRequest, crc: CrcReply = 'right'): Promise<ScriptedReply> {
  const headers: Record<string, string> = { etag: partEtag(request.query['partNumber'] ?? '?') };
  if (crc !== 'none') headers['x-cos-hash-crc64ecma'] = crc === 'wrong' ? WRONG_CRC : crcOf(await bodyOf(request));
  return { status: 200, headers };
}

/** Answers an UploadPart as {@link partReply} does. */
export async function answerPart(request: RecordedRequest, crc: CrcReply = 'right'): Promise<void> {
  request.respondWith(await partReply(request, crc));
}

/** The ETag a scripted Complete answers with. */
export const objectEtag = (parts: number): string => `"0f343b0931126a20f133d67c2b018a3b-${parts}"`;

/** `200` to CompleteMultipartUpload, with the CRC-64 of `data` unless told otherwise. */
export function completeReply(data: Uint8Array, parts: number, crc: CrcReply = 'right'): ScriptedReply {
  const headers: Record<string, string> = { 'content-type': 'application/xml' };
  if (crc !== 'none') headers['x-cos-hash-crc64ecma'] = crc === 'wrong' ? WRONG_CRC : crcOf(data);
  return {
    status: 200,
    headers,
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult>' +
      `<Location>${BUCKET}.cos.${REGION}.myqcloud.com/${KEY}</Location><Bucket>${BUCKET}</Bucket>` +
      `<Key>${KEY}</Key><ETag>${objectEtag(parts)}</ETag></CompleteMultipartUploadResult>`,
  };
}

/** `200` to ListParts listing `parts` (each with its part ETag). */
export function listPartsReply(parts: readonly { partNumber: number; size: number }[]): ScriptedReply {
  const items = parts.map(
    ({ partNumber, size }) =>
      `<Part><PartNumber>${partNumber}</PartNumber><LastModified>2024-05-16T06:40:00.000Z</LastModified>` +
      `<ETag>&quot;etag-${partNumber}&quot;</ETag><Size>${size}</Size></Part>`,
  );
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body:
      `<ListPartsResult><Bucket>${BUCKET}</Bucket><Key>${KEY}</Key><UploadId>${UPLOAD_ID}</UploadId>` +
      `<MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>${items.join('')}</ListPartsResult>`,
  };
}

/** An error document with `status`. */
export const errorReply = (status: number, code: string, message = code): ScriptedReply => ({
  status,
  headers: { 'content-type': 'application/xml', 'x-cos-request-id': 'NjQ2MzZmZjRfYTBhZA==' },
  body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
});

/** The next `count` requests, ordered by part number (parts in flight together may be signed in any order). */
export async function nextParts(transport: FakeTransport, count: number): Promise<RecordedRequest[]> {
  const requests: RecordedRequest[] = [];
  for (let i = 0; i < count; i += 1) requests.push(await transport.nextRequest());
  return requests.sort((a, b) => Number(a.query['partNumber']) - Number(b.query['partNumber']));
}

/** Answers the next `count` requests, as they come, as UploadParts with the right CRC; their part numbers, sorted. */
export async function answerParts(transport: FakeTransport, count: number): Promise<number[]> {
  const numbers: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const request = await transport.nextRequest();
    numbers.push(Number(request.query['partNumber']));
    await answerPart(request);
  }
  return numbers.sort((a, b) => a - b);
}

/** Waits `ms` and expects that no request was sent meanwhile (none is waiting to be taken). */
export async function expectNoRequest(transport: FakeTransport, ms = 40): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  expect(transport.unclaimed, 'requests sent').to.equal(0);
}

/** The statuses the snapshots went through, each once per run of equal statuses. */
export function statusesOf(snapshots: readonly UploadSnapshot[]): UploadStatus[] {
  return snapshots.map((s) => s.status).filter((status, i, all) => i === 0 || all[i - 1] !== status);
}

/** The transferred bytes of each snapshot. */
export const transferredOf = (snapshots: readonly UploadSnapshot[]): number[] =>
  snapshots.map((s) => s.progress.transferredBytes);

/** Expects the transferred bytes never to decrease from one snapshot to the next. */
export function expectMonotonic(snapshots: readonly UploadSnapshot[]): void {
  const transferred = transferredOf(snapshots);
  transferred.forEach((bytes, i) => {
    if (i > 0) expect(bytes, `snapshot ${i} of ${transferred.join(', ')}`).to.be.at.least(transferred[i - 1]!);
  });
}

/** A short transcript line for a request: `PUT /key?partNumber=1&uploadId=…`. */
export function line(request: RecordedRequest): string {
  const query = Object.entries(request.query)
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`))
    .join('&');
  return `${request.method} ${request.path}${query === '' ? '' : `?${query}`}`;
}

/** Lets pending promise callbacks and zero-delay timers run. */
export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The lines of `requests`, the parts sent together sorted by number (they may be signed in any order). */
export const transcript = (requests: readonly RecordedRequest[]): string[] => {
  const lines = requests.map(line);
  const isPart = (text: string) => text.startsWith('PUT ');
  const order = (text: string) => Number(/partNumber=(\d+)/.exec(text)?.[1]);
  const parts = lines.filter(isPart).sort((a, b) => order(a) - order(b));
  return lines.map((text) => (isPart(text) ? parts.shift()! : text));
};

/** The UploadId a second, fresh Initiate answers with. */
export const NEW_UPLOAD_ID = '1716000999ffeeddccbb';

/** The request lines of the multipart protocol for {@link KEY}, as {@link line} prints them. */
export const lines = {
  initiate: `POST /${KEY}?uploads`,
  part: (n: number, id = UPLOAD_ID) => `PUT /${KEY}?partNumber=${n}&uploadId=${id}`,
  list: (id = UPLOAD_ID) => `GET /${KEY}?uploadId=${id}&max-parts=1000`,
  complete: (id = UPLOAD_ID) => `POST /${KEY}?uploadId=${id}`,
  abort: (id = UPLOAD_ID) => `DELETE /${KEY}?uploadId=${id}`,
  head: `HEAD /${KEY}`,
} as const;
