import { expect } from 'chai';
import type { Emulator } from '../../src/emulator/index.js';
import {
  APP_ID,
  BUCKET,
  errorCode,
  permanentKeys,
  send,
  startTestEmulator,
  type WireResponse,
} from '../helpers/emulator.js';

const CLOSED = `closed-${APP_ID}`;
const RESTRICTED = `restricted-${APP_ID}`;
const PAGE = 'http://app.localhost:5173';
const SDK_HEADERS = 'authorization,content-type,cache-control,content-md5,x-cos-security-token';

interface Preflight {
  origin?: string;
  method?: string;
  headers?: string;
  bucket?: string;
  service?: 'cos' | 'ci';
  path?: string;
}

function preflight(emulator: Emulator, options: Preflight = {}): Promise<WireResponse> {
  const headers: Record<string, string> = {};
  if (options.origin !== '') headers['origin'] = options.origin ?? PAGE;
  headers['access-control-request-method'] = options.method ?? 'PUT';
  if (options.headers !== undefined) headers['access-control-request-headers'] = options.headers;
  return send(emulator, {
    service: options.service ?? 'cos',
    method: 'OPTIONS',
    path: options.path ?? '/input/a.mp4',
    headers,
    ...(options.bucket ? { bucket: options.bucket } : {}),
  });
}

const exposed = (response: WireResponse) =>
  String(response.headers['access-control-expose-headers'] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());

describe('emulator CORS', function () {
  let emulator: Emulator;

  before(async function () {
    emulator = await startTestEmulator({
      buckets: [
        BUCKET,
        { name: CLOSED, cors: [] },
        {
          name: RESTRICTED,
          cors: [
            {
              allowedOrigins: ['http://*.example.com', 'https://app.example.org'],
              allowedMethods: ['GET', 'PUT'],
              allowedHeaders: ['authorization', 'content-type', 'x-cos-meta-*'],
              exposeHeaders: ['ETag'],
              maxAgeSeconds: 5,
            },
          ],
        },
      ],
    });
  });

  after(async function () {
    await emulator.close();
  });

  it('should answer an allowed preflight 200 with the CORS headers', async function () {
    const response = await preflight(emulator, { headers: SDK_HEADERS });
    expect(response.status).to.equal(200);
    expect(response.headers['access-control-allow-origin']).to.be.oneOf(['*', PAGE]);
    expect(String(response.headers['access-control-allow-methods']).split(',')).to.include('PUT');
    expect(response.headers['access-control-max-age']).to.equal('600');
  });

  it('should echo the requested headers in Access-Control-Allow-Headers', async function () {
    const response = await preflight(emulator, { headers: 'Authorization, Content-Type, x-cos-security-token' });
    expect(String(response.headers['access-control-allow-headers']).toLowerCase().split(',')).to.include.members([
      'authorization',
      'content-type',
      'x-cos-security-token',
    ]);
  });

  it('should expose the headers a browser client needs', async function () {
    const response = await preflight(emulator, { headers: SDK_HEADERS });
    expect(exposed(response)).to.include.members([
      'etag',
      'date',
      'content-length',
      'x-cos-request-id',
      'x-ci-request-id',
      'x-cos-hash-crc64ecma',
    ]);
  });

  it('should answer a preflight without signing it', async function () {
    const response = await preflight(emulator, { method: 'POST', path: '/input/a.mp4', headers: 'content-type' });
    expect(response.status).to.equal(200);
  });

  it('should answer 403 to a preflight with a method no rule allows', async function () {
    const response = await preflight(emulator, { method: 'PATCH' });
    expect(response.status).to.equal(403);
    expect(errorCode(response)).to.equal('AccessForbidden');
  });

  it('should answer 403 to a preflight without Origin', async function () {
    const response = await preflight(emulator, { origin: '' });
    expect(response.status).to.equal(403);
  });

  it('should answer 403 to every preflight on a bucket with no CORS rules', async function () {
    const statuses = await Promise.all(
      ['GET', 'PUT', 'POST'].map(async (method) => (await preflight(emulator, { bucket: CLOSED, method })).status),
    );
    expect(statuses).to.deep.equal([403, 403, 403]);
  });

  it('should answer 404 NoSuchBucket to a preflight on an unknown bucket', async function () {
    const response = await preflight(emulator, { bucket: `nobucket-${APP_ID}` });
    expect(response.status).to.equal(404);
    expect(errorCode(response)).to.equal('NoSuchBucket');
  });

  it('should allow an origin matching a wildcard rule and echo it', async function () {
    const origin = 'http://upload.example.com';
    const response = await preflight(emulator, { bucket: RESTRICTED, origin, headers: 'authorization' });
    expect(response.status).to.equal(200);
    expect(response.headers['access-control-allow-origin']).to.equal(origin);
    expect(response.headers['access-control-max-age']).to.equal('5');
    expect(response.headers['access-control-allow-methods']).to.equal('GET,PUT');
  });

  it('should answer 403 to origins outside a wildcard rule', async function () {
    const statuses = await Promise.all(
      ['https://upload.example.com', 'http://example.com', 'http://upload.example.com.evil.net', PAGE].map(
        async (origin) => (await preflight(emulator, { bucket: RESTRICTED, origin })).status,
      ),
    );
    expect(statuses).to.deep.equal([403, 403, 403, 403]);
  });

  it('should allow an exact origin of a rule', async function () {
    const response = await preflight(emulator, { bucket: RESTRICTED, origin: 'https://app.example.org' });
    expect(response.status).to.equal(200);
  });

  it('should answer 403 to a method outside a rule', async function () {
    const origin = 'http://a.example.com';
    const response = await preflight(emulator, { bucket: RESTRICTED, origin, method: 'DELETE' });
    expect(response.status).to.equal(403);
  });

  it('should answer 403 to a request header outside a rule', async function () {
    const response = await preflight(emulator, {
      bucket: RESTRICTED,
      origin: 'http://a.example.com',
      headers: 'authorization,x-cos-security-token',
    });
    expect(response.status).to.equal(403);
  });

  it('should allow request headers matching a wildcard header pattern', async function () {
    const response = await preflight(emulator, {
      bucket: RESTRICTED,
      origin: 'http://a.example.com',
      headers: 'content-type,x-cos-meta-md5',
    });
    expect(response.status).to.equal(200);
  });

  it('should add Allow-Origin and Expose-Headers to an actual reply a rule allows', async function () {
    const response = await send(emulator, {
      service: 'cos',
      method: 'PUT',
      path: '/input/cors.txt',
      body: 'cors',
      headers: { origin: PAGE },
      keys: permanentKeys(emulator),
    });
    expect(response.status).to.equal(200);
    expect(response.headers['access-control-allow-origin']).to.be.oneOf(['*', PAGE]);
    expect(exposed(response)).to.include('etag');
  });

  it('should add the CORS headers to error replies too', async function () {
    const headers = { origin: PAGE };
    const response = await send(emulator, { service: 'cos', method: 'GET', path: '/input/a.mp4', headers });
    expect(response.status).to.equal(403);
    expect(response.headers['access-control-allow-origin']).to.be.oneOf(['*', PAGE]);
    expect(exposed(response)).to.include('x-cos-request-id');
  });

  it('should leave the CORS headers out when no rule allows the origin', async function () {
    const response = await send(emulator, {
      service: 'cos',
      method: 'GET',
      path: '/input/a.mp4',
      headers: { origin: PAGE },
      bucket: RESTRICTED,
    });
    expect(response.headers['access-control-allow-origin']).to.equal(undefined);
    expect(response.headers['access-control-expose-headers']).to.equal(undefined);
  });

  it('should leave the CORS headers out when no rule allows the method', async function () {
    const response = await send(emulator, {
      service: 'cos',
      method: 'DELETE',
      path: '/input/a.mp4',
      headers: { origin: 'http://a.example.com' },
      bucket: RESTRICTED,
    });
    expect(response.headers['access-control-allow-origin']).to.equal(undefined);
  });

  it('should leave the CORS headers out of a request without Origin', async function () {
    const response = await send(emulator, { service: 'cos', method: 'GET', path: '/input/a.mp4' });
    expect(response.headers['access-control-allow-origin']).to.equal(undefined);
  });

  it('should answer preflights on the CI host like on the COS host', async function () {
    const response = await preflight(emulator, {
      service: 'ci',
      path: '/jobs',
      method: 'POST',
      headers: 'authorization,content-type,x-ci-security-token',
    });
    expect(response.status).to.equal(200);
    expect(exposed(response)).to.include('x-ci-request-id');
    expect(response.headers['x-ci-request-id']).to.be.a('string');
  });

  it('should apply the bucket rules to CI preflights', async function () {
    const response = await preflight(emulator, { service: 'ci', path: '/jobs', method: 'POST', bucket: CLOSED });
    expect(response.status).to.equal(403);
  });

  it('should add the CORS headers to CI replies', async function () {
    const headers = { origin: PAGE };
    const response = await send(emulator, { service: 'ci', method: 'GET', path: '/jobs/jabc', headers });
    expect(response.headers['access-control-allow-origin']).to.be.oneOf(['*', PAGE]);
  });
});
