// An example host backend's STS call, as Tencent's `qcloud-cos-sts` Node SDK makes it (GetFederationToken,
// API v1 signature), pointed at the emulator's STS endpoint. Runs on the host's server, never in the browser: it
// holds the permanent key.
import { createHmac, randomInt } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { loopbackLookup } from '../../src/emulator/loopback-transport.js';

/** What {@link getFederationToken} needs. */
export interface FederationTokenRequest {
  /** The STS endpoint: `http://sts.localhost:8700/` for the emulator, `https://sts.tencentcloudapi.com/` in the cloud. */
  endpoint: string;
  secretId: string;
  secretKey: string;
  /** A CAM policy: `{ version: '2.0', statement: [...] }`. */
  policy: object;
  /** @default 1800 */
  durationSeconds?: number;
  /** @default 'ap-guangzhou' */
  region?: string;
}

/** Temporary credentials, in the shape `qcloud-cos-sts` returns them. */
export interface FederationToken {
  credentials: { tmpSecretId: string; tmpSecretKey: string; sessionToken: string };
  expiredTime: number;
  startTime: number;
  expiration: string;
  requestId: string;
}

/** Calls STS `GetFederationToken` signed with the permanent key; rejects with the service's code and message. */
export async function getFederationToken(request: FederationTokenRequest): Promise<FederationToken> {
  const url = new URL(request.endpoint);
  const durationSeconds = request.durationSeconds ?? 1800;
  const params: Record<string, string> = {
    SecretId: request.secretId,
    Timestamp: String(Math.floor(Date.now() / 1000)),
    Nonce: String(randomInt(10_000, 20_000)),
    Action: 'GetFederationToken',
    DurationSeconds: String(durationSeconds),
    Version: '2018-08-13',
    Region: request.region ?? 'ap-guangzhou',
    Policy: encodeURIComponent(JSON.stringify(request.policy)),
    Name: 'cos-transcoder-demo',
  };
  const signed = Object.keys(params)
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join('&');
  params['Signature'] = createHmac('sha1', request.secretKey)
    .update(`POST${url.host}/?${signed}`)
    .digest('base64');
  const body = new URLSearchParams(params).toString();
  const text = await post(url, body);
  const reply = (JSON.parse(text) as { Response?: Record<string, unknown> }).Response ?? {};
  const error = reply['Error'] as { Code?: string; Message?: string } | undefined;
  if (error) throw new Error(`STS ${error.Code ?? 'Error'}: ${error.Message ?? ''}`);
  const credentials = reply['Credentials'] as { Token: string; TmpSecretId: string; TmpSecretKey: string };
  const expiredTime = Number(reply['ExpiredTime']);
  return {
    credentials: {
      tmpSecretId: credentials.TmpSecretId,
      tmpSecretKey: credentials.TmpSecretKey,
      sessionToken: credentials.Token,
    },
    expiredTime,
    // As qcloud-cos-sts computes it: STS does not return a start time.
    startTime: expiredTime - durationSeconds,
    expiration: String(reply['Expiration']),
    requestId: String(reply['RequestId']),
  };
}

function post(url: URL, body: string): Promise<string> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const client = send(
      url,
      {
        method: 'POST',
        lookup: loopbackLookup,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        timeout: 10_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', reject);
      },
    );
    client.on('timeout', () => client.destroy(new Error('STS request timed out')));
    client.on('error', reject);
    client.end(body);
  });
}
