import { expect } from 'chai';
import type { Emulator } from '../../src/emulator/index.js';
import type { EmulatorOptions } from '../../src/emulator/options.js';
import { permanentKeys, send, signedHeaders, startTestEmulator } from '../helpers/emulator.js';
import { openRaw, rawStatus, settle, type RawConnection } from './front-door-support.js';

type Limits = NonNullable<EmulatorOptions['limits']>;

describe('emulator front door: bounded under abuse', function () {
  this.timeout(15_000);
  const started: Emulator[] = [];
  const start = async (limits: Limits, options: EmulatorOptions = {}) => {
    const emulator = await startTestEmulator({ limits, ...options });
    started.push(emulator);
    return emulator;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });

  /** Writes `text` every `everyMs` until the connection closes; returns a stop function. */
  const trickle = (raw: RawConnection, text: string, everyMs: number): (() => void) => {
    const timer = setInterval(() => {
      if (!raw.socket.destroyed) raw.socket.write(text);
    }, everyMs);
    void raw.closed.then(() => clearInterval(timer));
    return () => clearInterval(timer);
  };

  it('should cut a client that sends its headers too slowly (headersTimeoutMs)', async () => {
    const emulator = await start({ headersTimeoutMs: 300, idleTimeoutMs: 10_000 });
    const raw = await openRaw(emulator);
    raw.socket.write(`GET /_emulator/health HTTP/1.1\r\nHost: localhost:${emulator.endpoints.port}\r\n`);
    const stop = trickle(raw, 'x-slow: 1\r\n', 50);
    const closedAfter = await Promise.race([raw.closed, settle(3000, -1)]);
    stop();
    expect(closedAfter).to.be.within(250, 1500);
    expect(raw.received()).to.not.contain('"ok"');
  });

  it('should cut a body that stalls (idleTimeoutMs), storing nothing', async () => {
    const emulator = await start({ idleTimeoutMs: 300 });
    const headers = await signedHeaders(emulator, { method: 'PUT', path: '/stalled.bin' });
    const raw = await openRaw(emulator);
    const head = Object.entries({ ...headers, 'content-length': '1000' }).map(([n, v]) => `${n}: ${v}\r\n`);
    raw.socket.write(`PUT /stalled.bin HTTP/1.1\r\n${head.join('')}\r\n${'x'.repeat(100)}`);
    const closedAfter = await Promise.race([raw.closed, settle(3000, -1)]);
    expect(closedAfter).to.be.within(250, 1500);
    const keys = permanentKeys(emulator);
    expect((await send(emulator, { service: 'cos', method: 'HEAD', path: '/stalled.bin', keys })).status).to.equal(404);
  });

  it('should cut a silent connection that never sends a request', async () => {
    const emulator = await start({ idleTimeoutMs: 300, headersTimeoutMs: 10_000 });
    const raw = await openRaw(emulator);
    expect(await Promise.race([raw.closed, settle(3000, -1)])).to.be.within(250, 1500);
  });

  it('should cut a request that takes longer than requestTimeoutMs as a whole', async () => {
    const emulator = await start({ requestTimeoutMs: 600, headersTimeoutMs: 300, idleTimeoutMs: 10_000 });
    const headers = await signedHeaders(emulator, { method: 'PUT', path: '/slow.bin' });
    const raw = await openRaw(emulator);
    const head = Object.entries({ ...headers, 'content-length': '100000' }).map(([n, v]) => `${n}: ${v}\r\n`);
    raw.socket.write(`PUT /slow.bin HTTP/1.1\r\n${head.join('')}\r\n`);
    const stop = trickle(raw, 'x', 50);
    const closedAfter = await Promise.race([raw.closed, settle(4000, -1)]);
    stop();
    expect(closedAfter).to.be.within(500, 2500);
  });

  it('should refuse connections beyond maxConnections, and take new ones once some close', async () => {
    const emulator = await start({ maxConnections: 2 });
    const held = [await openRaw(emulator), await openRaw(emulator)];
    for (const raw of held) raw.socket.write('GET /_emulator/health HTTP/1.1\r\n'); // unfinished, they stay open
    const extra = await openRaw(emulator);
    extra.socket.write(`GET /_emulator/health HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    expect(await Promise.race([extra.closed, settle(2000, -1)])).to.be.at.least(0);
    expect(extra.received()).to.equal('');
    for (const raw of held) raw.socket.destroy();
    await Promise.all(held.map((raw) => raw.closed));
    await new Promise((done) => setTimeout(done, 50));
    const next = await openRaw(emulator);
    next.socket.write(`GET /_emulator/health HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    await next.waitFor('{"ok":true}');
    expect(rawStatus(next.received())).to.equal(200);
    next.socket.destroy();
  });

  it('should not count its own waits (latency, bandwidth) as a silent client', async () => {
    const emulator = await start({ idleTimeoutMs: 300 });
    const keys = permanentKeys(emulator);
    const body = Buffer.alloc(4096, 7);
    const seeded = await send(emulator, { service: 'cos', method: 'PUT', path: '/slow/four-k.bin', keys, body });
    expect(seeded.status).to.equal(200);
    const operations = ['GetObject', 'PutObject'] as const;
    emulator.faults.update({ rules: [{ latencyMs: 700 }, { operations: [...operations], bandwidth: 1024 }] });
    const startedAt = Date.now();
    const get = await send(emulator, { service: 'cos', method: 'GET', path: '/slow/four-k.bin', keys });
    expect(get.status).to.equal(200);
    expect(get.body.length).to.equal(4096);
    const upload = Buffer.alloc(3000);
    const put = await send(emulator, { service: 'cos', method: 'PUT', path: '/slow/up.bin', keys, body: upload });
    expect(put.status).to.equal(200);
    expect(Date.now() - startedAt).to.be.above(2000);
  });
});
