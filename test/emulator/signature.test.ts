import { expect } from 'chai';
import { parseXml } from '../../src/core/protocol/xml.js';
import { createAuthorization } from '../../src/core/signing/authorization.js';
import { encodeKeyPath } from '../../src/core/signing/encode.js';
import type { Emulator } from '../../src/emulator/index.js';
import {
  BUCKET,
  REGION,
  errorCode,
  hostFor,
  permanentKeys,
  rawRequest,
  send,
  startTestEmulator,
  temporaryKeys,
  type SigningKeys,
  type WireResponse,
} from '../helpers/emulator.js';

const ALLOW_ALL = {
  version: '2.0',
  statement: [{ effect: 'allow', action: ['name/cos:*', 'name/ci:*'], resource: ['*'] }],
};

interface SignedRequest {
  method: string;
  /** Decoded path. */
  path: string;
  /** Decoded query, signed. */
  query?: Record<string, string>;
  /** Headers to sign (host is added). */
  signHeaders?: Record<string, string>;
  /** Headers to send (host is added); defaults to `signHeaders`. */
  sendHeaders?: Record<string, string>;
  /** The wire target; by default the SDK's encoding of path and query. */
  target?: string;
  keys?: SigningKeys;
  keyTime?: { start: number; end: number };
  /** Rewrites the Authorization value before sending. */
  tamper?: (authorization: string) => string;
  service?: 'cos' | 'ci';
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The JS SDK's wire encoding of a query: plain `encodeURIComponent` (`!'()*` left as they are). */
const wireQuery = (query: Record<string, string>) =>
  Object.entries(query)
    .map(([name, value]) =>
      value === '' ? encodeURIComponent(name) : `${encodeURIComponent(name)}=${encodeURIComponent(value)}`,
    )
    .join('&');

async function signed(emulator: Emulator, request: SignedRequest): Promise<WireResponse> {
  const host = hostFor(emulator, request.service ?? 'cos');
  const keys = request.keys ?? permanentKeys(emulator);
  const now = nowSeconds();
  let authorization = await createAuthorization({
    secretId: keys.secretId,
    secretKey: keys.secretKey,
    method: request.method,
    pathname: request.path,
    query: request.query ?? {},
    headers: { host, ...request.signHeaders },
    keyTime: request.keyTime ?? { start: now - 1, end: now + 900 },
  });
  if (request.tamper) authorization = request.tamper(authorization);
  const search = wireQuery(request.query ?? {});
  const target = request.target ?? `/${encodeKeyPath(request.path.slice(1))}${search ? `?${search}` : ''}`;
  const headers: Record<string, string> = { host, authorization, ...(request.sendHeaders ?? request.signHeaders) };
  return rawRequest(emulator, { method: request.method, target, headers });
}

/** The Authorization fields moved into the query, as a signed URL carries them (`;` encoded as %3B). */
function signatureQuery(authorization: string): string {
  return authorization
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return `${pair.slice(0, eq)}=${encodeURIComponent(pair.slice(eq + 1))}`;
    })
    .join('&');
}

function expectError(response: WireResponse, status: number, code: string): void {
  expect(response.status, response.text).to.equal(status);
  expect(errorCode(response)).to.equal(code);
}

describe('emulator signature verification', function () {
  let emulator: Emulator;

  before(async function () {
    emulator = await startTestEmulator();
  });

  after(async function () {
    await emulator.close();
  });

  it('should accept the header form', async function () {
    const response = await signed(emulator, { method: 'GET', path: '/input/missing.mp4' });
    expectError(response, 404, 'NoSuchKey');
  });

  it('should accept the query-string form of a signed URL', async function () {
    const now = nowSeconds();
    const authorization = await createAuthorization({
      ...permanentKeys(emulator),
      method: 'GET',
      pathname: '/input/missing.mp4',
      headers: { host: hostFor(emulator, 'cos') },
      keyTime: { start: now - 1, end: now + 900 },
    });
    const query = signatureQuery(authorization);
    expect(query).to.contain('%3B');
    const response = await rawRequest(emulator, {
      method: 'GET',
      target: `/input/missing.mp4?${query}`,
      headers: { host: hostFor(emulator, 'cos') },
    });
    expectError(response, 404, 'NoSuchKey');
  });

  it('should accept a signed URL of temporary keys with the token in the query', async function () {
    const keys = await temporaryKeys(emulator, ALLOW_ALL);
    const now = nowSeconds();
    const authorization = await createAuthorization({
      ...keys,
      method: 'GET',
      pathname: '/input/missing.mp4',
      headers: { host: hostFor(emulator, 'cos') },
      keyTime: { start: now - 1, end: now + 900 },
    });
    const token = encodeURIComponent(keys.token!);
    const target = `/input/missing.mp4?${signatureQuery(authorization)}&x-cos-security-token=${token}`;
    const response = await rawRequest(emulator, { method: 'GET', target, headers: { host: hostFor(emulator, 'cos') } });
    expectError(response, 404, 'NoSuchKey');
  });

  it('should answer 403 AccessDenied to an unsigned request', async function () {
    const response = await send(emulator, { service: 'cos', method: 'GET', path: '/input/a.mp4' });
    expectError(response, 403, 'AccessDenied');
  });

  it('should answer 403 InvalidAccessKeyId for an unknown q-ak', async function () {
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/a.mp4',
      keys: { secretId: 'AKIDunknownkey', secretKey: 'whatever' },
    });
    expectError(response, 403, 'InvalidAccessKeyId');
  });

  it('should answer 403 SignatureDoesNotMatch for a wrong key', async function () {
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/a.mp4',
      keys: { secretId: emulator.endpoints.secretId, secretKey: 'wrong-secret-key' },
    });
    expectError(response, 403, 'SignatureDoesNotMatch');
  });

  it('should answer SignatureDoesNotMatch when a listed header was changed', async function () {
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/a.mp4',
      signHeaders: { 'x-cos-traffic-limit': '819200' },
      sendHeaders: { 'x-cos-traffic-limit': '819201' },
    });
    expectError(response, 403, 'SignatureDoesNotMatch');
  });

  it('should answer SignatureDoesNotMatch when a listed parameter was changed', async function () {
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/a.mp4',
      query: { 'response-content-type': 'video/mp4' },
      target: '/input/a.mp4?response-content-type=text%2Fhtml',
    });
    expectError(response, 403, 'SignatureDoesNotMatch');
  });

  it('should ignore headers the client did not list', async function () {
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/missing.mp4',
      sendHeaders: { 'x-cos-meta-unsigned': 'anything', 'content-type': 'text/plain' },
    });
    expectError(response, 404, 'NoSuchKey');
  });

  it('should ignore parameters the client did not list', async function () {
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/missing.mp4',
      target: '/input/missing.mp4?x-unsigned=1',
    });
    expectError(response, 404, 'NoSuchKey');
  });

  it('should count a listed but absent header as empty', async function () {
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/missing.mp4',
      signHeaders: { 'x-cos-meta-absent': '' },
      sendHeaders: {},
    });
    expectError(response, 404, 'NoSuchKey');
  });

  it('should match listed parameter names case-insensitively', async function () {
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/a.mp4',
      query: { uploadId: 'no-such-upload' },
      tamper: (authorization) => authorization.replace('q-url-param-list=uploadid', 'q-url-param-list=uploadId'),
    });
    expectError(response, 404, 'NoSuchUpload');
  });

  it("should verify a query sent with !'()* unencoded", async function () {
    const query = { 'response-content-disposition': "attachment; filename*=UTF-8''a(1)!.mp4" };
    expect(wireQuery(query)).to.contain("''a(1)!.mp4");
    const response = await signed(emulator, { method: 'GET', path: '/input/missing.mp4', query });
    expectError(response, 404, 'NoSuchKey');
  });

  it("should verify a path sent with !'()* unencoded", async function () {
    const response = await signed(emulator, {
      method: 'GET',
      path: "/input/it's(1)!*.mp4",
      target: "/input/it's(1)!*.mp4",
    });
    expectError(response, 404, 'NoSuchKey');
  });

  it('should verify keys with spaces, CJK characters and +', async function () {
    const response = await signed(emulator, { method: 'GET', path: '/dir/a b+c(1)!腾讯云.mp4' });
    expectError(response, 404, 'NoSuchKey');
  });

  it('should answer 403 AccessDenied "Request has expired" for a past q-sign-time', async function () {
    const now = nowSeconds();
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/a.mp4',
      keyTime: { start: now - 2000, end: now - 100 },
    });
    expectError(response, 403, 'AccessDenied');
    expect(response.text).to.contain('<Message>Request has expired</Message>');
  });

  it('should answer 403 RequestTimeTooSkewed for a start beyond the allowed skew', async function () {
    const now = nowSeconds();
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/a.mp4',
      keyTime: { start: now + 1000, end: now + 2000 },
    });
    expectError(response, 403, 'RequestTimeTooSkewed');
  });

  it('should answer 403 AccessDenied for a malformed Authorization', async function () {
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/a.mp4',
      tamper: (authorization) => authorization.replace(/&q-key-time=[^&]*/, ''),
    });
    expectError(response, 403, 'AccessDenied');
  });

  it('should answer 403 AccessDenied when q-sign-time and q-key-time differ', async function () {
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/a.mp4',
      tamper: (authorization) =>
        authorization.replace(/q-key-time=(\d+);/, (_m, start: string) => `q-key-time=${Number(start) - 1};`),
    });
    expectError(response, 403, 'AccessDenied');
  });

  it('should answer 403 AccessDenied for a q-sign-algorithm other than sha1', async function () {
    const response = await signed(emulator, {
      method: 'GET',
      path: '/input/a.mp4',
      tamper: (authorization) => authorization.replace('q-sign-algorithm=sha1', 'q-sign-algorithm=sha256'),
    });
    expectError(response, 403, 'AccessDenied');
  });

  it('should answer 403 AccessDenied for temporary keys without their token', async function () {
    const { token: _token, ...keys } = await temporaryKeys(emulator, ALLOW_ALL);
    const response = await send(emulator, { service: 'cos', method: 'GET', path: '/input/a.mp4', keys });
    expectError(response, 403, 'AccessDenied');
  });

  it('should answer 403 AccessDenied for temporary keys with the token of other credentials', async function () {
    const keys = await temporaryKeys(emulator, ALLOW_ALL);
    const other = await temporaryKeys(emulator, ALLOW_ALL);
    const response = await send(emulator, {
      service: 'cos',
      method: 'GET',
      path: '/input/a.mp4',
      keys: { ...keys, token: other.token! },
    });
    expectError(response, 403, 'AccessDenied');
  });

  for (const service of ['cos', 'ci'] as const) {
    for (const tokenHeader of ['x-cos-security-token', 'x-ci-security-token']) {
      it(`should accept the token in ${tokenHeader} on the ${service.toUpperCase()} host`, async function () {
        const keys = await temporaryKeys(emulator, ALLOW_ALL);
        const path = service === 'cos' ? '/input/missing.mp4' : '/jobs/j00000000000000000000000000000000';
        const response = await send(emulator, { service, method: 'GET', path, keys, tokenHeader });
        expect(response.status, response.text).to.equal(service === 'cos' ? 404 : 200);
      });
    }
  }

  it('should send Date and x-cos-request-id on COS replies', async function () {
    const response = await send(emulator, { service: 'cos', method: 'GET', path: '/input/a.mp4' });
    expect(Math.abs(Date.parse(String(response.headers['date'])) - Date.now())).to.be.below(5000);
    expect(response.headers['x-cos-request-id']).to.be.a('string').and.not.equal('');
  });

  it('should send Date and x-ci-request-id on CI replies', async function () {
    const response = await send(emulator, { service: 'ci', method: 'GET', path: '/jobs/jabc' });
    expect(Math.abs(Date.parse(String(response.headers['date'])) - Date.now())).to.be.below(5000);
    expect(response.headers['x-ci-request-id']).to.be.a('string').and.not.equal('');
  });

  it('should write COS errors as XML with Code, Message, Resource and RequestId', async function () {
    const response = await send(emulator, { service: 'cos', method: 'GET', path: '/input/a b.mp4' });
    expect(response.headers['content-type']).to.match(/^application\/xml/);
    const error = parseXml(response.text)['Error'] as Record<string, string>;
    expect(error['Code']).to.equal('AccessDenied');
    expect(error['Message']).to.be.a('string').and.not.equal('');
    expect(error['Resource']).to.equal(`${BUCKET}.cos.${REGION}.localhost:${emulator.endpoints.port}/input/a%20b.mp4`);
    expect(error['RequestId']).to.equal(response.headers['x-cos-request-id']);
  });

  it('should write CI errors as XML with Code, Message and RequestId but no Resource', async function () {
    const response = await send(emulator, { service: 'ci', method: 'POST', path: '/jobs', body: '<Request/>' });
    expect(response.status).to.equal(403);
    const error = parseXml(response.text)['Error'] as Record<string, string>;
    expect(error['Code']).to.equal('AccessDenied');
    expect(error['Message']).to.be.a('string').and.not.equal('');
    expect(error).not.to.have.property('Resource');
    expect(error['RequestId']).to.equal(response.headers['x-ci-request-id']);
  });

});
