// The page of the browser upload bench (bench/upload-browser.ts drives it): `MultipartUpload` with the default
// worker-backed CRC-64 hasher and XhrTransport, against the emulator on other origins, with STS credentials from the
// example host backend (/api/credentials), as a host page would use it.
import { CredentialProvider, ServiceClient, XhrTransport } from '../src/core/index.js';
import { createCrc64Hasher } from '../src/core/upload/crc64-hasher.js';
import { MultipartUpload } from '../src/core/upload/multipart-upload.js';
import { MemoryResumeStore } from '../src/core/upload/resume-store.js';
import { UploadStatus } from '../src/core/upload/upload-types.js';

/**
 * One upload the driver asks for. The bytes are the `File` the driver put in the page's `<input type="file">`, as a
 * user picks one: in-memory Blobs of a few hundred MiB fail in headless Chromium (`net::ERR_BLOB_OUT_OF_MEMORY`,
 * `NotReadableError`; seen from 256 MiB here), and a picked file is what the widget uploads anyway.
 */
export interface RunOptions {
  /** Bytes of the picked file (checked). */
  size: number;
  /** Preferred part size in bytes; the engine's default when absent. */
  partSize?: number;
  /** Parts in flight; the engine's default when absent. */
  concurrency?: number;
  /** CRC-64 checks; the engine's default (on) when absent. */
  verify?: boolean;
  /** Where the object's key starts, so that an emulator fault can name these uploads alone. @default 'bench/' */
  keyPrefix?: string;
}

/** What one upload measured and made. */
export interface RunResult {
  /** Milliseconds from `start()` to its result. */
  ms: number;
  /** Milliseconds of that spent completing: from the last part's acknowledgement (CompleteMultipartUpload). */
  completeMs: number;
  bytes: number;
  multipart: boolean;
  verified: boolean;
  etag: string;
  key: string;
}

interface HostConfig {
  bucket: string;
  region: string;
  protocol: 'http' | 'https';
  domains: { cos: string; ci: string };
}

declare global {
  interface Window {
    /** Uploads the picked file of `options.size` bytes to a fresh key and reports the time it took. */
    runUpload(options: RunOptions): Promise<RunResult>;
    /** Milliseconds the default CRC-64 hasher takes over the picked file in `partSize` slices, without uploading. */
    runHash(options: { size: number; partSize: number }): Promise<number>;
  }
}

let client: Promise<ServiceClient> | undefined;

async function createClient(): Promise<ServiceClient> {
  const config = (await (await fetch('/api/config')).json()) as HostConfig;
  return new ServiceClient({
    transport: new XhrTransport(),
    authorizer: new CredentialProvider({ getAuthorization: () => fetch('/api/credentials').then((r) => r.json()) }),
    bucket: config.bucket,
    region: config.region,
    protocol: config.protocol,
    domains: config.domains,
  });
}

/** The file the driver picked, taken out of the input so that the page keeps no reference to it after the run. */
function takePickedFile(size: number): File {
  const input = document.querySelector<HTMLInputElement>('input[type="file"]');
  if (!input) throw new Error('The bench page has no file input');
  const file = input.files?.[0];
  input.value = '';
  if (!file || file.size !== size) throw new Error(`Expected a picked file of ${size} bytes, got ${file?.size ?? 'none'}`);
  return file;
}

const uniqueKey = (prefix: string, size: number): string =>
  `${prefix}${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${size}.bin`;

window.runUpload = async ({ size, partSize, concurrency, verify, keyPrefix = 'bench/' }) => {
  client ??= createClient();
  const key = uniqueKey(keyPrefix, size);
  // The file and the upload live only in this call, so that the next run's heap baseline does not hold them.
  const upload = new MultipartUpload({
    client: await client,
    file: takePickedFile(size),
    key,
    storage: new MemoryResumeStore(),
    ...(partSize === undefined ? {} : { partSize }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(verify === undefined ? {} : { verify }),
  });
  let completing: number | undefined;
  upload.subscribe(({ status }) => {
    if (status === UploadStatus.Completing) completing ??= performance.now();
  });
  const started = performance.now();
  const result = await upload.start();
  const ended = performance.now();
  const completeMs = completing === undefined ? 0 : ended - completing;
  const { size: bytes, multipart, verified, etag } = result;
  return { ms: ended - started, completeMs, bytes, multipart, verified, etag, key };
};

window.runHash = async ({ size, partSize }) => {
  const file = takePickedFile(size);
  const hasher = createCrc64Hasher();
  try {
    const started = performance.now();
    const hashes: Promise<bigint>[] = [];
    for (let at = 0; at < size; at += partSize) hashes.push(hasher.hash(file.slice(at, at + partSize)));
    await Promise.all(hashes);
    return performance.now() - started;
  } finally {
    hasher.close();
  }
};
