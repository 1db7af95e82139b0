import { expect } from 'chai';
import { isTranscoderError } from '../../../src/core/errors.js';
import { parseAuthorization } from '../../../src/core/signing/authorization.js';
import { SkewCorrectedClock } from '../../../src/core/transport/clock.js';
import { defaultTransport } from '../../../src/core/transport/client-options.js';
import { FetchTransport } from '../../../src/core/transport/fetch-transport.js';
import { ServiceClient } from '../../../src/core/transport/service-client.js';
import { XhrTransport } from '../../../src/core/transport/xhr-transport.js';
import { FakeAuthorizer, verifySignature } from '../../helpers/fake-authorizer.js';
import { SERVER_ID, T0, serverSign } from '../../helpers/fake-get-authorization.js';
import {
  BUCKET,
  CI_HOST,
  COS_HOST,
  NOW,
  REGION,
  put,
  received,
  settle,
  setup,
} from '../../helpers/service-client-setup.js';

describe('ServiceClient', () => {
  describe('URLs', () => {
    it('should address an object on the bucket virtual host with its key encoded byte by byte', async () => {
      const { client, transport } = setup();
      const done = client.request({ ...put, key: 'dir/a b(1)+腾.mp4', body: 'x' });
      const req = await transport.nextRequest();
      expect(req.url).to.equal(`https://${COS_HOST}/dir/a%20b%281%29%2B%E8%85%BE.mp4`);
      req.respondWith({ status: 200 });
      await done;
    });

    it('should give the authorizer the decoded path and the key', async () => {
      const { client, transport, authorizer } = setup();
      const done = client.request({ ...put, key: 'dir/a b(1)+腾.mp4', body: 'x' });
      (await transport.nextRequest()).respondWith({ status: 200 });
      await done;
      expect(authorizer.calls[0]).to.deep.include({
        method: 'PUT',
        host: COS_HOST,
        pathname: '/dir/a b(1)+腾.mp4',
        key: 'dir/a b(1)+腾.mp4',
        bucket: BUCKET,
        region: REGION,
        service: 'cos',
        action: 'name/cos:PutObject',
      });
    });

    it('should encode query parameters and send an action parameter as a bare name', async () => {
      const { client, transport, authorizer } = setup();
      const done = client.request({
        ...put,
        method: 'GET',
        key: '',
        query: { uploads: '', prefix: 'dir/a b+' },
        action: 'name/cos:ListMultipartUploads',
      });
      const req = await transport.nextRequest();
      expect(req.url).to.equal(`https://${COS_HOST}/?uploads&prefix=dir%2Fa%20b%2B`);
      req.respondWith({ status: 200 });
      await done;
      expect(authorizer.calls[0]!.query).to.deep.equal({ uploads: '', prefix: 'dir/a b+' });
    });

    it('should address CI jobs on the ci host', async () => {
      const { client, transport } = setup();
      const done = client.request({
        service: 'ci',
        method: 'GET',
        pathname: '/jobs/j8d1a2b3c',
        action: 'name/ci:DescribeMediaJob',
        phase: 'track',
      });
      const req = await transport.nextRequest();
      expect(req.url).to.equal(`https://${CI_HOST}/jobs/j8d1a2b3c`);
      req.respondWith({ status: 200 });
      await done;
    });

    it('should use a custom domain with a port and sign that authority as host', async () => {
      const { client, transport, authorizer } = setup({
        protocol: 'http',
        domains: { cos: '{Bucket}.cos.{Region}.localhost:8700' },
      });
      const done = client.request({ ...put, key: 'a.mp4', body: 'x' });
      const req = await transport.nextRequest();
      expect(req.url).to.equal(`http://${BUCKET}.cos.${REGION}.localhost:8700/a.mp4`);
      req.respondWith({ status: 200 });
      await done;
      expect(authorizer.calls[0]!.headers.host).to.equal(`${BUCKET}.cos.${REGION}.localhost:8700`);
    });

    it('should sign the host without a default port, as the browser sends it', async () => {
      const { client, transport, authorizer } = setup({ domains: { cos: '{Bucket}.cos.{Region}.example.com:443' } });
      const done = client.request({ ...put, key: 'a.mp4', body: 'x' });
      (await transport.nextRequest()).respondWith({ status: 200 });
      await done;
      expect(authorizer.calls[0]!.host).to.equal(`${BUCKET}.cos.${REGION}.example.com`);
    });

    it('should build the unsigned URL of an object', () => {
      const { client } = setup();
      expect(client.urlFor({ service: 'cos', key: 'out/a b.mp4' })).to.equal(`https://${COS_HOST}/out/a%20b.mp4`);
    });
  });

  describe('signing', () => {
    it('should sign host, x-cos-* headers and content-length, with a signature that verifies', async () => {
      const { client, transport } = setup();
      const done = client.request({
        ...put,
        key: 'dir/a b(1)+腾.mp4',
        query: { partNumber: '1', uploadId: 'u+1' },
        headers: { 'X-Cos-Meta-Title': 'hello', 'Content-MD5': 'mQ/fVh815F3k6TAUm8m0eg==' },
        body: 'hello world!!',
      });
      const req = await transport.nextRequest();
      const auth = parseAuthorization(req.headers.authorization!)!;
      expect(auth.headerList).to.deep.equal(['content-length', 'content-md5', 'host', 'x-cos-meta-title']);
      expect(auth.urlParamList).to.deep.equal(['partnumber', 'uploadid']);
      expect(req.headers['content-length']).to.equal('13');
      expect(await verifySignature(received(req))).to.equal(true);
      req.respondWith({ status: 200 });
      await done;
    });

    it('should sign and send header values without leading and trailing spaces, as browsers send them', async () => {
      const { client, transport, authorizer } = setup();
      const done = client.request({ ...put, key: 'a', headers: { 'x-cos-meta-title': '  hello world ' }, body: 'x' });
      const req = await transport.nextRequest();
      expect(authorizer.calls[0]!.headers['x-cos-meta-title']).to.equal('hello world');
      expect(req.headers['x-cos-meta-title']).to.equal('hello world');
      expect(await verifySignature(received(req))).to.equal(true);
      req.respondWith({ status: 200 });
      await done;
    });

    it('should reject a non-ASCII header value, naming the header but not quoting the value', async () => {
      const { client, transport } = setup();
      const { error } = await settle(
        client.request({ ...put, key: 'a', headers: { 'x-cos-meta-name': '腾讯.mp4' }, body: 'x' }),
      );
      expect(error).to.include({ code: 'invalid-request', retryable: false, attempts: 1 });
      expect(error!.message).to.include('x-cos-meta-name').and.not.include('腾讯');
      expect(transport.requests).to.have.length(0);
    });

    it('should compute content-length from the body and ignore a given one', async () => {
      const { client, transport } = setup();
      const done = client.request({ ...put, key: 'a', headers: { 'content-length': '999' }, body: '腾' });
      const req = await transport.nextRequest();
      expect(req.headers['content-length']).to.equal('3');
      req.respondWith({ status: 200 });
      await done;
    });

    it('should sign a given content-type', async () => {
      const { client, transport } = setup();
      const done = client.request({
        service: 'ci',
        method: 'POST',
        pathname: '/jobs',
        headers: { 'Content-Type': 'application/xml' },
        body: '<Request/>',
        action: 'name/ci:CreateMediaJobs',
        phase: 'submit',
        idempotent: false,
      });
      const req = await transport.nextRequest();
      expect(parseAuthorization(req.headers.authorization!)!.headerList).to.deep.equal([
        'content-length',
        'content-type',
        'host',
      ]);
      expect(await verifySignature(received(req))).to.equal(true);
      req.respondWith({ status: 200 });
      await done;
    });

    it('should send the session token in x-cos-security-token to COS, unsigned', async () => {
      const { client, transport } = setup();
      const done = client.request({ ...put, key: 'a', body: 'x' });
      const req = await transport.nextRequest();
      expect(req.headers['x-cos-security-token']).to.equal('token-1');
      expect(req.headers).not.to.have.property('x-ci-security-token');
      expect(parseAuthorization(req.headers.authorization!)!.headerList).not.to.include('x-cos-security-token');
      req.respondWith({ status: 200 });
      await done;
    });

    it('should send the session token in x-ci-security-token to CI', async () => {
      const { client, transport } = setup();
      const done = client.request({
        service: 'ci',
        method: 'PUT',
        pathname: '/jobs/j1',
        query: { cancel: '' },
        action: 'name/ci:CancelMediaJob',
        phase: 'cancel',
      });
      const req = await transport.nextRequest();
      expect(req.headers['x-ci-security-token']).to.equal('token-1');
      expect(req.headers).not.to.have.property('x-cos-security-token');
      req.respondWith({ status: 200 });
      await done;
    });

    it('should replace a token header given by the caller', async () => {
      const { client, transport, authorizer } = setup();
      const done = client.request({ ...put, key: 'a', headers: { 'x-cos-security-token': 'stale' }, body: 'x' });
      const req = await transport.nextRequest();
      expect(req.headers['x-cos-security-token']).to.equal('token-1');
      expect(authorizer.calls[0]!.headers).not.to.have.property('x-cos-security-token');
      req.respondWith({ status: 200 });
      await done;
    });

    it('should send no token header with permanent keys', async () => {
      const clock = new SkewCorrectedClock(() => NOW);
      const { client, transport } = setup({ clock, authorizer: new FakeAuthorizer({ clock, token: false }) });
      const done = client.request({ ...put, key: 'a', body: 'x' });
      const req = await transport.nextRequest();
      expect(Object.keys(req.headers).filter((name) => name.endsWith('security-token'))).to.deep.equal([]);
      req.respondWith({ status: 200 });
      await done;
    });

    it('should fail with sign-failed, without retrying, when the authorizer throws', async () => {
      const { client, transport, authorizer } = setup();
      const cause = new Error('host said no');
      authorizer.failWith(cause);
      const { error } = await settle(client.request({ ...put, key: 'a', body: 'x' }));
      expect(error).to.include({ code: 'sign-failed', attempts: 1, cause });
      expect(transport.requests).to.have.length(0);
    });
  });

  describe('responses', () => {
    it('should return a 2xx as it is, with the COS request id and one attempt', async () => {
      const { client, transport } = setup();
      const done = client.request({ ...put, key: 'a', body: 'x' });
      (await transport.nextRequest()).respondWith({
        status: 200,
        headers: { ETag: '"abc"', 'x-cos-request-id': 'cos-req-1' },
        body: '',
      });
      expect(await done).to.deep.equal({
        status: 200,
        headers: { etag: '"abc"', 'x-cos-request-id': 'cos-req-1' },
        body: '',
        requestId: 'cos-req-1',
        attempts: 1,
      });
    });

    it('should read the CI request id', async () => {
      const { client, transport } = setup();
      const done = client.request({
        service: 'ci',
        method: 'GET',
        pathname: '/jobs/j1',
        action: 'name/ci:DescribeMediaJob',
        phase: 'track',
      });
      (await transport.nextRequest()).respondWith({ status: 200, headers: { 'x-ci-request-id': 'ci-req-1' } });
      expect((await done).requestId).to.equal('ci-req-1');
    });

    it('should not read a 2xx body, even an error document', async () => {
      const { client, transport } = setup();
      const done = client.request({ ...put, method: 'POST', key: 'a', query: { uploadId: 'u' }, body: '<x/>' });
      (await transport.nextRequest()).respondWith({ status: 200, body: '<Error><Code>InternalError</Code></Error>' });
      expect((await done).body).to.equal('<Error><Code>InternalError</Code></Error>');
    });
  });

  describe('validation', () => {
    const base = { transport: { send: async () => ({ status: 200, headers: {}, body: '' }) } };
    const authorizer = { authorize: async () => ({ authorization: 'x' }), invalidate: () => {} };
    const valid = { ...base, authorizer, bucket: 'examplebucket-1250000000', region: 'ap-guangzhou' };
    const invalid: [string, object, string][] = [
      ['a bucket without APPID', { bucket: 'examplebucket' }, 'bucket must be a bucket name'],
      ['an upper-case bucket', { bucket: 'Example-1250000000' }, 'bucket must be'],
      ['a region with dots', { region: 'ap.guangzhou' }, 'region must be a region name'],
      ['an empty region', { region: '' }, 'region must be'],
      ['an unknown protocol', { protocol: 'ftp' }, 'protocol must be "https" or "http"'],
      ['a domain with a path', { domains: { cos: '{Bucket}.example.com/x' } }, 'domain'],
      ['a negative timeout', { timeout: -1 }, 'timeout must be milliseconds'],
      ['a timeout setTimeout cannot wait (2^31 ms)', { timeout: 2 ** 31 }, 'timeout must be'],
      ['a retry delay setTimeout cannot wait (2^31 ms)', { retry: { delays: [2 ** 31] } }, 'retry.delays must be'],
      ['a transport without send()', { transport: {} }, 'transport must have a send() method'],
      ['an authorizer without invalidate', { authorizer: { authorize: async () => ({}) } }, 'authorizer must have'],
      ['a bad retry policy', { retry: { jitter: 2 } }, 'retry.jitter must be between 0 and 1'],
      ['neither authorizer nor getAuthorization', { authorizer: undefined }, 'authorizer or getAuthorization'],
      ['both authorizer and getAuthorization', { getAuthorization: () => ({}) }, 'authorizer or getAuthorization'],
      [
        'a getAuthorization that is not a function',
        { authorizer: undefined, getAuthorization: 'x' },
        'getAuthorization must be a function',
      ],
    ];
    for (const [name, change, named] of invalid) {
      it(`should reject ${name} with invalid-options naming the option`, () => {
        let caught: unknown;
        try {
          new ServiceClient({ ...valid, ...change } as never);
        } catch (e) {
          caught = e;
        }
        expect(isTranscoderError(caught)).to.equal(true);
        expect(caught).to.include({ code: 'invalid-options', phase: 'options' });
        expect((caught as Error).message).to.include(named);
      });
    }

    it('should default the transport: XHR where XMLHttpRequest exists (browsers), fetch elsewhere (Node)', () => {
      const expected = typeof XMLHttpRequest === 'function' ? XhrTransport : FetchTransport;
      expect(defaultTransport()).to.be.instanceOf(expected);
      expect(() => new ServiceClient({ ...valid, transport: undefined })).not.to.throw();
    });

    it('should sign through a CredentialProvider made from getAuthorization, on the clock given', async () => {
      const clock = new SkewCorrectedClock(() => T0 * 1000 + 10_000);
      const asked: string[] = [];
      const { transport } = base;
      const sent: string[] = [];
      const client = new ServiceClient({
        transport: {
          send: async (request) => {
            sent.push(request.headers['authorization'] ?? '');
            return transport.send();
          },
        },
        getAuthorization: (request) => {
          asked.push(request.action);
          return serverSign(request);
        },
        clock,
        bucket: BUCKET,
        region: REGION,
      });
      await client.request({ ...put, key: 'a.mp4', body: 'x' });
      expect([client.clock, asked, parseAuthorization(sent[0] ?? '')?.secretId]).to.deep.equal([
        clock,
        [put.action],
        SERVER_ID,
      ]);
    });

    const badRequests: [string, object][] = [
      ['a GET with a body', { method: 'GET', body: 'x' }],
      ['a key with a leading slash', { key: '/a' }],
      ['an unknown method', { method: 'PATCH' }],
      ['an unknown service', { service: 'sts' }],
      ['a missing action', { action: '' }],
      ['a header value with a line break', { headers: { 'x-cos-meta-a': 'a\nb' } }],
      ['a non-ASCII header value', { headers: { 'x-cos-meta-name': '腾讯.mp4' } }],
      ['a timeout setTimeout cannot wait (2^31 ms)', { timeout: 2 ** 31 }],
    ];
    it('should accept a timeout of 2^31 - 1 ms', async () => {
      const { client, transport } = setup({ timeout: 2 ** 31 - 1 });
      const done = client.request({ ...put, key: 'a', body: 'x' });
      const req = await transport.nextRequest();
      expect(req.timeout).to.equal(2 ** 31 - 1);
      req.respondWith({ status: 200 });
      await done;
    });

    for (const [name, change] of badRequests) {
      it(`should reject ${name} with invalid-request and send nothing`, async () => {
        const { client, transport } = setup();
        const { error } = await settle(client.request({ ...put, key: 'a', body: 'x', ...change } as never));
        expect(error).to.include({ code: 'invalid-request', phase: 'upload' });
        expect(transport.requests).to.have.length(0);
      });
    }
  });
});
