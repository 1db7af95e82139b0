import { expect } from 'chai';
import { parseXml } from '../../src/core/protocol/xml.js';
import { createAuthorization } from '../../src/core/signing/authorization.js';
import type { Emulator } from '../../src/emulator/index.js';
import {
  APP_ID,
  BUCKET,
  REGION,
  errorCode,
  getFederationToken,
  permanentKeys,
  rawRequest,
  send,
  startTestEmulator,
  type WireResponse,
} from '../helpers/emulator.js';

const OTHER_REGION_BUCKET = `beijingbucket-${APP_ID}`;

/** A request signed with the permanent key for `host`, sent with that `Host`. */
async function signedTo(
  emulator: Emulator,
  host: string,
  request: { method: string; target: string; pathname: string; body?: string },
): Promise<WireResponse> {
  const now = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { host };
  if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
  headers['authorization'] = await createAuthorization({
    ...permanentKeys(emulator),
    method: request.method,
    pathname: request.pathname,
    headers,
    keyTime: { start: now - 1, end: now + 900 },
  });
  return rawRequest(emulator, {
    method: request.method,
    target: request.target,
    headers,
    body: request.body === undefined ? undefined : Buffer.from(request.body),
  });
}

describe('emulator routing by Host', function () {
  let emulator: Emulator;
  let port: number;

  before(async function () {
    emulator = await startTestEmulator({
      buckets: [BUCKET, { name: OTHER_REGION_BUCKET, region: 'ap-beijing' }],
      // The cloud's own names, accepted as the user would (--allow-host): any other name is refused.
      allowedHosts: ['*.myqcloud.com', '*.tencentcloudapi.com'],
    });
    port = emulator.endpoints.port;
  });

  after(async function () {
    await emulator.close();
  });

  it('should serve COS on <bucket>.cos.<region>.localhost:<port>', async function () {
    const host = `${BUCKET}.cos.${REGION}.localhost:${port}`;
    const request = { method: 'PUT', target: '/route/a.txt', pathname: '/route/a.txt', body: 'a' };
    const put = await signedTo(emulator, host, request);
    expect(put.status).to.equal(200);
    expect(put.headers['server']).to.equal('tencent-cos');
    expect(put.headers['x-cos-request-id']).to.be.a('string');
  });

  it('should serve CI on <bucket>.ci.<region>.localhost:<port>', async function () {
    const response = await send(emulator, {
      service: 'ci',
      method: 'GET',
      path: '/jobs/j00000000000000000000000000000000',
      keys: permanentKeys(emulator),
    });
    expect(response.status).to.equal(200);
    expect(response.headers['server']).to.equal('tencent-ci');
    expect(parseXml(response.text)).to.have.property('Response');
  });

  it('should serve STS on sts.localhost:<port>', async function () {
    const response = await getFederationToken(emulator, {
      policy: { version: '2.0', statement: [{ effect: 'allow', action: '*', resource: '*' }] },
      durationSeconds: 60,
    });
    expect(response.Credentials).to.be.an('object');
  });

  it('should answer STS errors as JSON on any sts.<domain> host', async function () {
    const response = await rawRequest(emulator, {
      method: 'GET',
      target: '/?Action=GetFederationToken',
      headers: { host: 'sts.tencentcloudapi.com' },
    });
    expect(response.headers['content-type']).to.match(/^application\/json/);
    expect(JSON.parse(response.text).Response.Error.Code).to.equal('MissingParameter');
  });

  it('should reach the same bucket through a myqcloud.com host', async function () {
    const cloudHost = `${BUCKET}.cos.${REGION}.myqcloud.com`;
    const request = { method: 'PUT', target: '/route/cloud.txt', pathname: '/route/cloud.txt', body: 'c' };
    const put = await signedTo(emulator, cloudHost, request);
    expect(put.status).to.equal(200);
    const keys = permanentKeys(emulator);
    const head = await send(emulator, { service: 'cos', method: 'HEAD', path: '/route/cloud.txt', keys });
    expect(head.status).to.equal(200);
  });

  it('should route host names case-insensitively', async function () {
    const host = `${BUCKET}.COS.${REGION.toUpperCase()}.LOCALHOST:${port}`;
    const response = await signedTo(emulator, host, { method: 'HEAD', target: '/route/none', pathname: '/route/none' });
    expect(response.status).to.equal(404);
  });

  it('should answer 404 NoSuchBucket for an unknown bucket', async function () {
    const response = await send(emulator, {
      service: 'cos',
      method: 'GET',
      path: '/a.txt',
      bucket: `nobucket-${APP_ID}`,
      keys: permanentKeys(emulator),
    });
    expect(response.status).to.equal(404);
    expect(errorCode(response)).to.equal('NoSuchBucket');
  });

  it('should answer 404 NoSuchBucket on the CI host of an unknown bucket, without Resource', async function () {
    const bucket = `nobucket-${APP_ID}`;
    const response = await send(emulator, { service: 'ci', method: 'GET', path: '/jobs', bucket });
    expect(response.status).to.equal(404);
    const error = parseXml(response.text)['Error'] as Record<string, string>;
    expect(error['Code']).to.equal('NoSuchBucket');
    expect(error).not.to.have.property('Resource');
  });

  it('should answer 404 NoSuchBucket for a bucket named in the wrong region', async function () {
    const response = await send(emulator, {
      service: 'cos',
      method: 'GET',
      path: '/a.txt',
      bucket: OTHER_REGION_BUCKET,
      region: REGION,
      keys: permanentKeys(emulator),
    });
    expect(response.status).to.equal(404);
    expect(errorCode(response)).to.equal('NoSuchBucket');
  });

  it('should serve a bucket in its own region', async function () {
    const response = await send(emulator, {
      service: 'cos',
      method: 'GET',
      path: '/a.txt',
      bucket: OTHER_REGION_BUCKET,
      region: 'ap-beijing',
      keys: permanentKeys(emulator),
    });
    expect(response.status).to.equal(404);
    expect(errorCode(response)).to.equal('NoSuchKey');
  });

  it('should answer 405 MethodNotAllowed to an unsupported method', async function () {
    const keys = permanentKeys(emulator);
    const response = await send(emulator, { service: 'cos', method: 'PATCH', path: '/a.txt', keys });
    expect(response.status).to.equal(405);
    expect(errorCode(response)).to.equal('MethodNotAllowed');
  });

  it('should answer 405 MethodNotAllowed to an unsupported CI method', async function () {
    const keys = permanentKeys(emulator);
    const response = await send(emulator, { service: 'ci', method: 'DELETE', path: '/jobs', keys });
    expect(response.status).to.equal(405);
    expect(errorCode(response)).to.equal('MethodNotAllowed');
  });

  it('should answer 400 InvalidURI to malformed percent-encoding in the path', async function () {
    const response = await rawRequest(emulator, {
      method: 'GET',
      target: '/input/a%zz.mp4',
      headers: { host: `${BUCKET}.cos.${REGION}.localhost:${port}` },
    });
    expect(response.status).to.equal(400);
    expect(errorCode(response)).to.equal('InvalidURI');
  });

  it('should answer 400 InvalidURI to a truncated UTF-8 sequence in the path', async function () {
    const response = await rawRequest(emulator, {
      method: 'GET',
      target: '/input/%E8%85.mp4',
      headers: { host: `${BUCKET}.cos.${REGION}.localhost:${port}` },
    });
    expect(response.status).to.equal(400);
    expect(errorCode(response)).to.equal('InvalidURI');
  });
});
