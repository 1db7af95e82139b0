import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createAuthorization } from '../../src/core/signing/authorization.js';
import { encodeKeyPath } from '../../src/core/signing/encode.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import type { EmulatorOptions } from '../../src/emulator/options.js';
import { signStsRequest } from '../../src/emulator/sts/sts-signature.js';

export const APP_ID = '1250000000';
export const BUCKET = `examplebucket-${APP_ID}`;
export const REGION = 'ap-guangzhou';

/**
 * An emulator on a free port with fast jobs and callbacks, for tests. Close it in `after`. Jobs copy their input
 * (`media: { mode: 'copy' }`): protocol tests rely on `jobs.runMs` timing and copied bytes; media tests pass
 * `media` to encode.
 */
export function startTestEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({
    appId: APP_ID,
    buckets: [BUCKET],
    region: REGION,
    media: { mode: 'copy' },
    jobs: { queueDelayMs: 50, runMs: 200, progressSteps: 2 },
    callbacks: { retryDelayMs: 50, timeoutMs: 2000 },
    ...options,
  });
}

/** Keys to sign with: the emulator's permanent key, or STS temporary ones (with their token). */
export interface SigningKeys {
  secretId: string;
  secretKey: string;
  token?: string;
}

export const permanentKeys = (emulator: Emulator): SigningKeys => ({
  secretId: emulator.endpoints.secretId,
  secretKey: emulator.endpoints.secretKey,
});

/** One request to the emulator, described at the wire level. */
export interface WireRequest {
  service: 'cos' | 'ci' | 'sts' | 'base';
  method: string;
  /** The decoded path (`/input/a b.mp4`, `/jobs`); it is encoded on the wire like the SDKs do. */
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  bucket?: string;
  region?: string;
  /** Sign with these keys; unsigned when absent. */
  keys?: SigningKeys;
  /** Signature window; defaults to now-1 .. now+900 by the local clock. */
  keyTime?: { start: number; end: number };
  /** Headers to leave out of the signature (still sent). */
  unsigned?: string[];
  /** Put the token in this header. @default x-cos-security-token for COS, x-ci-security-token for CI */
  tokenHeader?: string;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

export function hostFor(emulator: Emulator, service: WireRequest['service'], bucket = BUCKET, region = REGION): string {
  const port = emulator.endpoints.port;
  if (service === 'sts') return `sts.localhost:${port}`;
  if (service === 'base') return `localhost:${port}`;
  return `${bucket}.${service}.${region}.localhost:${port}`;
}

/** Sends one request to the emulator over real HTTP (to 127.0.0.1 with the service's `Host`). */
export async function send(emulator: Emulator, wire: WireRequest): Promise<WireResponse> {
  const host = hostFor(emulator, wire.service, wire.bucket, wire.region);
  const path = wire.path ?? '/';
  const query = wire.query ?? {};
  const headers: Record<string, string> = { host, ...wire.headers };
  const body = wire.body === undefined ? undefined : Buffer.from(wire.body);
  if (body !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
  if (wire.keys) {
    const now = Math.floor(Date.now() / 1000);
    const signed = Object.fromEntries(
      Object.entries(headers).filter(([name]) => !(wire.unsigned ?? []).includes(name.toLowerCase())),
    );
    headers['authorization'] = await createAuthorization({
      secretId: wire.keys.secretId,
      secretKey: wire.keys.secretKey,
      method: wire.method,
      pathname: path,
      query,
      headers: signed,
      keyTime: wire.keyTime ?? { start: now - 1, end: now + 900 },
    });
    if (wire.keys.token) {
      headers[wire.tokenHeader ?? (wire.service === 'ci' ? 'x-ci-security-token' : 'x-cos-security-token')] =
        wire.keys.token;
    }
  }
  const search = Object.entries(query)
    .map(([name, value]) => (value === '' ? encodeURIComponent(name) : `${encodeURIComponent(name)}=${encodeURIComponent(value)}`))
    .join('&');
  const target = `/${encodeKeyPath(path.slice(1))}${search ? `?${search}` : ''}`;
  return rawRequest(emulator, { method: wire.method, target, headers, body });
}

/** Sends bytes exactly as given (target already encoded). */
export function rawRequest(
  emulator: Emulator,
  options: { method: string; target: string; headers: Record<string, string>; body?: Buffer | undefined },
): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const client = request(
      { host: '127.0.0.1', port: emulator.endpoints.port, method: options.method, path: options.target, headers: options.headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, text: body.toString('utf8') });
        });
      },
    );
    client.on('error', reject);
    client.end(options.body);
  });
}

/** The `<Code>` of an XML error body. */
export const errorCode = (response: WireResponse): string | undefined => /<Code>([^<]*)<\/Code>/.exec(response.text)?.[1];

/** The `Response` of an STS `GetFederationToken` call: credentials, or an `Error`. */
export interface FederationTokenResponse {
  Credentials?: { Token: string; TmpSecretId: string; TmpSecretKey: string };
  ExpiredTime?: number;
  Expiration?: string;
  Error?: { Code: string; Message: string };
  RequestId: string;
}

/** Options of {@link getFederationToken}. */
export interface FederationTokenOptions {
  /** The CAM policy document (an object, JSON-encoded then URL-encoded as the SDK does). */
  policy: unknown;
  durationSeconds: number;
  /** @default the emulator's permanent key */
  secretId?: string;
  secretKey?: string;
}

/**
 * Calls the emulator's STS exactly as the `qcloud-cos-sts` Node SDK does: v1 signature (HMAC-SHA1 over
 * `POST<host>/?<sorted params>`, Policy URL-encoded once inside the signed text), then a form POST (so the Policy is
 * encoded twice on the wire). Returns the parsed `Response`.
 */
export async function getFederationToken(
  emulator: Emulator,
  options: FederationTokenOptions,
): Promise<FederationTokenResponse> {
  const params: Record<string, string> = {
    SecretId: options.secretId ?? emulator.endpoints.secretId,
    Timestamp: String(Math.floor(Date.now() / 1000)),
    Nonce: String(10000 + Math.floor(Math.random() * 10000)),
    Action: 'GetFederationToken',
    DurationSeconds: String(options.durationSeconds),
    Version: '2018-08-13',
    Region: REGION,
    Policy: encodeURIComponent(JSON.stringify(options.policy)),
    Name: 'cos-sts-nodejs',
  };
  const host = hostFor(emulator, 'sts');
  params['Signature'] = signStsRequest(
    { method: 'POST', host, path: '/', params },
    options.secretKey ?? emulator.endpoints.secretKey,
  );
  const response = await send(emulator, {
    service: 'sts',
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: Object.entries(params)
      .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
      .join('&'),
  });
  return (JSON.parse(response.text) as { Response: FederationTokenResponse }).Response;
}

/** Temporary keys from the emulator's STS for `policy`; throws when STS answers an error. */
export async function temporaryKeys(emulator: Emulator, policy: unknown, durationSeconds = 900): Promise<SigningKeys> {
  const response = await getFederationToken(emulator, { policy, durationSeconds });
  if (!response.Credentials) throw new Error(`GetFederationToken failed: ${JSON.stringify(response.Error)}`);
  return {
    secretId: response.Credentials.TmpSecretId,
    secretKey: response.Credentials.TmpSecretKey,
    token: response.Credentials.Token,
  };
}

/**
 * Puts a local file into a bucket of the emulator as object `key`, with a signed PUT Object over HTTP (the
 * permanent key); throws unless the emulator answers 200.
 */
export async function seedObject(
  emulator: Emulator,
  key: string,
  file: string,
  options: { bucket?: string; region?: string } = {},
): Promise<void> {
  const response = await send(emulator, {
    service: 'cos',
    method: 'PUT',
    path: `/${key}`,
    body: await readFile(file),
    keys: permanentKeys(emulator),
    ...options,
  });
  if (response.status !== 200) throw new Error(`seedObject ${key}: HTTP ${response.status} ${response.text.slice(0, 200)}`);
}

/**
 * The headers of a request signed with `keys` (the permanent key by default), `host` and `authorization`
 * included, for tests that send the body themselves (chunked, or in several writes).
 */
export async function signedHeaders(
  emulator: Emulator,
  request: { service?: 'cos' | 'ci'; method: string; path: string; query?: Record<string, string>; headers?: Record<string, string> },
  keys: SigningKeys = permanentKeys(emulator),
): Promise<Record<string, string>> {
  const headers: Record<string, string> = { host: hostFor(emulator, request.service ?? 'cos'), ...request.headers };
  const now = Math.floor(Date.now() / 1000);
  headers['authorization'] = await createAuthorization({
    secretId: keys.secretId,
    secretKey: keys.secretKey,
    method: request.method,
    pathname: request.path,
    query: request.query ?? {},
    headers: { ...headers },
    keyTime: { start: now - 1, end: now + 900 },
  });
  return headers;
}
