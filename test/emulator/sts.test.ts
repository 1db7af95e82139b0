import { expect } from 'chai';
import type { Emulator } from '../../src/emulator/index.js';
import { signStsRequest, type StsSignatureMethod } from '../../src/emulator/sts/sts-signature.js';
import {
  APP_ID,
  BUCKET,
  REGION,
  errorCode,
  getFederationToken,
  hostFor,
  send,
  startTestEmulator,
  temporaryKeys,
  type FederationTokenResponse,
  type WireResponse,
} from '../helpers/emulator.js';

const POLICY = {
  version: '2.0',
  statement: [
    {
      effect: 'allow',
      principal: { qcs: ['*'] },
      action: ['name/cos:HeadObject', 'name/cos:PutObject'],
      resource: [`qcs::cos:${REGION}:uid/${APP_ID}:${BUCKET}/input/*`],
    },
  ],
};

interface StsCall {
  method?: 'POST' | 'GET';
  /** Parameters replacing (or, when `undefined`, removing) the SDK's. */
  params?: Record<string, string | undefined>;
  secretKey?: string;
  signatureMethod?: StsSignatureMethod;
  /** The host to sign for; the request is still sent with the emulator's STS host. */
  signedHost?: string;
  contentType?: string;
}

/** One STS request built like `qcloud-cos-sts` builds it, with overrides. */
async function callSts(
  emulator: Emulator,
  call: StsCall = {},
): Promise<{ wire: WireResponse; body: FederationTokenResponse; sent: string }> {
  const method = call.method ?? 'POST';
  const base: Record<string, string | undefined> = {
    SecretId: emulator.endpoints.secretId,
    Timestamp: String(Math.floor(Date.now() / 1000)),
    Nonce: '12345',
    Action: 'GetFederationToken',
    DurationSeconds: '1800',
    Version: '2018-08-13',
    Region: REGION,
    Policy: encodeURIComponent(JSON.stringify(POLICY)),
    Name: 'cos-sts-nodejs',
    ...(call.signatureMethod ? { SignatureMethod: call.signatureMethod } : {}),
    ...call.params,
  };
  const params = Object.fromEntries(
    Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const host = call.signedHost ?? hostFor(emulator, 'sts');
  params['Signature'] = signStsRequest(
    { method, host, path: '/', params },
    call.secretKey ?? emulator.endpoints.secretKey,
    call.signatureMethod,
  );
  const sent = Object.entries(params)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
  const wire =
    method === 'POST'
      ? await send(emulator, {
          service: 'sts',
          method,
          headers: { 'content-type': call.contentType ?? 'application/x-www-form-urlencoded' },
          body: sent,
        })
      : await send(emulator, { service: 'sts', method, query: params });
  return { wire, body: (JSON.parse(wire.text) as { Response: FederationTokenResponse }).Response, sent };
}

async function expectStsError(emulator: Emulator, call: StsCall, code: string): Promise<FederationTokenResponse> {
  const { wire, body } = await callSts(emulator, call);
  expect(wire.status).to.equal(200);
  expect(body.Error?.Code, JSON.stringify(body)).to.equal(code);
  expect(body.Error?.Message).to.be.a('string').and.not.equal('');
  expect(body.RequestId).to.be.a('string').and.not.equal('');
  expect(body.Credentials).to.equal(undefined);
  return body;
}

describe('emulator STS GetFederationToken', function () {
  let emulator: Emulator;

  before(async function () {
    emulator = await startTestEmulator();
  });

  after(async function () {
    await emulator.close();
  });

  afterEach(function () {
    emulator.faults.update({});
  });

  it('should issue credentials in the shape of the cloud API', async function () {
    const now = Math.floor(Date.now() / 1000);
    const response = await getFederationToken(emulator, { policy: POLICY, durationSeconds: 1800 });
    expect(Object.keys(response).sort()).to.deep.equal(['Credentials', 'Expiration', 'ExpiredTime', 'RequestId']);
    expect(Object.keys(response.Credentials!).sort()).to.deep.equal(['TmpSecretId', 'TmpSecretKey', 'Token']);
    for (const value of Object.values(response.Credentials!)) expect(value).to.be.a('string').and.not.equal('');
    expect(response.ExpiredTime).to.be.a('number');
    expect(Number.isInteger(response.ExpiredTime)).to.equal(true);
    expect(response.ExpiredTime! - now).to.be.within(1799, 1801);
    expect(response.RequestId).to.be.a('string').and.not.equal('');
  });

  it('should write Expiration as the ISO form of ExpiredTime without milliseconds', async function () {
    const response = await getFederationToken(emulator, { policy: POLICY, durationSeconds: 600 });
    expect(response.Expiration).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(response.Expiration!)).to.equal(response.ExpiredTime! * 1000);
  });

  it('should answer JSON with the request id of its header', async function () {
    const { wire, body } = await callSts(emulator);
    expect(wire.status).to.equal(200);
    expect(wire.headers['content-type']).to.match(/^application\/json/);
    expect(body.RequestId).to.equal(wire.headers['x-cos-request-id']);
  });

  it('should accept the Policy encoded twice on the wire, as the SDK sends it', async function () {
    const { body, sent } = await callSts(emulator);
    expect(sent).to.contain('Policy=%257B%2522version%2522');
    expect(body.Credentials).to.be.an('object');
  });

  it('should accept the parameters in a GET query string', async function () {
    const { body } = await callSts(emulator, { method: 'GET' });
    expect(body.Credentials?.TmpSecretId).to.be.a('string');
  });

  it('should accept the HmacSHA256 signature method', async function () {
    const { body } = await callSts(emulator, { signatureMethod: 'HmacSHA256' });
    expect(body.Credentials?.TmpSecretId).to.be.a('string');
  });

  it('should default DurationSeconds to 1800 when absent', async function () {
    const now = Math.floor(Date.now() / 1000);
    const { body } = await callSts(emulator, { params: { DurationSeconds: undefined } });
    expect(body.ExpiredTime! - now).to.be.within(1799, 1801);
  });

  for (const name of ['Action', 'SecretId', 'Timestamp', 'Nonce', 'Version', 'Region', 'Name', 'Policy']) {
    it(`should answer MissingParameter without ${name}`, async function () {
      const body = await expectStsError(emulator, { params: { [name]: undefined } }, 'MissingParameter');
      expect(body.Error?.Message).to.contain(name);
    });
  }

  it('should answer MissingParameter without a Signature', async function () {
    const wire = await send(emulator, {
      service: 'sts',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetFederationToken&Version=2018-08-13',
    });
    expect(JSON.parse(wire.text).Response.Error.Code).to.equal('MissingParameter');
  });

  it('should answer AuthFailure.SecretIdNotFound for an unknown SecretId', async function () {
    await expectStsError(emulator, { params: { SecretId: 'AKIDunknown' } }, 'AuthFailure.SecretIdNotFound');
  });

  it('should answer AuthFailure.SignatureFailure for a wrong key', async function () {
    await expectStsError(emulator, { secretKey: 'not-the-key' }, 'AuthFailure.SignatureFailure');
  });

  it('should answer AuthFailure.SignatureFailure when the signed host is not the Host header', async function () {
    await expectStsError(emulator, { signedHost: 'sts.tencentcloudapi.com' }, 'AuthFailure.SignatureFailure');
  });

  it('should answer AuthFailure.SignatureFailure for a signature of another method', async function () {
    await expectStsError(
      emulator,
      { signatureMethod: 'HmacSHA256', params: { SignatureMethod: 'HmacSHA1' } },
      'AuthFailure.SignatureFailure',
    );
  });

  it('should answer AuthFailure.SignatureExpire for a Timestamp 301 s in the past', async function () {
    const stale = String(Math.floor(Date.now() / 1000) - 301);
    await expectStsError(emulator, { params: { Timestamp: stale } }, 'AuthFailure.SignatureExpire');
  });

  it('should answer AuthFailure.SignatureExpire for a Timestamp 301 s in the future', async function () {
    const ahead = String(Math.floor(Date.now() / 1000) + 301);
    await expectStsError(emulator, { params: { Timestamp: ahead } }, 'AuthFailure.SignatureExpire');
  });

  it('should judge the Timestamp by the emulator clock', async function () {
    emulator.faults.update({ clockOffsetSeconds: 3600 });
    await expectStsError(emulator, {}, 'AuthFailure.SignatureExpire');
  });

  it('should answer UnauthorizedOperation when a temporary key calls STS', async function () {
    const keys = await temporaryKeys(emulator, POLICY);
    await expectStsError(
      emulator,
      { params: { SecretId: keys.secretId }, secretKey: keys.secretKey },
      'UnauthorizedOperation',
    );
  });

  it('should answer InvalidAction for another action', async function () {
    await expectStsError(emulator, { params: { Action: 'AssumeRole' } }, 'InvalidAction');
  });

  it('should answer NoSuchVersion for another API version', async function () {
    await expectStsError(emulator, { params: { Version: '2017-03-12' } }, 'NoSuchVersion');
  });

  it('should answer InvalidParameterValue for an unknown SignatureMethod', async function () {
    await expectStsError(emulator, { params: { SignatureMethod: 'HmacMD5' } }, 'InvalidParameterValue');
  });

  for (const duration of ['0', '7201', '1.5', 'abc', '-5']) {
    it(`should answer InvalidParameterValue for DurationSeconds=${duration}`, async function () {
      const body = await expectStsError(emulator, { params: { DurationSeconds: duration } }, 'InvalidParameterValue');
      expect(body.Error?.Message).to.contain('DurationSeconds');
    });
  }

  it('should answer InvalidParameterValue for a Policy that is not JSON', async function () {
    const body = await expectStsError(
      emulator,
      { params: { Policy: encodeURIComponent('{not json') } },
      'InvalidParameterValue',
    );
    expect(body.Error?.Message).to.contain('Policy');
  });

  it('should answer InvalidParameterValue for a Policy without statements', async function () {
    const body = await expectStsError(
      emulator,
      { params: { Policy: encodeURIComponent('{"version":"2.0","statement":[]}') } },
      'InvalidParameterValue',
    );
    expect(body.Error?.Message).to.contain('statement');
  });

  it('should answer InvalidParameterValue for a statement with a bad effect', async function () {
    const policy = { version: '2.0', statement: [{ effect: 'maybe', action: '*', resource: '*' }] };
    const body = await expectStsError(
      emulator,
      { params: { Policy: encodeURIComponent(JSON.stringify(policy)) } },
      'InvalidParameterValue',
    );
    expect(body.Error?.Message).to.contain('effect');
  });

  it('should answer InvalidParameter for a POST body that is not a form', async function () {
    await expectStsError(emulator, { contentType: 'application/json' }, 'InvalidParameter');
  });

  it('should answer RequestSizeLimitExceeded for a body over 64 KiB', async function () {
    const wire = await send(emulator, {
      service: 'sts',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `Name=${'a'.repeat(65 * 1024)}`,
    });
    expect(wire.status).to.equal(200);
    expect(JSON.parse(wire.text).Response.Error.Code).to.equal('RequestSizeLimitExceeded');
  });

  it('should answer MethodNotAllowed for a PUT', async function () {
    const wire = await send(emulator, { service: 'sts', method: 'PUT', body: 'x' });
    expect(wire.status).to.equal(405);
    expect(JSON.parse(wire.text).Response.Error.Code).to.equal('MethodNotAllowed');
  });
});

describe('emulator STS credentials on COS', function () {
  let emulator: Emulator;

  before(async function () {
    emulator = await startTestEmulator();
  });

  after(async function () {
    await emulator.close();
  });

  afterEach(function () {
    emulator.faults.update({});
  });

  it('should let temporary credentials act within their policy', async function () {
    const keys = await temporaryKeys(emulator, POLICY);
    const response = await send(emulator, { service: 'cos', method: 'HEAD', path: '/input/missing.mp4', keys });
    expect(response.status).to.equal(404);
  });

  it('should deny temporary credentials outside their policy', async function () {
    const keys = await temporaryKeys(emulator, POLICY);
    const response = await send(emulator, { service: 'cos', method: 'GET', path: '/other/a.mp4', keys });
    expect(response.status).to.equal(403);
    expect(errorCode(response)).to.equal('AccessDenied');
  });

  it('should answer ExpiredToken once the credentials expire', async function () {
    const response = await getFederationToken(emulator, { policy: POLICY, durationSeconds: 1 });
    const keys = {
      secretId: response.Credentials!.TmpSecretId,
      secretKey: response.Credentials!.TmpSecretKey,
      token: response.Credentials!.Token,
    };
    const deadline = response.ExpiredTime! * 1000 + 100;
    while (Date.now() < deadline) await new Promise((done) => setTimeout(done, 50));
    const expired = await send(emulator, { service: 'cos', method: 'HEAD', path: '/input/a.mp4', keys });
    expect(expired.status).to.equal(400);
    expect(expired.headers['x-cos-request-id']).to.be.a('string');
  });

  it('should answer ExpiredToken with the code in the body', async function () {
    const keys = await temporaryKeys(emulator, POLICY, 60);
    emulator.faults.update({ clockOffsetSeconds: 7200 });
    const now = Math.floor(Date.now() / 1000) + 7200;
    const expired = await send(emulator, {
      service: 'cos',
      method: 'GET',
      path: '/input/a.mp4',
      keys,
      keyTime: { start: now - 1, end: now + 900 },
    });
    expect(expired.status).to.equal(400);
    expect(errorCode(expired)).to.equal('ExpiredToken');
  });
});
