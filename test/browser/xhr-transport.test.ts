import { expect } from 'chai';
import { errorFromResponse } from '../../src/core/transport/error-response.js';
import { XhrTransport } from '../../src/core/transport/xhr-transport.js';
import { OTHER_ORIGIN, scripted } from './scripted-server.js';
import { rejection as failure } from '../helpers/expect-error.js';
import { settleTasks, watchAbortListeners, watchTimers } from '../core/transport/leak-tracker.js';

const transport = new XhrTransport();

describe('XhrTransport', () => {
  it('should resolve with the status and the exposed headers, lower-cased', async () => {
    const response = await transport.send({
      method: 'GET',
      url: scripted({
        status: '201',
        'h.X-Cos-Request-Id': 'rid-1',
        'h.ETag': '"abc"',
        'h.X-Not-Exposed': 'secret',
        expose: 'X-Cos-Request-Id, ETag',
      }),
      headers: {},
    });
    expect(response.status).to.equal(201);
    expect(response.headers).to.include({ 'x-cos-request-id': 'rid-1', etag: '"abc"' });
    expect(response.headers).not.to.have.property('x-not-exposed');
  });

  it('should resolve an error status with its body', async () => {
    const text = '<Error><Code>NoSuchKey</Code></Error>';
    const response = await transport.send({ method: 'GET', url: scripted({ status: '404', text }), headers: {} });
    expect(response).to.include({ status: 404, body: text });
  });

  it('should send settable headers and leave forbidden ones to the browser', async () => {
    const response = await transport.send({
      method: 'PUT',
      url: scripted({ body: 'echo' }),
      headers: { host: 'evil.example', 'content-length': '1', 'x-cos-meta-a': 'b', authorization: 'q-sign' },
      body: 'hello',
    });
    const echo = JSON.parse(response.body);
    expect(echo.headers.host).to.equal(new URL(OTHER_ORIGIN).host);
    expect(echo.headers['content-length']).to.equal('5');
    expect(echo.headers).to.include({ 'x-cos-meta-a': 'b', authorization: 'q-sign' });
  });

  it('should report upload progress up to the size of a 4 MB body', async () => {
    const size = 4 * 1024 * 1024;
    const progress: [number, number][] = [];
    const response = await transport.send({
      method: 'PUT',
      url: scripted({ body: 'echo' }),
      headers: {},
      body: new Blob([new Uint8Array(size)]),
      onUploadProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(JSON.parse(response.body).bytes).to.equal(size);
    expect(progress.length).to.be.at.least(1);
    expect(progress.at(-1)).to.deep.equal([size, size]);
    const sent = progress.map(([s]) => s);
    expect(sent).to.deep.equal([...sent].sort((a, b) => a - b));
  });

  it('should reject with aborted when the signal aborts', async () => {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 30);
    const error = await failure(
      transport.send({ method: 'GET', url: scripted({ delay: '2000' }), headers: {}, signal: controller.signal }),
    );
    expect(error.code).to.equal('aborted');
    expect(performance.now() - started).to.be.below(1000);
  });

  it('should reject at once when the signal has already aborted', async () => {
    const error = await failure(
      transport.send({ method: 'GET', url: scripted({}), headers: {}, signal: AbortSignal.abort() }),
    );
    expect(error.code).to.equal('aborted');
  });

  it('should reject with a retryable timeout when nothing happens for the inactivity limit', async () => {
    const started = performance.now();
    const error = await failure(
      transport.send({ method: 'GET', url: scripted({ delay: '2000' }), headers: {}, timeout: 100 }),
    );
    expect(error).to.include({ code: 'timeout', retryable: true });
    expect(performance.now() - started).to.be.within(90, 1000);
  });

  it('should reject with a retryable network error when the connection drops', async () => {
    const error = await failure(transport.send({ method: 'GET', url: scripted({ drop: '1' }), headers: {} }));
    expect(error).to.include({ code: 'network', retryable: true });
  });

  it('should reject with a network error when CORS refuses the response, without the query string', async () => {
    const error = await failure(
      transport.send({ method: 'GET', url: `${OTHER_ORIGIN}/not-scripted?q-signature=SECRET`, headers: {} }),
    );
    expect(error.code).to.equal('network');
    expect(error.message).not.to.include('SECRET');
  });

  it('should resolve a proxy HTML 502 page, which becomes an error without markup', async () => {
    const url = scripted({ status: '502', body: 'html' });
    const response = await transport.send({ method: 'GET', url, headers: {} });
    expect(response.status).to.equal(502);
    expect(response.body).to.include('<html>');
    const error = errorFromResponse(response, { method: 'GET', url, phase: 'upload' });
    expect(error).to.include({ code: 'service', status: 502, retryable: true });
    expect(error.message).not.to.match(/[<>]|nginx|body=html/);
  });

  it('should reject a header the browser refuses with invalid-request, never quoting its value', async () => {
    const error = await failure(
      transport.send({
        method: 'GET',
        url: scripted({}),
        headers: { authorization: 'q-signature=SECRET-SIGNATURE', 'x-cos-security-token': 'SECRET-TOKEN\r\nx: 1' },
      }),
    );
    expect(error).to.include({ code: 'invalid-request', retryable: false });
    expect((error.cause as Error).message).to.match(/^\w+ from XMLHttpRequest$/);
    expect(`${error.message} ${String(error.stack)} ${String((error.cause as Error).stack)}`).not.to.include('SECRET');
  });

  describe('clean-up', () => {
    let timers: ReturnType<typeof watchTimers>;
    beforeEach(() => {
      timers = watchTimers();
    });
    afterEach(() => timers.restore());

    const cases: [string, Record<string, string>, number, ((c: AbortController) => void) | undefined, string?][] = [
      ['a completed request', {}, 5000, undefined],
      ['an aborted request', { delay: '2000' }, 5000, (c) => setTimeout(() => c.abort(), 30), 'aborted'],
      ['a timed-out request', { delay: '2000' }, 50, undefined, 'timeout'],
      ['a dropped connection', { drop: '1' }, 5000, undefined, 'network'],
    ];
    for (const [name, params, timeout, act, code] of cases) {
      it(`should leave no abort listener and no timer behind after ${name}`, async () => {
        const controller = new AbortController();
        const signal = watchAbortListeners(controller.signal);
        const sent = transport.send({
          method: 'PUT',
          url: scripted(params),
          headers: {},
          body: 'x',
          timeout,
          signal: controller.signal,
        });
        act?.(controller);
        const outcome = await sent.then(
          () => undefined,
          (e: { code?: string }) => e.code,
        );
        await settleTasks();
        expect({ outcome, listeners: signal.listeners, timers: timers.pending }).to.deep.equal({
          outcome: code,
          listeners: 0,
          timers: 0,
        });
      });
    }
  });
});
