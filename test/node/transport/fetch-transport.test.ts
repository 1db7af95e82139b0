import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FetchTransport } from '../../../src/core/transport/fetch-transport.js';
import { rejection as failure } from '../../helpers/expect-error.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;


describe('FetchTransport over Node HTTP', () => {
  let server: Server;
  let origin: string;
  let handler: Handler;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => handler(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('should send the body with the Host and Content-Length the runtime computes', async () => {
    let seen: { headers: IncomingMessage['headers']; body: string } | undefined;
    handler = (req, res, body) => {
      seen = { headers: req.headers, body: body.toString('utf8') };
      res.writeHead(200, { 'X-Cos-Request-Id': 'rid-1', ETag: '"e"' }).end();
    };
    const response = await new FetchTransport().send({
      method: 'PUT',
      url: `${origin}/a%20b`,
      headers: { host: 'evil.example', 'content-length': '1', 'x-cos-meta-a': 'b' },
      body: '腾讯',
    });
    expect(response.status).to.equal(200);
    expect(response.headers).to.include({ 'x-cos-request-id': 'rid-1', etag: '"e"' });
    expect(seen!.headers).to.include({ host: new URL(origin).host, 'content-length': '6', 'x-cos-meta-a': 'b' });
    expect(seen!.body).to.equal('腾讯');
  });

  it('should resolve an error status with its XML body', async () => {
    handler = (_req, res) => res.writeHead(503).end('<Error><Code>SlowDown</Code></Error>');
    const response = await new FetchTransport().send({ method: 'GET', url: `${origin}/a`, headers: {} });
    expect(response).to.include({ status: 503, body: '<Error><Code>SlowDown</Code></Error>' });
  });

  it('should reject with a network error when the connection drops', async () => {
    handler = (req) => req.socket.destroy();
    const error = await failure(new FetchTransport().send({ method: 'GET', url: `${origin}/a`, headers: {} }));
    expect(error).to.include({ code: 'network', retryable: true });
  });

  it('should reject with timeout when the body stalls', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('<Complete');
      // Never ends: a stalled CompleteMultipartUpload body.
    };
    const started = Date.now();
    const error = await failure(
      new FetchTransport().send({ method: 'POST', url: `${origin}/a`, headers: {}, body: 'x', timeout: 50 }),
    );
    expect(error).to.include({ code: 'timeout', retryable: true });
    expect(Date.now() - started).to.be.below(1000);
  });

  it('should reject with aborted when the signal aborts while waiting', async () => {
    handler = () => {};
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const error = await failure(
      new FetchTransport().send({ method: 'GET', url: `${origin}/a`, headers: {}, signal: controller.signal }),
    );
    expect(error.code).to.equal('aborted');
  });
});
