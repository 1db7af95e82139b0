// The uploaders the side-by-side bench runs in the page (bench/upload-page.ts dispatches to them), each given the
// same picked File and the same STS credentials from the example host backend (/api/credentials), each counting the
// calls of its signing callback:
// - cos-js-sdk-v5's `uploadFile` with its defaults (1 MiB parts, 3 at once, no checksum);
// - cos-js-sdk-v5's `sliceUploadFile` with our part size and concurrency (`ChunkSize`, `ChunkParallelLimit`); it
//   verifies nothing unless told (`UploadCheckContentMd5`), so it is left at that;
// - one raw `XMLHttpRequest` PUT of the whole File, signed with our core's `CredentialProvider`: the path's limit.
// Every XMLHttpRequest the page opens is counted (the counter below wraps `open`), ours included.
//
// cos-js-sdk-v5 needs nothing unusual against the emulator: `Domain` set to the emulator's host template and
// `Protocol: 'http:'`. Its multipart uploads start with `GET /?uploads&prefix=<key>` (ListMultipartUploads, looking
// for an upload to resume), so its credentials must grant `name/cos:ListMultipartUploads`: /api/credentials does;
// the widget's own policy (/api/sts) does not, and there the emulator refuses that request (403), as COS does.
import COS from 'cos-js-sdk-v5';
import { CredentialProvider } from '../src/core/index.js';

/** The host page's configuration, from `/api/config`. */
export interface HostConfig {
  bucket: string;
  region: string;
  protocol: 'http' | 'https';
  domains: { cos: string; ci: string };
}

/** One run of a contender: the file, where it goes, and how to count its signing callback. */
export interface ContenderRun {
  config: HostConfig;
  file: File;
  key: string;
  /** Our engine's part size and concurrency for this file, for the tuned cos-js-sdk-v5 run. */
  partSize: number;
  concurrency: number;
  /** Counts one call of the contender's signing callback. */
  onSign: () => void;
}

/** What a contender reports of one upload. */
export interface ContenderResult {
  etag: string;
}

let opened = 0;
const open = XMLHttpRequest.prototype.open;
// Counts every request the page's XHRs send, whoever opens them (an SDK keeps no count of its own).
XMLHttpRequest.prototype.open = function (this: XMLHttpRequest, ...args: Parameters<typeof open>) {
  opened += 1;
  return open.apply(this, args);
} as typeof open;

/** XMLHttpRequests opened in the page so far. */
export const xhrCount = (): number => opened;

/** STS credentials in the form both our `getAuthorization` and cos-js-sdk-v5's callback take. */
export async function fetchCredentials(): Promise<COS.Credentials> {
  const response = await fetch('/api/credentials');
  if (!response.ok) throw new Error(`/api/credentials answered ${response.status}`);
  return (await response.json()) as COS.Credentials;
}

/** A cos-js-sdk-v5 client pointed at the emulator, signing with STS credentials from the host backend. */
function cosSdk(run: ContenderRun, options: Partial<COS.COSOptions> = {}): COS {
  return new COS({
    ...options,
    // `{Bucket}.cos.{Region}.localhost:<port>`: the SDK fills the same placeholders as our `domains` option.
    Domain: run.config.domains.cos,
    Protocol: `${run.config.protocol}:`,
    getAuthorization: (_options, callback) => {
      run.onSign();
      fetchCredentials().then(callback, (error: unknown) => console.error(error));
    },
  });
}

const etagOf = (data: { ETag?: string; headers?: Record<string, string> }): string =>
  data.ETag ?? data.headers?.['etag'] ?? '';

/** cos-js-sdk-v5 `uploadFile` with every option at its default. */
export async function sdkDefaults(run: ContenderRun): Promise<ContenderResult> {
  const { bucket: Bucket, region: Region } = run.config;
  const data = await cosSdk(run).uploadFile({ Bucket, Region, Key: run.key, Body: run.file });
  return { etag: etagOf(data as { ETag?: string }) };
}

/** cos-js-sdk-v5 `sliceUploadFile` with our part size and concurrency. */
export async function sdkTuned(run: ContenderRun): Promise<ContenderResult> {
  const { bucket: Bucket, region: Region } = run.config;
  const cos = cosSdk(run, { ChunkParallelLimit: run.concurrency, ChunkSize: run.partSize });
  const data = await cos.sliceUploadFile({ Bucket, Region, Key: run.key, Body: run.file, ChunkSize: run.partSize });
  return { etag: etagOf(data as { ETag?: string }) };
}

/** One XMLHttpRequest PUT of the whole file, signed by our core with the same STS credentials. */
export async function rawPut(run: ContenderRun): Promise<ContenderResult> {
  const { bucket, region, protocol, domains } = run.config;
  const host = domains.cos.replace('{Bucket}', bucket).replace('{Region}', region);
  const provider = new CredentialProvider({
    getAuthorization: () => {
      run.onSign();
      return fetchCredentials();
    },
  });
  const pathname = `/${run.key}`;
  const signed = await provider.authorize({
    method: 'PUT',
    host,
    pathname,
    query: {},
    headers: { host },
    bucket,
    region,
    key: run.key,
    service: 'cos',
    action: 'name/cos:PutObject',
  });
  const xhr = new XMLHttpRequest();
  // Keys are `bench/<letters, digits and dashes>.bin`: nothing to encode.
  xhr.open('PUT', `${protocol}://${host}${pathname}`);
  xhr.setRequestHeader('authorization', signed.authorization);
  if (signed.securityToken) xhr.setRequestHeader('x-cos-security-token', signed.securityToken);
  await new Promise<void>((resolve, reject) => {
    xhr.onload = () => {
      if (xhr.status === 200) resolve();
      else reject(new Error(`PUT answered ${xhr.status}: ${xhr.responseText}`));
    };
    xhr.onerror = () => reject(new Error('PUT failed (network)'));
    xhr.send(run.file);
  });
  return { etag: xhr.getResponseHeader('etag') ?? '' };
}
