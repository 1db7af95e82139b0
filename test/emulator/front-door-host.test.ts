import { expect } from 'chai';
import type { Emulator } from '../../src/emulator/index.js';
import { BUCKET, REGION, permanentKeys, rawRequest, send, startTestEmulator } from '../helpers/emulator.js';
import { openRaw, rawStatus } from './front-door-support.js';

describe('emulator front door: the Host check (DNS rebinding)', function () {
  let emulator: Emulator;
  let port: number;
  const get = (host: string, target = '/_emulator/health') =>
    rawRequest(emulator, { method: 'GET', target, headers: { host } });

  before(async () => {
    emulator = await startTestEmulator({ allowedHosts: ['emulator.example.test', '*.lan.example.test'] });
    port = emulator.endpoints.port;
  });
  afterEach(() => emulator.faults.update({}));
  after(() => emulator.close());

  it('should refuse a name that merely resolves to it with 403 InvalidHost naming --allow-host', async () => {
    const response = await get(`rebound.attacker.test:${port}`);
    expect(response.status).to.equal(403);
    const body = JSON.parse(response.text) as { error: string; message: string };
    expect(body.error).to.equal('InvalidHost');
    expect(body.message).to.contain('--allow-host rebound.attacker.test');
    expect(response.text).to.not.contain('"ok"');
  });

  it('should refuse service names under a domain it does not serve', async () => {
    const cos = await get(`${BUCKET}.cos.${REGION}.attacker.test:${port}`, '/a.txt');
    const sts = await get(`sts.attacker.test:${port}`, '/');
    expect([cos.status, sts.status]).to.deep.equal([403, 403]);
    expect(JSON.parse(cos.text)).to.have.property('error', 'InvalidHost');
  });

  it('should refuse a LAN address unless it is allowed', async () => {
    expect((await get(`192.168.1.20:${port}`)).status).to.equal(403);
    expect((await get(`10.0.0.7:${port}`)).status).to.equal(403);
  });

  it('should refuse a request without a Host', async () => {
    const raw = await openRaw(emulator);
    raw.socket.write('GET /_emulator/health HTTP/1.0\r\n\r\n');
    await raw.closed;
    expect(rawStatus(raw.received())).to.equal(403);
    expect(raw.received()).to.contain('InvalidHost');
  });

  it('should serve localhost, *.localhost, 127.0.0.0/8 and [::1], any port', async () => {
    const hosts = [`localhost:${port}`, 'localhost', `anything.localhost:${port}`, `127.0.0.1:${port}`];
    hosts.push(`127.1.2.3:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`);
    const statuses = await Promise.all(hosts.map(async (host) => (await get(host)).status));
    expect(statuses).to.deep.equal(hosts.map(() => 200));
  });

  it('should serve the names the user allows, and the subdomains of a *. one', async () => {
    expect((await get(`emulator.example.test:${port}`)).status).to.equal(200);
    expect((await get(`box.lan.example.test:${port}`)).status).to.equal(200);
    expect((await get(`lan.example.test:${port}`)).status).to.equal(403);
    expect((await get(`other.emulator.example.test:${port}`)).status).to.equal(403);
    const host = `${BUCKET}.cos.${REGION}.box.lan.example.test:${port}`;
    expect((await get(host, '/a.txt')).status).to.equal(403); // unsigned: AccessDenied, from COS itself
    expect((await get(host, '/a.txt')).text).to.contain('<Code>AccessDenied</Code>');
  });

  it('should serve a base domain the user names, and its subdomains', async () => {
    const custom = await startTestEmulator({ baseDomain: 'cos-emulator.test' });
    try {
      const at = (host: string) =>
        rawRequest(custom, { method: 'GET', target: '/_emulator/health', headers: { host } });
      const port2 = custom.endpoints.port;
      expect((await at(`cos-emulator.test:${port2}`)).status).to.equal(200);
      expect((await at(`sts.cos-emulator.test:${port2}`)).status).to.not.equal(403);
      expect((await at(`cos-emulator.test.attacker.test:${port2}`)).status).to.equal(403);
    } finally {
      await custom.close();
    }
  });

  it('should neither decide a fault nor read the body of a refused request', async () => {
    emulator.faults.update({ rules: [{ errorRate: 1 }] });
    const raw = await openRaw(emulator);
    const host = `${BUCKET}.cos.${REGION}.attacker.test:${port}`;
    raw.socket.write(`PUT /big.bin HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 10000000\r\n\r\n`);
    raw.socket.write(Buffer.alloc(1000));
    await raw.waitFor('InvalidHost');
    expect(rawStatus(raw.received())).to.equal(403);
    expect(raw.received().toLowerCase()).to.contain('connection: close');
    await raw.closed;
    expect(emulator.faults.stats()).to.deep.equal({});
    const keys = permanentKeys(emulator);
    expect((await send(emulator, { service: 'cos', method: 'HEAD', path: '/big.bin', keys })).status).to.equal(500);
  });
});
