// The page of the browser upload bench (bench/upload-browser.ts and bench/side-by-side.ts drive it): our
// `MultipartUpload` with its defaults (the worker-backed CRC-64 hasher, XhrTransport) or one of the other contenders
// (bench/contenders-page.ts), against the emulator on other origins, with STS credentials from the example host
// backend (/api/credentials), as a host page would use them. Every run builds its own client, so that each pays
// for its own credentials and its signing callback calls can be counted.
import { CredentialProvider, ServiceClient, XhrTransport } from '../src/core/index.js';
import { createCrc64Hasher } from '../src/core/upload/crc64-hasher.js';
import { MultipartUpload } from '../src/core/upload/multipart-upload.js';
import { DEFAULT_PART_SIZE, planPartSize } from '../src/core/upload/part-plan.js';
import { MemoryResumeStore } from '../src/core/upload/resume-store.js';
import { DEFAULT_CONCURRENCY } from '../src/core/upload/upload-options.js';
import { UploadStatus } from '../src/core/upload/upload-types.js';
import { fetchCredentials, rawPut, sdkDefaults, sdkTuned, xhrCount } from './contenders-page.js';
import type { ContenderRun, HostConfig } from './contenders-page.js';

/** Who uploads: our engine, cos-js-sdk-v5 (defaults, or tuned to our parts), or one raw XHR PUT. */
export type Contender = 'ours' | 'cos-sdk' | 'cos-sdk-tuned' | 'xhr-put';

/**
 * One upload the driver asks for. The bytes are the `File` the driver put in the page's `<input type="file">`, as a
 * user picks one: in-memory Blobs of a few hundred MiB fail in headless Chromium (`net::ERR_BLOB_OUT_OF_MEMORY`,
 * `NotReadableError`; seen from 256 MiB here), and a picked file is what the widget uploads anyway.
 */
export interface RunOptions {
  /** Bytes of the picked file (checked). */
  size: number;
  /** @default 'ours' */
  contender?: Contender;
  /** Ours only: preferred part size in bytes; the engine's default when absent. */
  partSize?: number;
  /** Ours only: parts in flight; the engine's default when absent. */
  concurrency?: number;
  /** Ours only: CRC-64 checks; the engine's default (on) when absent. */
  verify?: boolean;
  /** Ours only: size from which the file goes up in parts; the engine's default when absent. */
  multipartThreshold?: number;
  /** Where the object's key starts, so that an emulator fault can name these uploads alone. @default 'bench/' */
  keyPrefix?: string;
}

/** What one upload measured and made. */
export interface RunResult {
  contender: Contender;
  /** Milliseconds from the uploader's start (client built, no credentials yet) to its result. */
  ms: number;
  /** Ours only: milliseconds of that spent completing, from the last part's acknowledgement; else 0. */
  completeMs: number;
  /** Bytes the uploader says it sent (ours: its result; others: the file's size). The driver checks the object. */
  bytes: number;
  /** Ours only: whether it went multipart; others: `undefined`. */
  multipart: boolean | undefined;
  /** Whether the uploader checked the stored bytes (ours: CRC-64; the others never). */
  verified: boolean;
  etag: string;
  key: string;
  /** Calls of the signing callback (`getAuthorization`) during the run. */
  signingCalls: number;
  /** XMLHttpRequests the page opened during the run (CORS preflights and the credentials' fetch not included). */
  requests: number;
}

declare global {
  interface Window {
    /** Uploads the picked file of `options.size` bytes to a fresh key and reports the time it took. */
    runUpload(options: RunOptions): Promise<RunResult>;
    /** Milliseconds the default CRC-64 hasher takes over the picked file in `partSize` slices, without uploading. */
    runHash(options: { size: number; partSize: number }): Promise<number>;
  }
}

let config: Promise<HostConfig> | undefined;

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

/** What an uploader itself reports; the page adds the time, the key and the counts. */
type Outcome = Pick<RunResult, 'completeMs' | 'bytes' | 'multipart' | 'verified' | 'etag'>;

/** Ours: `MultipartUpload` on a fresh `ServiceClient`, with the options given and defaults for the rest. */
async function runOurs(run: ContenderRun, options: RunOptions): Promise<Outcome> {
  const { config: host } = run;
  const client = new ServiceClient({
    transport: new XhrTransport(),
    authorizer: new CredentialProvider({
      getAuthorization: () => {
        run.onSign();
        return fetchCredentials();
      },
    }),
    bucket: host.bucket,
    region: host.region,
    protocol: host.protocol,
    domains: host.domains,
  });
  const upload = new MultipartUpload({
    client,
    file: run.file,
    key: run.key,
    storage: new MemoryResumeStore(),
    ...(options.partSize === undefined ? {} : { partSize: options.partSize }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.verify === undefined ? {} : { verify: options.verify }),
    ...(options.multipartThreshold === undefined ? {} : { multipartThreshold: options.multipartThreshold }),
  });
  let completing: number | undefined;
  upload.subscribe(({ status }) => {
    if (status === UploadStatus.Completing) completing ??= performance.now();
  });
  const result = await upload.start();
  const completeMs = completing === undefined ? 0 : performance.now() - completing;
  return { completeMs, bytes: result.size, multipart: result.multipart, verified: result.verified, etag: result.etag };
}

window.runUpload = async (options) => {
  const { size, contender = 'ours', keyPrefix = 'bench/' } = options;
  config ??= fetch('/api/config').then((response) => response.json() as Promise<HostConfig>);
  let signingCalls = 0;
  // The file and the uploader live only in this call, so that the next run's heap baseline does not hold them.
  const run: ContenderRun = {
    config: await config,
    file: takePickedFile(size),
    key: uniqueKey(keyPrefix, size),
    partSize: planPartSize(size, options.partSize ?? DEFAULT_PART_SIZE),
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    onSign: () => void (signingCalls += 1),
  };
  const requestsBefore = xhrCount();
  const started = performance.now();
  const outcome =
    contender === 'ours'
      ? await runOurs(run, options)
      : {
          completeMs: 0,
          bytes: size,
          multipart: undefined,
          verified: false,
          ...(await { 'cos-sdk': sdkDefaults, 'cos-sdk-tuned': sdkTuned, 'xhr-put': rawPut }[contender](run)),
        };
  const ms = performance.now() - started;
  return { contender, ms, key: run.key, signingCalls, requests: xhrCount() - requestsBefore, ...outcome };
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
