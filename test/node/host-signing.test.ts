import { expect } from 'chai';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHostMiddleware, type HostMiddleware } from '../../demo/host/host-middleware.js';
import { CredentialProvider } from '../../src/core/signing/credential-provider.js';
import type { AuthorizationRequest } from '../../src/core/signing/types.js';
import { ServiceClient } from '../../src/core/transport/service-client.js';
import { LoopbackTransport, type Emulator } from '../../src/emulator/index.js';
import { BUCKET, REGION, errorCode, hostFor, rawRequest, send, startTestEmulator } from '../helpers/emulator.js';

/** The example host backend alone on a node:http server (a 404 behind it), prefix `demo/`. */
class HostServer {
  readonly host: HostMiddleware;
  readonly #server: Server;

  constructor(emulator: Emulator) {
    this.host = createHostMiddleware({ endpoints: emulator.endpoints, prefix: 'demo/' });
    this.#server = createServer((req, res) => this.host(req, res, () => res.writeHead(404).end()));
  }

  async start(): Promise<this> {
    await new Promise<void>((done) => this.#server.listen(0, '127.0.0.1', done));
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  /** POSTs `body` (JSON-encoded unless a string) and reads the JSON answer. */
  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        this.url(path),
        { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, agent: false },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') }),
          );
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  }

  async close(): Promise<void> {
    this.host.close();
    await new Promise((done) => this.#server.close(done));
  }
}

describe('example host signing routes (/api/sts, /api/sign)', function () {
  this.timeout(10_000);
  let emulator: Emulator;
  let server: HostServer;
  const body = Buffer.from('signed on the host');

  /** The signing request the core makes for a simple PUT of `key`. */
  const putRequest = (key: string, overrides: Partial<AuthorizationRequest> = {}): AuthorizationRequest => {
    const host = hostFor(emulator, 'cos');
    return {
      method: 'PUT',
      host,
      pathname: `/${key}`,
      query: {},
      headers: { host, 'content-length': String(body.length), 'content-type': 'text/plain' },
      bucket: BUCKET,
      region: REGION,
      key,
      service: 'cos',
      action: 'name/cos:PutObject',
      ...overrides,
    };
  };

  /** Sends the PUT of `putRequest(key)` with `authorization`. */
  const putWith = (key: string, authorization: string, token?: string) =>
    rawRequest(emulator, {
      method: 'PUT',
      target: `/${key}`,
      headers: {
        ...putRequest(key).headers,
        authorization,
        ...(token === undefined ? {} : { 'x-cos-security-token': token }),
      },
      body,
    });

  before(async () => {
    emulator = await startTestEmulator();
    server = await new HostServer(emulator).start();
  });
  after(async () => {
    await server.close();
    await emulator.close();
  });

  describe('POST /api/sign', () => {
    it('should answer a signature with which the emulator accepts the PUT', async () => {
      const { status, json } = await server.post('/api/sign', putRequest('demo/signed.txt'));
      expect([status, Object.keys(json)]).to.deep.equal([200, ['Authorization']]);
      const response = await putWith('demo/signed.txt', String(json['Authorization']));
      expect(response.status, response.text).to.equal(200);
    });

    it('should sign for the core so that a ServiceClient uploads with it', async () => {
      const client = new ServiceClient({
        transport: new LoopbackTransport(),
        authorizer: new CredentialProvider({
          getAuthorization: async (signing) => {
            const answer = await fetch(server.url('/api/sign'), { method: 'POST', body: JSON.stringify(signing) });
            return (await answer.json()) as { Authorization: string };
          },
        }),
        bucket: BUCKET,
        region: REGION,
        protocol: emulator.endpoints.protocol,
        domains: emulator.endpoints.domains,
      });
      await client.request({ service: 'cos', method: 'PUT', key: 'demo/core.txt', body, action: 'name/cos:PutObject', phase: 'upload' });
      const head = await client.request({ service: 'cos', method: 'HEAD', key: 'demo/core.txt', action: 'name/cos:HeadObject', phase: 'upload' });
      expect(head.headers['content-length']).to.equal(String(body.length));
    });

    it('should refuse a key outside the prefix with 403 and a JSON error', async () => {
      const { status, json } = await server.post('/api/sign', putRequest('elsewhere/x.txt'));
      expect([status, json['error']]).to.deep.equal([403, 'The key is outside demo/']);
    });

    it('should refuse an operation the widget does not need (DELETE Object), whatever action it claims', async () => {
      const claimed = await server.post('/api/sign', putRequest('demo/x.txt', { method: 'DELETE' }));
      const honest = await server.post('/api/sign', putRequest('demo/x.txt', { method: 'DELETE', action: 'name/cos:DeleteObject' }));
      expect([claimed.status, honest.status]).to.deep.equal([403, 403]);
      expect(honest.json['error']).to.equal('The widget does not need this operation');
    });

    it('should refuse another bucket, another host, dot segments and a copy source', async () => {
      const answers = await Promise.all([
        server.post('/api/sign', putRequest('demo/x.txt', { bucket: 'other-1250000000' })),
        server.post('/api/sign', putRequest('demo/x.txt', { host: 'evil.example' })),
        server.post('/api/sign', putRequest('demo/../x.txt')),
        server.post(
          '/api/sign',
          putRequest('demo/x.txt', { headers: { ...putRequest('demo/x.txt').headers, 'x-cos-copy-source': 'b/secret' } }),
        ),
      ]);
      expect(answers.map(({ status, json }) => [status, json['error']])).to.deep.equal([
        [403, 'The bucket or region is not the one this host signs for'],
        [403, 'The request is not for the bucket host'],
        [403, 'The key has dot segments'],
        [403, 'The request carries a header the host does not sign'],
      ]);
    });

    it('should sign the CI job requests the widget sends', async () => {
      const ci = hostFor(emulator, 'ci');
      const { status } = await server.post('/api/sign', {
        ...putRequest('demo/x.txt'),
        method: 'GET',
        host: ci,
        pathname: '/jobs/j1234',
        headers: { host: ci },
        service: 'ci',
        action: 'name/ci:DescribeMediaJob',
        key: undefined,
      });
      expect(status).to.equal(200);
    });

    it('should refuse a body beyond 16 KiB with 413, declared or streamed', async () => {
      const large = putRequest('demo/x.txt', { headers: { host: 'h', padding: 'x'.repeat(4000), more: 'y'.repeat(4000), much: 'z'.repeat(4000), most: 'w'.repeat(4100) } });
      const declared = await server.post('/api/sign', large);
      const streamed = await server.post('/api/sign', large, { 'transfer-encoding': 'chunked' });
      expect([declared.status, streamed.status]).to.deep.equal([413, 413]);
      expect(declared.json['error']).to.equal('The signing request must be at most 16384 bytes');
    });

    it('should answer 400 to a body that is not a signing request', async () => {
      const notJson = await server.post('/api/sign', '{');
      const wrongShape = await server.post('/api/sign', { ...putRequest('demo/x.txt'), service: 'sts' });
      expect([notJson.status, wrongShape.status, wrongShape.json['error']]).to.deep.equal([
        400,
        400,
        'Not a signing request: service is invalid',
      ]);
    });

    it('should answer 405 to GET', async () => {
      const response = await fetch(server.url('/api/sign'));
      expect([response.status, response.headers.get('allow')]).to.deep.equal([405, 'POST']);
    });
  });

  describe('POST /api/sts', () => {
    it('should answer STS credentials with which the emulator accepts a PUT under the prefix', async () => {
      const { status, json } = await server.post('/api/sts', putRequest('demo/sts.txt'));
      expect(status).to.equal(200);
      expect(Object.keys(json).sort()).to.deep.equal(['ExpiredTime', 'SecurityToken', 'StartTime', 'TmpSecretId', 'TmpSecretKey']);
      const keys = { secretId: String(json['TmpSecretId']), secretKey: String(json['TmpSecretKey']), token: String(json['SecurityToken']) };
      const put = await send(emulator, { service: 'cos', method: 'PUT', path: '/demo/sts.txt', body, keys });
      expect(put.status, put.text).to.equal(200);
    });

    it('should carry a policy that refuses actions outside the widget list and keys outside the prefix', async () => {
      const { json } = await server.post('/api/sts', putRequest('demo/sts.txt'));
      const keys = { secretId: String(json['TmpSecretId']), secretKey: String(json['TmpSecretKey']), token: String(json['SecurityToken']) };
      const remove = await send(emulator, { service: 'cos', method: 'DELETE', path: '/demo/sts.txt', keys });
      const outside = await send(emulator, { service: 'cos', method: 'PUT', path: '/elsewhere/x.txt', body, keys });
      expect([remove.status, errorCode(remove), outside.status, errorCode(outside)]).to.deep.equal([
        403,
        'AccessDenied',
        403,
        'AccessDenied',
      ]);
    });

    it('should call STS once for all the requests of this suite while the credentials have more than the margin left', async () => {
      const answers = await Promise.all([1, 2, 3].map(() => server.post('/api/sts', putRequest('demo/a.txt'))));
      expect(new Set(answers.map(({ json }) => json['TmpSecretId'])).size).to.equal(1);
      expect(server.host.signing.stsCalls).to.equal(1);
    });

    it('should refuse credentials for another bucket with 403', async () => {
      const { status } = await server.post('/api/sts', putRequest('demo/a.txt', { bucket: 'other-1250000000' }));
      expect(status).to.equal(403);
    });
  });
});
