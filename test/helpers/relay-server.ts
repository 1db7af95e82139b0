// The demo host's callback relay alone on a node:http server (with a 404 behind it), on a free port of 127.0.0.1,
// with a bounded request helper and an SSE client per job: what the relay's Node tests run against.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCallbackRelay, type CallbackRelay, type CallbackRelayOptions } from '../../demo/host/callback-relay.js';
import { SseClient } from './sse-client.js';

/** An answer of the relay server. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A node:http server with only the relay (and a 404 behind it) at `/api`, on a free port. */
export class RelayServer {
  readonly relay: CallbackRelay;
  #server: Server;

  constructor(options: CallbackRelayOptions = {}) {
    this.relay = createCallbackRelay(options);
    this.#server = createServer((req, res) =>
      this.relay(req, res, () => {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('next');
      }),
    );
  }

  async start(): Promise<this> {
    await new Promise<void>((done) => this.#server.listen(0, '127.0.0.1', done));
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  events(jobId: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return SseClient.open(this.url(`/api/job-events?jobId=${encodeURIComponent(jobId)}`), headers);
  }

  /** Sends one request (bounded); `chunked` sends the body without a Content-Length. */
  send(method: string, path: string, body?: string, options: { chunked?: boolean } = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (body !== undefined && !options.chunked) headers['content-length'] = String(Buffer.byteLength(body));
      const req = request(this.url(path), { method, headers, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString();
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text });
        });
      });
      const timer = setTimeout(() => req.destroy(new Error(`${method} ${path}: no answer within 3 s`)), 3000);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(body);
    });
  }

  post(body: string, options: { chunked?: boolean } = {}): Promise<Reply> {
    return this.send('POST', '/api/ci-callback', body, options);
  }

  async close(): Promise<void> {
    this.relay.close();
    this.#server.closeAllConnections();
    await new Promise((done) => this.#server.close(done));
  }
}


/**
 * Relay servers and event-stream clients for one `describe` block, closed after each test: `start()` a server,
 * `subscribe()` to a job's stream.
 */
export function relayServers() {
  const servers: RelayServer[] = [];
  const clients: SseClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return {
    async start(options: CallbackRelayOptions = {}): Promise<RelayServer> {
      const server = await new RelayServer(options).start();
      servers.push(server);
      return server;
    },
    async subscribe(server: RelayServer, jobId: string, headers: Record<string, string> = {}): Promise<SseClient> {
      const client = await server.events(jobId, headers);
      clients.push(client);
      return client;
    },
  };
}
