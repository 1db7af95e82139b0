import { expect } from 'chai';
import { FetchTransport } from '../../../src/core/transport/fetch-transport.js';
import { rejection as failure } from '../../helpers/expect-error.js';

type FetchCall = { url: string; init: RequestInit };

/** A `fetch` that records its calls and answers with `reply` (or never, when `reply` is undefined). */
function fakeFetch(reply?: (call: FetchCall) => Promise<Response>) {
  const calls: FetchCall[] = [];
  const fetch = ((url: string, init: RequestInit) => {
    const call = { url, init };
    calls.push(call);
    return new Promise<Response>((resolve, reject) => {
      init.signal?.addEventListener('abort', () => reject(init.signal!.reason ?? new DOMException('', 'AbortError')));
      if (reply) reply(call).then(resolve, reject);
    });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}


const URL_WITH_QUERY = 'https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a%20b?uploadId=SECRET';

describe('FetchTransport', () => {
  it('should send the method, URL, body and settable headers', async () => {
    const { fetch, calls } = fakeFetch(async () => new Response('', { status: 200 }));
    await new FetchTransport({ fetch }).send({
      method: 'PUT',
      url: URL_WITH_QUERY,
      headers: { host: 'h', 'content-length': '3', authorization: 'q-sign', 'x-cos-security-token': 't' },
      body: 'abc',
    });
    expect(calls).to.have.length(1);
    expect(calls[0]!.url).to.equal(URL_WITH_QUERY);
    expect(calls[0]!.init).to.include({ method: 'PUT', body: 'abc' });
    expect(calls[0]!.init.headers).to.deep.equal({ authorization: 'q-sign', 'x-cos-security-token': 't' });
  });

  it('should resolve any status with lower-cased headers and the body as text', async () => {
    const { fetch } = fakeFetch(
      async () =>
        new Response('<Error><Code>NoSuchKey</Code></Error>', {
          status: 404,
          headers: { 'X-Cos-Request-Id': 'id-1', ETag: '"e"' },
        }),
    );
    const response = await new FetchTransport({ fetch }).send({ method: 'GET', url: URL_WITH_QUERY, headers: {} });
    expect(response.status).to.equal(404);
    expect(response.headers).to.include({ 'x-cos-request-id': 'id-1', etag: '"e"' });
    expect(response.body).to.equal('<Error><Code>NoSuchKey</Code></Error>');
  });

  it('should decode a UTF-8 body split across chunks', async () => {
    const bytes = new TextEncoder().encode('<Key>腾讯</Key>');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 6));
        controller.enqueue(bytes.slice(6));
        controller.close();
      },
    });
    const { fetch } = fakeFetch(async () => new Response(stream, { status: 200 }));
    const response = await new FetchTransport({ fetch }).send({ method: 'GET', url: URL_WITH_QUERY, headers: {} });
    expect(response.body).to.equal('<Key>腾讯</Key>');
  });

  it('should reject a failed fetch with a retryable network error that omits the query string', async () => {
    const { fetch } = fakeFetch(async () => {
      throw new TypeError('Failed to fetch');
    });
    const sent = new FetchTransport({ fetch }).send({ method: 'PUT', url: URL_WITH_QUERY, headers: {} });
    const error = await failure(sent);
    expect(error).to.include({ code: 'network', retryable: true });
    expect(error.message).to.include('PUT https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a%20b');
    expect(error.message).not.to.include('SECRET');
  });

  it('should keep only the type of the fetch exception as the cause, never its message', async () => {
    const { fetch } = fakeFetch(async ({ init }) => {
      const { authorization } = init.headers as Record<string, string>;
      throw new TypeError(`Failed to fetch: '${authorization}' is not a valid HTTP header field value`);
    });
    const sent = new FetchTransport({ fetch }).send({
      method: 'PUT',
      url: URL_WITH_QUERY,
      headers: { authorization: 'q-sign-algorithm=sha1&q-signature=SECRET-SIGNATURE' },
    });
    const error = await failure(sent);
    expect(error.code).to.equal('network');
    expect(error.cause).to.be.instanceOf(Error).and.not.instanceOf(TypeError);
    expect((error.cause as Error).message).to.equal('TypeError from fetch');
  });

  it('should reject a header fetch refuses with invalid-request, without calling fetch or quoting it', async () => {
    const { fetch, calls } = fakeFetch(async () => new Response('', { status: 200 }));
    const sent = new FetchTransport({ fetch }).send({
      method: 'PUT',
      url: URL_WITH_QUERY,
      headers: { 'x-cos-security-token': 'SECRET-TOKEN-腾' },
    });
    const error = await failure(sent);
    expect(error).to.include({ code: 'invalid-request', retryable: false });
    expect((error.cause as Error).message).to.equal('TypeError from fetch');
    expect(`${error.message} ${String(error.stack)}`).not.to.include('SECRET');
    expect(calls).to.have.length(0);
  });

  it('should reject with invalid-request when fetch throws instead of rejecting', async () => {
    const fetch = (() => {
      throw new TypeError('synchronous');
    }) as typeof globalThis.fetch;
    const sent = new FetchTransport({ fetch }).send({ method: 'GET', url: URL_WITH_QUERY, headers: {} });
    const error = await failure(sent);
    expect(error).to.include({ code: 'invalid-request', retryable: false });
  });

  it('should read response headers named after Object.prototype members as plain headers', async () => {
    const { fetch } = fakeFetch(async () => new Response('', { status: 200, headers: { constructor: 'a' } }));
    const response = await new FetchTransport({ fetch }).send({ method: 'GET', url: URL_WITH_QUERY, headers: {} });
    expect(response.headers.constructor).to.equal('a');
    expect(Object.hasOwn(response.headers, 'tostring')).to.equal(false);
  });

  it('should reject with timeout when no response comes within the inactivity limit', async () => {
    const { fetch } = fakeFetch();
    const started = Date.now();
    const error = await failure(
      new FetchTransport({ fetch }).send({ method: 'GET', url: URL_WITH_QUERY, headers: {}, timeout: 20 }),
    );
    expect(error).to.include({ code: 'timeout', retryable: true });
    expect(Date.now() - started).to.be.below(500);
  });

  it('should count the whole upload against the timeout, and say so: fetch reports no upload progress', async () => {
    const { fetch } = fakeFetch(() => new Promise((resolve) => setTimeout(() => resolve(new Response('')), 200)));
    const sent = new FetchTransport({ fetch }).send({
      method: 'PUT',
      url: URL_WITH_QUERY,
      headers: {},
      body: 'a part that uploads slowly',
      timeout: 30,
    });
    const error = await failure(sent);
    expect(error).to.include({ code: 'timeout', retryable: true });
    expect(error.message).to.include('got no response headers within 30 ms of sending (the body upload included)');
  });

  it('should only limit the wait between response body chunks once the headers arrived', async () => {
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        controller.enqueue(new TextEncoder().encode('<a/>'));
        if (++pulls === 6) controller.close();
      },
    });
    let pulls = 0;
    const { fetch } = fakeFetch(async () => new Response(stream, { status: 200 }));
    const response = await new FetchTransport({ fetch }).send({
      method: 'GET',
      url: URL_WITH_QUERY,
      headers: {},
      timeout: 80,
    });
    expect(response.body).to.equal('<a/>'.repeat(6));
  });

  it('should reject with aborted when the signal aborts', async () => {
    const { fetch } = fakeFetch();
    const controller = new AbortController();
    const sent = new FetchTransport({ fetch }).send({
      method: 'GET',
      url: URL_WITH_QUERY,
      headers: {},
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 5);
    expect(await failure(sent)).to.include({ code: 'aborted' });
  });

  it('should not call fetch when the signal has already aborted', async () => {
    const { fetch, calls } = fakeFetch();
    const signal = AbortSignal.abort();
    const sent = new FetchTransport({ fetch }).send({ method: 'GET', url: URL_WITH_QUERY, headers: {}, signal });
    const error = await failure(sent);
    expect(error.code).to.equal('aborted');
    expect(calls).to.have.length(0);
  });
});
