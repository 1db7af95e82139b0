import { expect } from 'chai';
import { TranscoderError } from '../../../src/core/errors.js';
import { put, settle, setup, SUBMIT_JOB } from '../../helpers/service-client-setup.js';

const xmlError = (code: string, message = '') => `<Error><Code>${code}</Code><Message>${message}</Message></Error>`;

const submit = SUBMIT_JOB;

const complete = {
  service: 'cos',
  method: 'POST',
  key: 'a.mp4',
  query: { uploadId: 'u1' },
  body: '<CompleteMultipartUpload/>',
  action: 'name/cos:CompleteMultipartUpload',
  phase: 'complete',
} as const;

const signFailure = (retryable: boolean) =>
  new TranscoderError('getAuthorization failed', { code: 'sign-failed', phase: 'sign', retryable });

describe('ServiceClient', () => {
  describe('resending', () => {
    it('should not resend a POST after a network error unless told it is idempotent', async () => {
      const { client, transport } = setup();
      const done = settle(client.request(submit));
      (await transport.nextRequest()).fail('network');
      const { error } = await done;
      expect(error).to.include({ code: 'network', phase: 'submit', retryable: true, attempts: 1 });
      expect(transport.requests).to.have.length(1);
    });

    it('should not resend a CompleteMultipartUpload after a 500 by default', async () => {
      const { client, transport } = setup();
      const done = settle(client.request(complete));
      (await transport.nextRequest()).respondWith({ status: 500, body: xmlError('InternalError') });
      expect((await done).error).to.include({ status: 500, retryable: true, attempts: 1 });
      expect(transport.requests).to.have.length(1);
    });

    it('should resend a POST the caller marked idempotent', async () => {
      const { client, transport } = setup();
      const done = client.request({ ...complete, idempotent: true });
      (await transport.nextRequest()).fail('network');
      (await transport.nextRequest()).respondWith({ status: 200 });
      expect((await done).attempts).to.equal(2);
    });

    it('should resend a PUT, idempotent by default', async () => {
      const { client, transport } = setup();
      const done = client.request({ ...put, key: 'a', body: 'x' });
      (await transport.nextRequest()).fail('timeout');
      (await transport.nextRequest()).respondWith({ status: 200 });
      expect((await done).attempts).to.equal(2);
    });
  });

  describe('signing failures', () => {
    it('should retry a retryable signing failure after the policy delay, even for a POST', async () => {
      const { client, transport, authorizer } = setup();
      authorizer.failOnceWith(signFailure(true));
      const done = client.request(submit);
      (await transport.nextRequest()).respondWith({ status: 200 });
      expect((await done).attempts).to.equal(2);
      expect(authorizer.calls).to.have.length(2);
      expect(transport.requests).to.have.length(1);
    });

    it('should ask shouldRetry about a retryable signing failure', async () => {
      const asked: string[] = [];
      const { client, transport, authorizer } = setup({
        retry: { delays: [1], shouldRetry: ({ error }) => (asked.push(error.code), false) },
      });
      authorizer.failOnceWith(signFailure(true));
      const { error } = await settle(client.request({ ...put, key: 'a', body: 'x' }));
      expect(error).to.include({ code: 'sign-failed', attempts: 1 });
      expect(asked).to.deep.equal(['sign-failed']);
      expect(transport.requests).to.have.length(0);
    });

    it('should give up on a retryable signing failure when no retry is left', async () => {
      const { client, transport, authorizer } = setup({ retry: { delays: [1, 1] } });
      authorizer.failWith(signFailure(true));
      const { error } = await settle(client.request({ ...put, key: 'a', body: 'x' }));
      expect(error).to.include({ code: 'sign-failed', retryable: true, attempts: 3 });
      expect(transport.requests).to.have.length(0);
    });

    it('should fail fast on a signing failure that is not retryable, without asking shouldRetry', async () => {
      let asked = 0;
      const retry = { delays: [1, 1], shouldRetry: () => (asked++, true) };
      const { client, transport, authorizer } = setup({ retry });
      authorizer.failWith(signFailure(false));
      const { error } = await settle(client.request({ ...put, key: 'a', body: 'x' }));
      expect(error).to.include({ code: 'sign-failed', retryable: false, attempts: 1 });
      expect([asked, authorizer.calls.length, transport.requests.length]).to.deep.equal([0, 1, 0]);
    });
  });

  describe('requests the runtime refuses', () => {
    it('should fail fast with invalid-request, without asking shouldRetry', async () => {
      let asked = 0;
      const { client, transport } = setup({ retry: { delays: [1, 1], shouldRetry: () => (asked++, true) } });
      const done = settle(client.request({ ...put, key: 'a', body: 'x' }));
      (await transport.nextRequest()).fail(
        new TranscoderError('refused', { code: 'invalid-request', phase: 'request' }),
      );
      const { error } = await done;
      expect(error).to.include({ code: 'invalid-request', phase: 'upload', retryable: false, attempts: 1 });
      expect([asked, transport.requests.length]).to.deep.equal([0, 1]);
    });
  });

  describe('expired credentials', () => {
    it('should tell the authorizer which signature the service refused', async () => {
      const { client, transport, authorizer } = setup({ retry: { delays: [] } });
      const done = client.request({ ...put, key: 'a', body: 'x' });
      const first = await transport.nextRequest();
      first.respondWith({ status: 400, body: xmlError('ExpiredToken', 'The provided token has expired.') });
      (await transport.nextRequest()).respondWith({ status: 200 });
      await done;
      expect(authorizer.invalidated).to.have.length(1);
      expect(authorizer.invalidated[0]).to.equal(authorizer.signed[0]);
      expect(authorizer.invalidated[0]).to.deep.equal({
        authorization: first.headers.authorization,
        securityToken: first.headers['x-cos-security-token'],
      });
    });

    it('should not renew credentials and resend a POST on a 5xx that mentions an invalid token', async () => {
      const { client, transport, authorizer } = setup();
      const done = settle(client.request(submit));
      (await transport.nextRequest()).respondWith({ status: 500, body: xmlError('InternalError', 'invalid token') });
      expect((await done).error).to.include({ status: 500, retryable: true, attempts: 1 });
      expect(authorizer.invalidations).to.equal(0);
      expect(transport.requests).to.have.length(1);
    });

    it('should treat a 503 ExpiredToken as any 503: retried by the policy, credentials kept', async () => {
      const { client, transport, authorizer } = setup();
      const done = client.request({ ...put, key: 'a', body: 'x' });
      (await transport.nextRequest()).respondWith({ status: 503, body: xmlError('ExpiredToken', 'expired') });
      (await transport.nextRequest()).respondWith({ status: 200 });
      expect((await done).attempts).to.equal(2);
      expect(authorizer.invalidations).to.equal(0);
    });

    it('should renew credentials and resend a POST on a 403 InvalidAccessKeyId, refused before acting', async () => {
      const { client, transport, authorizer } = setup();
      const done = client.request(submit);
      (await transport.nextRequest()).respondWith({ status: 403, body: xmlError('InvalidAccessKeyId', 'no') });
      (await transport.nextRequest()).respondWith({ status: 200 });
      expect((await done).attempts).to.equal(2);
      expect(authorizer.invalidations).to.equal(1);
    });
  });
});
