import { expect } from 'chai';
import { isAllowed, parsePolicy, PolicyError } from '../../src/emulator/auth/policy.js';
import type { Emulator } from '../../src/emulator/index.js';
import { APP_ID, BUCKET, REGION, errorCode, send, startTestEmulator, temporaryKeys } from '../helpers/emulator.js';

const COS = `qcs::cos:${REGION}:uid/${APP_ID}:${BUCKET}`;
const CI = `qcs::ci:${REGION}:uid/${APP_ID}:bucket/${BUCKET}`;

const statement = (effect: string, action: unknown, resource: unknown) => ({ effect, action, resource });
const policyOf = (...statements: object[]) => parsePolicy({ version: '2.0', statement: statements });

describe('emulator policy documents', function () {
  it('should allow an action on a resource a statement allows', function () {
    const policy = policyOf(statement('allow', 'name/cos:PutObject', `${COS}/input/*`));
    expect(isAllowed(policy, 'name/cos:PutObject', `${COS}/input/a.mp4`)).to.equal(true);
  });

  it('should deny what no statement allows', function () {
    const policy = policyOf(statement('allow', 'name/cos:PutObject', `${COS}/input/*`));
    expect(isAllowed(policy, 'name/cos:GetObject', `${COS}/input/a.mp4`)).to.equal(false);
    expect(isAllowed(policy, 'name/cos:PutObject', `${COS}/other/a.mp4`)).to.equal(false);
  });

  it('should let a deny statement win over an allow statement', function () {
    const policy = policyOf(
      statement('allow', 'name/cos:*', `${COS}/*`),
      statement('deny', 'name/cos:PutObject', `${COS}/secret/*`),
    );
    expect(isAllowed(policy, 'name/cos:PutObject', `${COS}/secret/a.mp4`)).to.equal(false);
    expect(isAllowed(policy, 'name/cos:GetObject', `${COS}/secret/a.mp4`)).to.equal(true);
    expect(isAllowed(policy, 'name/cos:PutObject', `${COS}/input/a.mp4`)).to.equal(true);
  });

  it('should let a deny statement win whatever the order', function () {
    const policy = policyOf(
      statement('deny', 'name/cos:PutObject', `${COS}/secret/*`),
      statement('allow', '*', '*'),
    );
    expect(isAllowed(policy, 'name/cos:PutObject', `${COS}/secret/a.mp4`)).to.equal(false);
  });

  it('should match wildcards in actions', function () {
    const policy = policyOf(statement('allow', ['name/cos:*Multipart*'], `${COS}/*`));
    expect(isAllowed(policy, 'name/cos:InitiateMultipartUpload', `${COS}/a`)).to.equal(true);
    expect(isAllowed(policy, 'name/cos:ListMultipartUploads', `${COS}/a`)).to.equal(true);
    expect(isAllowed(policy, 'name/cos:PutObject', `${COS}/a`)).to.equal(false);
  });

  it('should match wildcards inside resources', function () {
    const policy = policyOf(statement('allow', 'name/cos:GetObject', `${COS}/users/*/avatar.png`));
    expect(isAllowed(policy, 'name/cos:GetObject', `${COS}/users/42/avatar.png`)).to.equal(true);
    expect(isAllowed(policy, 'name/cos:GetObject', `${COS}/users/42/other.png`)).to.equal(false);
  });

  it('should keep a service wildcard to its service', function () {
    const policy = policyOf(statement('allow', 'name/cos:*', '*'));
    expect(isAllowed(policy, 'name/cos:DeleteObject', `${COS}/a`)).to.equal(true);
    expect(isAllowed(policy, 'name/ci:CreateMediaJobs', `${CI}/job/*`)).to.equal(false);
  });

  it('should treat the name/ prefix of actions as optional', function () {
    const policy = policyOf(statement('allow', 'ci:CreateMediaJobs', `${CI}/job/*`));
    expect(isAllowed(policy, 'name/ci:CreateMediaJobs', `${CI}/job/*`)).to.equal(true);
    const prefixed = policyOf(statement('allow', 'name/ci:CreateMediaJobs', '*'));
    expect(isAllowed(prefixed, 'ci:CreateMediaJobs', 'x')).to.equal(true);
  });

  it('should compare actions case-insensitively', function () {
    const policy = policyOf(statement('Allow', 'name/cos:putobject', `${COS}/*`));
    expect(isAllowed(policy, 'name/cos:PutObject', `${COS}/a`)).to.equal(true);
  });

  it('should read the prefix//<appid>/<short>/ resource form of qcloud-cos-sts', function () {
    const resource = `qcs::cos:${REGION}:uid/${APP_ID}:prefix//${APP_ID}/examplebucket/input/*`;
    const policy = policyOf(statement('allow', 'name/cos:PutObject', resource));
    expect(isAllowed(policy, 'name/cos:PutObject', `${COS}/input/a.mp4`)).to.equal(true);
    expect(isAllowed(policy, 'name/cos:PutObject', `${COS}/other/a.mp4`)).to.equal(false);
  });

  it('should accept a string or an array for action and resource', function () {
    const single = policyOf(statement('allow', 'name/cos:GetObject', `${COS}/*`));
    const many = policyOf(statement('allow', ['name/cos:GetObject'], [`${COS}/*`]));
    expect(single).to.deep.equal(many);
  });

  it('should accept a single statement object', function () {
    const policy = parsePolicy({ version: '2.0', statement: statement('allow', '*', '*') });
    expect(policy.statements).to.have.length(1);
  });

  it('should accept JSON text and ignore principal and condition', function () {
    const text = JSON.stringify({
      version: '2.0',
      statement: [
        {
          ...statement('allow', 'name/cos:GetObject', `${COS}/*`),
          principal: { qcs: ['*'] },
          condition: { ip_equal: { 'qcs:ip': '10.0.0.1' } },
        },
      ],
    });
    expect(isAllowed(parsePolicy(text), 'name/cos:GetObject', `${COS}/a`)).to.equal(true);
  });

  const invalid: [string, unknown][] = [
    ['text that is not JSON', '{"statement": ['],
    ['a value that is not an object', 42],
    ['null', null],
    ['no statement', { version: '2.0' }],
    ['an empty statement list', { statement: [] }],
    ['a statement that is not an object', { statement: ['allow'] }],
    ['an unknown effect', { statement: [statement('permit', '*', '*')] }],
    ['a missing action', { statement: [{ effect: 'allow', resource: '*' }] }],
    ['an empty action list', { statement: [statement('allow', [], '*')] }],
    ['a non-string resource', { statement: [statement('allow', '*', [1])] }],
    ['an empty resource', { statement: [statement('allow', '*', '')] }],
  ];
  for (const [what, document] of invalid) {
    it(`should reject ${what} with a PolicyError`, function () {
      expect(() => parsePolicy(document)).to.throw(PolicyError);
    });
  }
});

describe('emulator policy enforcement over HTTP', function () {
  let emulator: Emulator;

  before(async function () {
    emulator = await startTestEmulator();
  });

  after(async function () {
    await emulator.close();
  });

  const putPolicy = {
    version: '2.0',
    statement: [statement('allow', 'name/cos:PutObject', `${COS}/input/*`)],
  };

  it('should let temporary keys PUT under the allowed prefix', async function () {
    const keys = await temporaryKeys(emulator, putPolicy);
    const response = await send(emulator, { service: 'cos', method: 'PUT', path: '/input/x', body: 'hello', keys });
    expect(response.status, response.text).to.equal(200);
  });

  it('should answer 403 AccessDenied to a PUT outside the allowed prefix', async function () {
    const keys = await temporaryKeys(emulator, putPolicy);
    const response = await send(emulator, { service: 'cos', method: 'PUT', path: '/other/x', body: 'hello', keys });
    expect(response.status).to.equal(403);
    expect(errorCode(response)).to.equal('AccessDenied');
  });

  it('should answer 403 AccessDenied to an action the policy does not name', async function () {
    const keys = await temporaryKeys(emulator, putPolicy);
    const response = await send(emulator, { service: 'cos', method: 'DELETE', path: '/input/x', keys });
    expect(response.status).to.equal(403);
    expect(errorCode(response)).to.equal('AccessDenied');
  });

  it('should honour the prefix// resource form that qcloud-cos-sts getPolicy writes', async function () {
    const keys = await temporaryKeys(emulator, {
      version: '2.0',
      statement: [
        {
          action: ['name/cos:PutObject'],
          effect: 'allow',
          principal: { qcs: '*' },
          resource: `qcs::cos:${REGION}:uid/${APP_ID}:prefix//${APP_ID}/examplebucket/input/*`,
        },
      ],
    });
    const allowed = await send(emulator, { service: 'cos', method: 'PUT', path: '/input/y', body: 'y', keys });
    const denied = await send(emulator, { service: 'cos', method: 'PUT', path: '/other/y', body: 'y', keys });
    expect([allowed.status, denied.status]).to.deep.equal([200, 403]);
  });

  it('should let a deny statement win over HTTP', async function () {
    const keys = await temporaryKeys(emulator, {
      version: '2.0',
      statement: [
        statement('allow', 'name/cos:*', `${COS}/*`),
        statement('deny', 'name/cos:PutObject', `${COS}/secret/*`),
      ],
    });
    const denied = await send(emulator, { service: 'cos', method: 'PUT', path: '/secret/x', body: 's', keys });
    expect(denied.status).to.equal(403);
    expect(errorCode(denied)).to.equal('AccessDenied');
  });

  it('should let temporary keys submit CI jobs the policy allows', async function () {
    const keys = await temporaryKeys(emulator, {
      version: '2.0',
      statement: [statement('allow', 'name/ci:CreateMediaJobs', `${CI}/job/*`)],
    });
    const response = await send(emulator, {
      service: 'ci',
      method: 'POST',
      path: '/jobs',
      headers: { 'content-type': 'application/xml' },
      body: '<Request><Tag>Transcode</Tag></Request>',
      keys,
    });
    expect(response.status, response.text).to.equal(400);
    expect(errorCode(response)).to.equal('InvalidArgument');
  });

  it('should answer 403 AccessDenied to a CI action the policy does not name', async function () {
    const keys = await temporaryKeys(emulator, {
      version: '2.0',
      statement: [statement('allow', 'name/ci:CreateMediaJobs', `${CI}/job/*`)],
    });
    const query = { tag: 'Transcode' };
    const response = await send(emulator, { service: 'ci', method: 'GET', path: '/jobs', query, keys });
    expect(response.status).to.equal(403);
    expect(errorCode(response)).to.equal('AccessDenied');
  });

  it('should answer 403 AccessDenied to CI jobs of another bucket resource', async function () {
    const keys = await temporaryKeys(emulator, {
      version: '2.0',
      statement: [
        statement('allow', 'name/ci:*', `qcs::ci:${REGION}:uid/${APP_ID}:bucket/otherbucket-${APP_ID}/job/*`),
      ],
    });
    const response = await send(emulator, { service: 'ci', method: 'GET', path: '/jobs/jabc', keys });
    expect(response.status).to.equal(403);
    expect(errorCode(response)).to.equal('AccessDenied');
  });

  it('should let permanent keys do anything', async function () {
    const response = await send(emulator, {
      service: 'cos',
      method: 'PUT',
      path: '/anywhere/x',
      body: 'p',
      keys: { secretId: emulator.endpoints.secretId, secretKey: emulator.endpoints.secretKey },
    });
    expect(response.status).to.equal(200);
  });
});
