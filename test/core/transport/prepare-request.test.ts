import { expect } from 'chai';
import { createAuthorization } from '../../../src/core/signing/authorization.js';
import { REQUEST_METHODS, prepareRequest } from '../../../src/core/transport/prepare-request.js';
import type { ServiceRequest } from '../../../src/core/transport/service-client.js';
import { thrown } from '../../helpers/expect-error.js';
import { FAKE_SECRET_ID, FAKE_SECRET_KEY } from '../../helpers/fake-authorizer.js';
import { COS_HOST } from '../../helpers/service-client-setup.js';

const context = { hosts: { cos: COS_HOST, ci: COS_HOST }, protocol: 'https', timeout: 1000 } as const;
const request = (changes: Partial<ServiceRequest>): ServiceRequest => ({
  service: 'cos',
  method: 'GET',
  key: 'a',
  action: 'name/cos:GetObject',
  phase: 'upload',
  ...changes,
});

describe('prepareRequest', () => {
  describe('methods', () => {
    it('should allow the methods of COS and CI', () => {
      expect([...REQUEST_METHODS].sort()).to.deep.equal(['DELETE', 'GET', 'HEAD', 'POST', 'PUT']);
    });

    for (const method of REQUEST_METHODS) {
      it(`should allow only methods the signer accepts: ${method}`, async () => {
        const authorization = await createAuthorization({
          secretId: FAKE_SECRET_ID,
          secretKey: FAKE_SECRET_KEY,
          method,
          pathname: '/a',
          headers: { host: COS_HOST },
          keyTime: { start: 1_700_000_000, end: 1_700_000_900 },
        });
        expect(authorization).to.match(/^q-sign-algorithm=sha1&/);
      });
    }

    for (const method of ['OPTIONS', 'PATCH', 'CONNECT']) {
      it(`should refuse ${method} with invalid-request`, () => {
        expect(thrown(() => prepareRequest(request({ method }), context))).to.include({ code: 'invalid-request' });
      });
    }
  });

  describe('idempotent', () => {
    const cases: [string, Partial<ServiceRequest>, boolean][] = [
      ['a GET', { method: 'get' }, true],
      ['a PUT', { method: 'PUT', body: 'x' }, true],
      ['a DELETE', { method: 'DELETE' }, true],
      ['a POST', { method: 'post', body: 'x' }, false],
      ['a POST marked idempotent', { method: 'POST', body: 'x', idempotent: true }, true],
      ['a PUT marked not idempotent', { method: 'PUT', body: 'x', idempotent: false }, false],
    ];
    for (const [name, changes, expected] of cases) {
      it(`should take ${name} as ${expected ? '' : 'not '}idempotent`, () => {
        expect(prepareRequest(request(changes), context).idempotent).to.equal(expected);
      });
    }
  });
});
