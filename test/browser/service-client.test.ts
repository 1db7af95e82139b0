import { expect } from 'chai';
import { isTranscoderError } from '../../src/core/errors.js';
import { parseAuthorization } from '../../src/core/signing/authorization.js';
import { SkewCorrectedClock } from '../../src/core/transport/clock.js';
import { ServiceClient } from '../../src/core/transport/service-client.js';
import { XhrTransport } from '../../src/core/transport/xhr-transport.js';
import { FakeAuthorizer, verifySignature } from '../helpers/fake-authorizer.js';
import { OTHER_HOST } from './scripted-server.js';

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  bytes: number;
}

function decodeQuery(search: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const part of search.split('&').filter(Boolean)) {
    const eq = part.indexOf('=');
    query[decodeURIComponent(eq < 0 ? part : part.slice(0, eq))] = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
  }
  return query;
}

/** What the server received, as COS would verify it. */
function receivedBy(echo: Echo) {
  const [path = '', search = ''] = echo.url.split('?');
  return { method: echo.method, path: decodeURIComponent(path), query: decodeQuery(search), headers: echo.headers };
}

function setup() {
  const clock = new SkewCorrectedClock();
  const authorizer = new FakeAuthorizer({ clock });
  const client = new ServiceClient({
    transport: new XhrTransport(),
    authorizer,
    bucket: 'examplebucket-1250000000',
    region: 'ap-guangzhou',
    clock,
    protocol: location.protocol === 'https:' ? 'https' : 'http',
    // The dev server on the other loopback name stands in for the COS host: cross-origin, with a port.
    domains: { cos: OTHER_HOST, ci: OTHER_HOST },
    retry: { delays: [1, 1], jitter: 0 },
    timeout: 2000,
  });
  return { client, authorizer };
}

describe('ServiceClient over XhrTransport', () => {
  it('should send a request whose signature verifies against what the server received', async () => {
    const { client } = setup();
    const response = await client.request({
      service: 'cos',
      method: 'PUT',
      key: '__scripted/dir/a b(1)+腾.mp4',
      query: { body: 'echo', 'h.x-cos-request-id': 'rid-1', expose: 'x-cos-request-id' },
      headers: { 'Content-Type': 'application/xml', 'x-cos-meta-title': 'hello' },
      body: '<Request>腾</Request>',
      action: 'name/cos:PutObject',
      phase: 'upload',
    });
    const echo = JSON.parse(response.body) as Echo;
    const auth = parseAuthorization(echo.headers.authorization!)!;
    expect(auth.headerList).to.deep.equal(['content-length', 'content-type', 'host', 'x-cos-meta-title']);
    expect(echo.headers).to.include({ 'content-type': 'application/xml', 'content-length': '22', host: OTHER_HOST });
    expect(receivedBy(echo).path).to.equal('/__scripted/dir/a b(1)+腾.mp4');
    expect(await verifySignature(receivedBy(echo))).to.equal(true);
    expect(response.requestId).to.equal('rid-1');
  });

  it('should leave a Blob body type unsigned, as the browser adds it', async () => {
    const { client } = setup();
    const response = await client.request({
      service: 'cos',
      method: 'PUT',
      key: '__scripted/a.mp4',
      query: { body: 'echo' },
      body: new Blob(['0123456789'], { type: 'video/mp4' }),
      action: 'name/cos:PutObject',
      phase: 'upload',
    });
    const echo = JSON.parse(response.body) as Echo;
    expect(echo.headers['content-type']).to.equal('video/mp4');
    expect(await verifySignature(receivedBy(echo))).to.equal(true);
  });

  it('should send the session token on the CI host as x-ci-security-token', async () => {
    const { client } = setup();
    const response = await client.request({
      service: 'ci',
      method: 'GET',
      pathname: '/__scripted/jobs/j1',
      query: { body: 'echo' },
      action: 'name/ci:DescribeMediaJob',
      phase: 'track',
    });
    const echo = JSON.parse(response.body) as Echo;
    expect(echo.headers['x-ci-security-token']).to.equal('token-1');
    expect(echo.headers).not.to.have.property('x-cos-security-token');
  });

  it('should retry a 503 from the server and resolve the following 200', async () => {
    const { client } = setup();
    const response = await client.request({
      service: 'cos',
      method: 'GET',
      key: '__scripted/a.mp4',
      query: { id: `retry-${Math.random()}`, statuses: '503,200' },
      action: 'name/cos:HeadObject',
      phase: 'upload',
    });
    expect(response).to.include({ status: 200, attempts: 2 });
  });

  it('should fail with a typed error after retrying a proxy 502 page', async () => {
    const { client } = setup();
    let caught: unknown;
    try {
      await client.request({
        service: 'cos',
        method: 'GET',
        key: '__scripted/a.mp4',
        query: { status: '502', body: 'html' },
        action: 'name/cos:GetObject',
        phase: 'upload',
      });
    } catch (error) {
      caught = error;
    }
    expect(isTranscoderError(caught)).to.equal(true);
    expect(caught).to.include({ code: 'service', status: 502, attempts: 3, retryable: true });
    expect((caught as Error).message).not.to.match(/[<>?]|nginx/);
  });

  it('should fail fast, without quoting them, when the browser refuses the signed headers', async () => {
    const { client } = setup();
    const authorizer = {
      authorize: async () => ({ authorization: 'q-signature=SECRET-SIGNATURE', securityToken: 'SECRET-TOKEN\nx: 1' }),
      invalidate: () => {},
      clock: client.clock,
    };
    const refusing = new ServiceClient({
      transport: new XhrTransport(),
      authorizer,
      bucket: client.bucket,
      region: client.region,
      protocol: location.protocol === 'https:' ? 'https' : 'http',
      domains: { cos: OTHER_HOST, ci: OTHER_HOST },
      retry: { delays: [1, 1], jitter: 0 },
    });
    let caught: unknown;
    try {
      await refusing.request({
        service: 'cos',
        method: 'GET',
        key: '__scripted/a.mp4',
        action: 'name/cos:GetObject',
        phase: 'upload',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.include({ code: 'invalid-request', retryable: false, attempts: 1 });
    const cause = (caught as Error).cause as Error;
    expect(cause.message).to.match(/^\w+ from XMLHttpRequest$/);
    const shown = [caught, cause].map((e) => `${String(e)} ${String((e as Error).stack)}`).join(' ');
    expect(shown).not.to.include('SECRET');
  });
});
