import { expect } from 'chai';
import type { Emulator } from '../../src/emulator/index.js';
import { BUCKET, errorCode, permanentKeys, send, startTestEmulator, type WireResponse } from '../helpers/emulator.js';

describe('admin endpoint', () => {
  let emulator: Emulator;
  /** An admin request with the admin token, as a local tool sends it. */
  const admin = (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const withToken = { 'x-emulator-admin-token': emulator.endpoints.adminToken, ...headers };
    return send(emulator, {
      service: 'base',
      method,
      path: `/_emulator${path}`,
      headers: body === undefined ? withToken : { 'content-type': 'application/json', ...withToken },
      ...(body === undefined ? {} : { body }),
    });
  };
  const json = (response: WireResponse): Record<string, unknown> =>
    JSON.parse(response.text) as Record<string, unknown>;
  const putFaults = (config: unknown) => admin('PUT', '/faults', JSON.stringify(config));

  before(async () => {
    emulator = await startTestEmulator();
  });
  afterEach(() => emulator.faults.update({}));
  after(() => emulator.close());

  it('should answer health', async () => {
    const response = await admin('GET', '/health');
    expect(response.status).to.equal(200);
    expect(response.headers['content-type']).to.match(/^application\/json/);
    expect(json(response)).to.deep.equal({ ok: true });
  });

  it('should describe the endpoints, buckets, faults and modules', async () => {
    const state = json(await admin('GET', '/'));
    const endpoints = state['endpoints'] as Record<string, unknown>;
    expect(endpoints['secretId']).to.equal(emulator.endpoints.secretId);
    expect(endpoints['admin']).to.equal(emulator.endpoints.admin);
    expect((state['buckets'] as { name: string }[]).map((bucket) => bucket.name)).to.deep.equal([BUCKET]);
    expect(state['faults']).to.deep.equal({ config: {}, stats: {} });
    expect(state['modules']).to.be.an('array').that.is.not.empty;
  });

  it('should never reveal the secret key in its state', async () => {
    const response = await admin('GET', '/');
    expect(response.text).to.not.contain(emulator.endpoints.secretKey);
    expect(json(response)['endpoints']).to.not.have.property('secretKey');
  });

  it('should answer the state without the trailing slash too', async () => {
    const response = await send(emulator, { service: 'base', method: 'GET', path: '/_emulator' });
    expect(response.status).to.equal(200);
    expect(json(response)).to.have.property('endpoints');
  });

  it('should report the faults in force and their stats', async () => {
    emulator.faults.update({ rules: [{ operations: ['HeadObject'], errorRate: 1 }] });
    await send(emulator, { service: 'cos', method: 'HEAD', path: '/a', keys: permanentKeys(emulator) });
    const response = await admin('GET', '/faults');
    expect(json(response)).to.deep.equal({
      config: { rules: [{ operations: ['HeadObject'], errorRate: 1 }] },
      stats: { 'error:HeadObject': 1 },
    });
  });

  it('should replace the faults with a valid configuration', async () => {
    const config = { rules: [{ operations: ['GetObject'], errorRate: 1, error: 'SlowDown' }], seed: 9 };
    const response = await putFaults(config);
    expect(response.status).to.equal(200);
    expect(json(response)).to.deep.equal({ config, stats: {} });
    const get = await send(emulator, { service: 'cos', method: 'GET', path: '/a', keys: permanentKeys(emulator) });
    expect([get.status, errorCode(get)]).to.deep.equal([503, 'SlowDown']);
  });

  it('should set the clock offset from a configuration', async () => {
    await putFaults({ clockOffsetSeconds: 7200 });
    const response = await admin('GET', '/health');
    expect(Date.parse(String(response.headers['date'])) - Date.now()).to.be.within(7_198_000, 7_202_000);
  });

  it('should reject an invalid configuration naming the bad field', async () => {
    const response = await putFaults({ rules: [{ errorRate: 2 }] });
    expect(response.status).to.equal(400);
    expect(json(response)['error']).to.equal('InvalidFaults');
    expect(json(response)['message']).to.match(/^rules\.0\.errorRate: /);
  });

  it('should reject an unknown operation', async () => {
    const response = await putFaults({ rules: [{ operations: ['PutBucket'], errorRate: 1 }] });
    expect(response.status).to.equal(400);
    expect(json(response)['message']).to.contain('rules.0.operations.0');
  });

  it('should reject a misspelt field rather than ignore it', async () => {
    const response = await putFaults({ rules: [{ errorrate: 1 }] });
    expect(response.status).to.equal(400);
    expect(json(response)['message']).to.equal('rules.0.errorrate: unknown field');
  });

  it('should reject a body that is not JSON', async () => {
    const response = await admin('PUT', '/faults', '{ rules: ');
    expect(response.status).to.equal(400);
    expect(json(response)['error']).to.equal('InvalidFaults');
  });

  it('should reject a body over 64 KiB', async () => {
    const response = await admin('PUT', '/faults', JSON.stringify({ padding: 'x'.repeat(70_000) }));
    expect(response.status).to.equal(413);
  });

  it('should keep the faults in force after a rejected configuration', async () => {
    emulator.faults.update({ seed: 3 });
    await putFaults({ seed: 'three' });
    expect(emulator.faults.config).to.deep.equal({ seed: 3 });
  });

  it('should clear every fault on DELETE', async () => {
    emulator.faults.update({ rules: [{ errorRate: 1 }], clockOffsetSeconds: 60 });
    const response = await admin('DELETE', '/faults');
    expect(response.status).to.equal(200);
    expect(json(response)).to.deep.equal({ config: {}, stats: {} });
    const head = await send(emulator, { service: 'cos', method: 'HEAD', path: '/a', keys: permanentKeys(emulator) });
    expect(head.status).to.equal(404);
  });

  it('should answer 404 as JSON for an unknown path', async () => {
    const response = await admin('GET', '/nothing');
    expect(response.status).to.equal(404);
    expect(json(response)['error']).to.equal('NotFound');
  });

  it('should answer 404 for a path outside the admin prefix', async () => {
    const response = await send(emulator, { service: 'base', method: 'GET', path: '/index.html' });
    expect(response.status).to.equal(404);
  });

  it('should answer 405 with Allow for a method a route does not take', async () => {
    const response = await admin('POST', '/faults', '{}');
    expect(response.status).to.equal(405);
    expect(response.headers['allow']).to.equal('GET, PUT, DELETE');
  });
});
