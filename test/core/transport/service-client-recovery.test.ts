import { expect } from 'chai';
import { parseAuthorization } from '../../../src/core/signing/authorization.js';
import type { ShouldRetryState } from '../../../src/core/transport/retry.js';
import { NOW, put, settle, setup, SUBMIT_JOB } from '../../helpers/service-client-setup.js';
import type { FakeTransport, ScriptedReply } from '../../helpers/fake-transport.js';

const xmlError = (code: string, message = '') =>
  `<?xml version='1.0' encoding='utf-8' ?><Error><Code>${code}</Code><Message>${message}</Message>` +
  '<RequestId>req-from-body</RequestId></Error>';

const submit = { ...SUBMIT_JOB, idempotent: false } as const;

/** Answers the next requests in order and returns them. */
async function answer(transport: FakeTransport, ...replies: (ScriptedReply | 'network' | 'timeout')[]) {
  const seen = [];
  for (const reply of replies) {
    const req = await transport.nextRequest();
    seen.push(req);
    if (typeof reply === 'string') req.fail(reply);
    else req.respondWith(reply);
  }
  return seen;
}

const signStart = (authorization: string | undefined) =>
  Number(parseAuthorization(authorization ?? '')!.signTime.split(';')[0]);

describe('ServiceClient', () => {
  describe('retries', () => {
    it('should retry a 503 and return the later success with the number of attempts', async () => {
      const { client, transport } = setup();
      const done = client.request({ ...put, key: 'a', body: 'x' });
      const seen = await answer(
        transport,
        { status: 503, body: xmlError('ServiceUnavailable') },
        { status: 503, body: xmlError('SlowDown') },
        { status: 200 },
      );
      expect(seen.map((r) => `${r.method} ${r.path}`)).to.deep.equal(['PUT /a', 'PUT /a', 'PUT /a']);
      expect((await done).attempts).to.equal(3);
    });

    it('should retry a 500, a 429, a network error and a timeout', async () => {
      const { client, transport } = setup({ retry: { delays: [1, 1, 1, 1], jitter: 0 } });
      const done = client.request({ ...put, key: 'a', body: 'x' });
      await answer(transport, { status: 500 }, { status: 429 }, 'network', 'timeout', { status: 200 });
      expect((await done).attempts).to.equal(5);
    });

    it('should sign each attempt again', async () => {
      const { client, transport, authorizer } = setup();
      const done = client.request({ ...put, key: 'a', body: 'x' });
      await answer(transport, { status: 500 }, { status: 200 });
      await done;
      expect(authorizer.calls).to.have.length(2);
    });

    it('should give up after the last delay with the last error and every attempt counted', async () => {
      const { client, transport } = setup();
      const done = settle(client.request({ ...put, key: 'a', body: 'x' }));
      await answer(transport, { status: 500 }, { status: 502 }, { status: 503 }, { status: 504 });
      const { error } = await done;
      expect(error).to.include({ code: 'service', status: 504, attempts: 4, retryable: true, phase: 'upload' });
      expect(transport.requests).to.have.length(4);
    });

    for (const status of [400, 403, 404, 409]) {
      it(`should not retry a ${status}`, async () => {
        const { client, transport } = setup();
        const done = settle(client.request({ ...put, key: 'a', body: 'x' }));
        await answer(transport, { status, body: xmlError('SomeError', 'no') });
        const { error } = await done;
        expect(error).to.include({ code: 'service', status, serviceCode: 'SomeError', attempts: 1, retryable: false });
        expect(transport.requests).to.have.length(1);
      });
    }

    it('should keep the query string and the token out of the error message', async () => {
      const { client, transport } = setup();
      const done = settle(client.request({ ...put, key: 'a b', query: { uploadId: 'U-SECRET' }, body: 'x' }));
      await answer(transport, { status: 404, body: xmlError('NoSuchUpload', 'The specified upload does not exist.') });
      const { error } = await done;
      expect(error!.message).to.equal(
        'cos:PutObject failed: PUT https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a%20b answered 404 ' +
          'NoSuchUpload: "The specified upload does not exist." (request id: req-from-body)',
      );
      expect(error!.message).not.to.match(/U-SECRET|token-1|q-signature/);
    });

    it('should name the operation in a network error', async () => {
      const { client, transport } = setup({ retry: { delays: [] } });
      const done = settle(client.request({ ...put, key: 'a', query: { uploadId: 'U-SECRET' }, body: 'x' }));
      await answer(transport, 'network');
      const { error } = await done;
      expect(error).to.include({ code: 'network', phase: 'upload', retryable: true, attempts: 1 });
      expect(error!.message).to.match(/^cos:PutObject failed: /);
    });

    it('should not retry at all with an empty delays array', async () => {
      const { client, transport } = setup({ retry: { delays: [] } });
      const done = settle(client.request({ ...put, key: 'a', body: 'x' }));
      await answer(transport, { status: 503 });
      expect((await done).error).to.include({ status: 503, attempts: 1 });
    });

    it('should wait for Retry-After instead of the policy delay, capped at maxRetryAfter', async () => {
      const { client, transport } = setup({ retry: { delays: [1], jitter: 0, maxRetryAfter: 60 } });
      const done = client.request({ ...put, key: 'a', body: 'x' });
      (await transport.nextRequest()).respondWith({ status: 429, headers: { 'Retry-After': '120' } });
      const answered = Date.now();
      const retry = await transport.nextRequest();
      expect(Date.now() - answered).to.be.within(50, 1000);
      retry.respondWith({ status: 200 });
      expect((await done).attempts).to.equal(2);
    });

    it('should let shouldRetry decide, given the error, the retry number and the URL without query', async () => {
      const states: ShouldRetryState[] = [];
      const { client, transport } = setup({
        retry: { delays: [1, 1, 1], shouldRetry: (state) => (states.push(state), state.error.status === 404) },
      });
      const done = settle(client.request({ ...put, key: 'a', query: { uploadId: 'u' }, body: 'x' }));
      await answer(transport, { status: 404 }, { status: 500 });
      expect((await done).error).to.include({ status: 500, attempts: 2 });
      expect(states.map((s) => [s.attempt, s.error.status, s.request])).to.deep.equal([
        [1, 404, { method: 'PUT', url: 'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a' }],
        [2, 500, { method: 'PUT', url: 'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a' }],
      ]);
    });

    it('should start every request with the full retry budget', async () => {
      const { client, transport } = setup({ retry: { delays: [1], jitter: 0 } });
      const first = settle(client.request({ ...put, key: 'a', body: 'x' }));
      await answer(transport, { status: 500 }, { status: 500 });
      expect((await first).error).to.include({ attempts: 2 });
      const second = client.request({ ...put, key: 'b', body: 'x' });
      await answer(transport, { status: 500 }, { status: 200 });
      expect((await second).attempts).to.equal(2);
    });
  });

  describe('clock skew', () => {
    const tenMinutesAhead = new Date(NOW + 600_000).toUTCString();

    it('should correct the clock and re-sign at once on RequestTimeTooSkewed', async () => {
      const { client, transport, clock } = setup({ retry: { delays: [] } });
      const done = client.request({ ...put, key: 'a', body: 'x' });
      const [first, second] = await answer(
        transport,
        { status: 403, headers: { Date: tenMinutesAhead }, body: xmlError('RequestTimeTooSkewed') },
        { status: 200 },
      );
      expect(clock.offset).to.equal(600_000);
      expect(signStart(first!.headers.authorization)).to.equal(Math.floor(NOW / 1000));
      expect(signStart(second!.headers.authorization)).to.equal(Math.floor((NOW + 600_000) / 1000));
      expect((await done).attempts).to.equal(2);
    });

    it('should correct the clock on AccessDenied "Request has expired"', async () => {
      const { client, transport, clock, authorizer } = setup();
      const done = client.request({ ...put, key: 'a', body: 'x' });
      await answer(
        transport,
        { status: 403, headers: { Date: tenMinutesAhead }, body: xmlError('AccessDenied', 'Request has expired') },
        { status: 200 },
      );
      await done;
      expect(clock.offset).to.equal(600_000);
      expect(authorizer.invalidations).to.equal(0);
    });

    it('should correct the clock at most twice per request', async () => {
      const { client, transport } = setup();
      const done = settle(client.request({ ...put, key: 'a', body: 'x' }));
      const skewed = { status: 403, headers: { Date: tenMinutesAhead }, body: xmlError('RequestTimeTooSkewed') };
      await answer(
        transport,
        skewed,
        { ...skewed, headers: { Date: new Date(NOW + 1_200_000).toUTCString() } },
        { ...skewed, headers: { Date: new Date(NOW + 1_800_000).toUTCString() } },
      );
      const { error } = await done;
      expect(error).to.include({ serviceCode: 'RequestTimeTooSkewed', status: 403, attempts: 3 });
    });

    it('should not retry a skew error when the Date header is within 30 s', async () => {
      const { client, transport, clock } = setup();
      const done = settle(client.request({ ...put, key: 'a', body: 'x' }));
      await answer(transport, {
        status: 403,
        headers: { Date: new Date(NOW + 10_000).toUTCString() },
        body: xmlError('RequestTimeTooSkewed'),
      });
      expect((await done).error).to.include({ serviceCode: 'RequestTimeTooSkewed', attempts: 1 });
      expect(clock.offset).to.equal(0);
    });
  });

  describe('expired credentials', () => {
    it('should invalidate the credentials and retry once with new ones on ExpiredToken', async () => {
      const { client, transport, authorizer } = setup({ retry: { delays: [] } });
      const done = client.request({ ...put, key: 'a', body: 'x' });
      const [first, second] = await answer(
        transport,
        { status: 400, body: xmlError('ExpiredToken', 'The provided token has expired.') },
        { status: 200 },
      );
      expect(authorizer.invalidations).to.equal(1);
      expect([first!.headers['x-cos-security-token'], second!.headers['x-cos-security-token']]).to.deep.equal([
        'token-1',
        'token-2',
      ]);
      expect((await done).attempts).to.equal(2);
    });

    it('should fail when the fresh credentials are refused too', async () => {
      const { client, transport, authorizer } = setup();
      const done = settle(client.request({ ...put, key: 'a', body: 'x' }));
      const expired = { status: 403, body: xmlError('InvalidAccessKeyId', 'The Access Key Id does not exist') };
      await answer(transport, expired, expired);
      expect((await done).error).to.include({ serviceCode: 'InvalidAccessKeyId', attempts: 2 });
      expect(authorizer.invalidations).to.equal(1);
    });
  });

  describe('requests that are not idempotent', () => {
    it('should not resend after a network error, and say the failure is retryable', async () => {
      const { client, transport } = setup();
      const done = settle(client.request(submit));
      await answer(transport, 'network');
      expect((await done).error).to.include({ code: 'network', phase: 'submit', retryable: true, attempts: 1 });
      expect(transport.requests).to.have.length(1);
    });

    it('should not resend after a timeout', async () => {
      const { client, transport } = setup();
      const done = settle(client.request(submit));
      await answer(transport, 'timeout');
      expect((await done).error).to.include({ code: 'timeout', retryable: true, attempts: 1 });
    });

    it('should not resend after a 500', async () => {
      const { client, transport } = setup();
      const done = settle(client.request(submit));
      await answer(transport, { status: 500, body: xmlError('InternalError') });
      expect((await done).error).to.include({ status: 500, retryable: true, attempts: 1 });
    });

    it('should resend after a 429 and a 503 SlowDown, which reject before processing', async () => {
      const { client, transport } = setup();
      const done = client.request(submit);
      await answer(transport, { status: 429 }, { status: 503, body: xmlError('SlowDown') }, { status: 200 });
      expect((await done).attempts).to.equal(3);
    });

    it('should not ask shouldRetry about a failure that is unsafe to resend', async () => {
      let asked = 0;
      const { client, transport } = setup({ retry: { delays: [1], shouldRetry: () => (asked++, true) } });
      const done = settle(client.request(submit));
      await answer(transport, 'network');
      await done;
      expect(asked).to.equal(0);
    });

    it('should still correct the clock, which the service checks before acting', async () => {
      const { client, transport } = setup();
      const done = client.request(submit);
      await answer(
        transport,
        {
          status: 403,
          headers: { Date: new Date(NOW - 600_000).toUTCString() },
          body: xmlError('RequestTimeTooSkewed'),
        },
        { status: 200 },
      );
      expect((await done).attempts).to.equal(2);
    });
  });

  describe('aborting', () => {
    it('should stop waiting for a retry as soon as the signal aborts', async () => {
      const { client, transport } = setup({ retry: { delays: [10_000] } });
      const controller = new AbortController();
      const done = settle(client.request({ ...put, key: 'a', body: 'x', signal: controller.signal }));
      await answer(transport, { status: 503 });
      const started = Date.now();
      setTimeout(() => controller.abort(), 5);
      const { error } = await done;
      expect(Date.now() - started).to.be.below(500);
      expect(error).to.include({ code: 'aborted', phase: 'upload', attempts: 1 });
      expect(transport.requests).to.have.length(1);
    });

    it('should abort a request in flight', async () => {
      const { client, transport } = setup();
      const controller = new AbortController();
      const done = settle(client.request({ ...put, key: 'a', body: 'x', signal: controller.signal }));
      await transport.nextRequest();
      controller.abort();
      expect((await done).error).to.include({ code: 'aborted', attempts: 1 });
      expect(transport.requests).to.have.length(1);
    });

    it('should send nothing when the signal has already aborted', async () => {
      const { client, transport, authorizer } = setup();
      const { error } = await settle(client.request({ ...put, key: 'a', body: 'x', signal: AbortSignal.abort() }));
      expect(error).to.include({ code: 'aborted' });
      expect(authorizer.calls).to.have.length(0);
      expect(transport.requests).to.have.length(0);
    });
  });

  describe('transport options', () => {
    it('should pass the client timeout, a per-request override and the progress callback', async () => {
      const { client, transport } = setup({ timeout: 1234 });
      const onUploadProgress = () => {};
      const first = client.request({ ...put, key: 'a', body: 'x', onUploadProgress });
      const req = await transport.nextRequest();
      expect(req.timeout).to.equal(1234);
      expect(req.onUploadProgress).to.equal(onUploadProgress);
      req.respondWith({ status: 200 });
      await first;
      const second = client.request({ ...put, key: 'a', body: 'x', timeout: 99 });
      const other = await transport.nextRequest();
      expect(other.timeout).to.equal(99);
      other.respondWith({ status: 200 });
      await second;
    });
  });
});
