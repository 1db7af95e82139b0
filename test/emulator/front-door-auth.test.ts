import { expect } from 'chai';
import type { Emulator } from '../../src/emulator/index.js';
import {
  errorCode,
  getFederationToken,
  permanentKeys,
  send,
  signedHeaders,
  startTestEmulator,
  type SigningKeys,
} from '../helpers/emulator.js';
import { openRaw, rawStatus } from './front-door-support.js';

describe('emulator front door: work only after authentication', function () {
  let emulator: Emulator;
  const wrongKeys = (): SigningKeys => ({ secretId: emulator.endpoints.secretId, secretKey: 'not-the-secret-key' });

  before(async () => {
    emulator = await startTestEmulator();
  });
  afterEach(() => emulator.faults.update({}));
  after(() => emulator.close());

  it('should answer an unsigned or badly signed request 403, not with a fault, and count no fault', async () => {
    emulator.faults.update({ rules: [{ errorRate: 1 }, { latencyMs: 2000 }] });
    const started = Date.now();
    const unsigned = await send(emulator, { service: 'cos', method: 'GET', path: '/a.txt' });
    const badly = await send(emulator, { service: 'cos', method: 'PUT', path: '/a.txt', body: 'x', keys: wrongKeys() });
    const jobs = await send(emulator, { service: 'ci', method: 'GET', path: '/jobs', query: { tag: 'Transcode' } });
    expect([unsigned.status, errorCode(unsigned)]).to.deep.equal([403, 'AccessDenied']);
    expect([badly.status, errorCode(badly)]).to.deep.equal([403, 'SignatureDoesNotMatch']);
    expect(jobs.status).to.equal(403);
    expect(Date.now() - started).to.be.below(1500); // no latency either
    expect(emulator.faults.stats()).to.deep.equal({});
    emulator.faults.update({ rules: [{ errorRate: 1 }] });
    const keys = permanentKeys(emulator);
    const signed = await send(emulator, { service: 'cos', method: 'GET', path: '/a.txt', keys });
    expect(signed.status).to.equal(500);
    expect(emulator.faults.stats()).to.deep.equal({ 'error:GetObject': 1 });
  });

  it('should answer a badly signed job submission 403 before its body has arrived', async () => {
    emulator.faults.update({ rules: [{ errorRate: 1, keyPrefix: 'input/' }] });
    const headers = await signedHeaders(
      emulator,
      { service: 'ci', method: 'POST', path: '/jobs', headers: { 'content-type': 'application/xml' } },
      wrongKeys(),
    );
    const raw = await openRaw(emulator);
    const head = Object.entries({ ...headers, 'content-length': '200000' }).map(([n, v]) => `${n}: ${v}\r\n`);
    raw.socket.write(`POST /jobs HTTP/1.1\r\n${head.join('')}\r\n<Request><Input><Object>input/a.mp4`);
    await raw.waitFor('</Error>', 3000);
    expect(rawStatus(raw.received())).to.equal(403);
    expect(raw.received()).to.contain('<Code>SignatureDoesNotMatch</Code>');
    expect(emulator.faults.stats()).to.deep.equal({});
    raw.socket.destroy();
  });

  it('should answer a badly signed large PUT 403 while most of its body is still unsent', async () => {
    const headers = await signedHeaders(emulator, { method: 'PUT', path: '/big.bin' }, wrongKeys());
    const raw = await openRaw(emulator);
    const head = Object.entries({ ...headers, 'content-length': String(64 * 1024 * 1024) });
    raw.socket.write(`PUT /big.bin HTTP/1.1\r\n${head.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`);
    raw.socket.write(Buffer.alloc(64 * 1024));
    await raw.waitFor('</Error>', 3000);
    expect(rawStatus(raw.received())).to.equal(403);
    raw.socket.destroy();
  });

  it('should decide STS faults only for a request signed with a known key', async () => {
    emulator.faults.update({ rules: [{ operations: ['GetFederationToken'], errorRate: 1 }] });
    const policy = { version: '2.0', statement: [] };
    const forged = await getFederationToken(emulator, { policy, durationSeconds: 900, secretKey: 'wrong-key' });
    expect(forged.Error?.Code).to.equal('AuthFailure.SignatureFailure');
    const unknown = await getFederationToken(emulator, { policy, durationSeconds: 900, secretId: 'AKIDnobody' });
    expect(unknown.Error?.Code).to.equal('AuthFailure.SecretIdNotFound');
    expect(emulator.faults.stats()).to.deep.equal({});
    const signed = await getFederationToken(emulator, { policy, durationSeconds: 900 });
    expect(signed.Error?.Code).to.equal('InternalError');
    expect(emulator.faults.stats()).to.deep.equal({ 'error:GetFederationToken': 1 });
  });

  it('should still answer a correctly signed STS request from its form body', async () => {
    const policy = {
      version: '2.0',
      statement: [{ effect: 'allow', action: ['name/cos:PutObject'], resource: ['*'] }],
    };
    const response = await getFederationToken(emulator, { policy, durationSeconds: 900 });
    expect(response.Credentials?.TmpSecretId).to.be.a('string');
  });
});
