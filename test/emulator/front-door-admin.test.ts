import { expect } from 'chai';
import type { Emulator } from '../../src/emulator/index.js';
import { seedObject, send, startTestEmulator, type WireResponse } from '../helpers/emulator.js';
import { SAMPLE, submit, transcodeBody } from './ci-support.js';

const TOKEN_HEADER = 'x-emulator-admin-token';

describe('emulator front door: the admin endpoint is not the web’s', function () {
  let emulator: Emulator;
  const admin = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    send(emulator, { service: 'base', method, path: `/_emulator${path}`, headers, ...(body && { body }) });
  const errorOf = (response: WireResponse) => (JSON.parse(response.text) as { error: string }).error;
  const rules = JSON.stringify({ rules: [{ errorRate: 1 }] });
  const own = () => `http://localhost:${emulator.endpoints.port}`;

  before(async () => {
    emulator = await startTestEmulator({ adminToken: 'a-token-of-the-test-0123456789' });
  });
  afterEach(() => emulator.faults.update({}));
  after(() => emulator.close());

  it('should print the admin token in its endpoints', () => {
    expect(emulator.endpoints.adminToken).to.equal('a-token-of-the-test-0123456789');
  });

  it('should pick a random 32-hex-digit token per start when none is given', async () => {
    const [one, two] = await Promise.all([startTestEmulator(), startTestEmulator()]);
    try {
      expect(one.endpoints.adminToken).to.match(/^[0-9a-f]{32}$/);
      expect(one.endpoints.adminToken).to.not.equal(two.endpoints.adminToken);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('should refuse a change without the token with 401 AdminTokenRequired, changing nothing', async () => {
    for (const [method, path] of [['PUT', '/faults'], ['DELETE', '/faults'], ['POST', '/faults']] as const) {
      const response = await admin(method, path, { 'content-type': 'application/json' }, rules);
      expect([method, response.status, errorOf(response)]).to.deep.equal([method, 401, 'AdminTokenRequired']);
      expect(response.text).to.contain(TOKEN_HEADER);
    }
    expect(emulator.faults.config).to.deep.equal({});
  });

  it('should refuse a wrong token, of any length', async () => {
    emulator.faults.update({ seed: 5 });
    for (const token of ['a-token-of-the-test-0123456788', 'short', `${emulator.endpoints.adminToken}x`]) {
      const response = await admin('DELETE', '/faults', { [TOKEN_HEADER]: token });
      expect(response.status).to.equal(401);
    }
    expect(emulator.faults.config).to.deep.equal({ seed: 5 });
  });

  it('should accept a change with the token', async () => {
    const response = await admin('PUT', '/faults', { [TOKEN_HEADER]: emulator.endpoints.adminToken }, rules);
    expect(response.status).to.equal(200);
    expect(emulator.faults.config).to.deep.equal({ rules: [{ errorRate: 1 }] });
  });

  it('should answer reads without a token, and no CORS header at all', async () => {
    const response = await admin('GET', '/faults');
    expect(response.status).to.equal(200);
    expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).to.deep.equal([]);
  });

  it('should refuse a request from another origin, a preflight included, without CORS headers', async () => {
    const origin = 'http://localhost:8811';
    const responses = [
      await admin('GET', '/', { origin }),
      await admin('GET', '/faults', { origin: 'http://attacker.test' }),
      await admin('OPTIONS', '/faults', {
        origin,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': `content-type,${TOKEN_HEADER}`,
      }),
      await admin('PUT', '/faults', { origin, [TOKEN_HEADER]: emulator.endpoints.adminToken }, rules),
    ];
    for (const response of responses) {
      expect(response.status).to.equal(403);
      expect(errorOf(response)).to.equal('CrossOriginRefused');
      expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).to.deep.equal([]);
    }
    expect(responses[0]!.text).to.not.contain('endpoints');
    expect(emulator.faults.config).to.deep.equal({});
  });

  it('should refuse what Sec-Fetch-Site says comes from another site, and accept its own origin', async () => {
    for (const site of ['cross-site', 'same-site']) {
      expect((await admin('GET', '/faults', { 'sec-fetch-site': site })).status).to.equal(403);
    }
    expect((await admin('GET', '/faults', { 'sec-fetch-site': 'same-origin', origin: own() })).status).to.equal(200);
    expect((await admin('GET', '/faults', { 'sec-fetch-site': 'none' })).status).to.equal(200);
  });

  it('should keep the secret key and the admin token out of its state', async () => {
    const response = await admin('GET', '/');
    expect(response.status).to.equal(200);
    expect(response.text).to.not.contain(emulator.endpoints.secretKey);
    expect(response.text).to.not.contain(emulator.endpoints.adminToken);
    const endpoints = (JSON.parse(response.text) as { endpoints: Record<string, unknown> }).endpoints;
    expect(endpoints).to.not.have.any.keys('secretKey', 'adminToken');
  });

  it('should redact callback URLs with a query or userinfo in its state', async () => {
    await seedObject(emulator, 'input/redact.mp4', SAMPLE);
    const secretHook = 'http://hook-user:hook-pass@127.0.0.1:9/hooks/done?token=callback-secret#frag';
    await submit(emulator, transcodeBody('input/redact.mp4', { notification: { CallBack: secretHook } }));
    let response = await admin('GET', '/');
    for (const deadline = Date.now() + 5000; !response.text.includes('/hooks/done') && Date.now() < deadline; ) {
      await new Promise((done) => setTimeout(done, 50));
      response = await admin('GET', '/');
    }
    for (const secret of ['callback-secret', 'hook-pass', 'hook-user', 'frag']) {
      expect(response.text).to.not.contain(secret);
    }
    expect(response.text).to.contain('http://127.0.0.1:9/hooks/done?…');
  });
});
