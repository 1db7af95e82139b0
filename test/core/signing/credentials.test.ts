import { expect } from 'chai';
import { isTranscoderError, type TranscoderError } from '../../../src/core/errors.js';
import { normalizeAuthorizationResult } from '../../../src/core/signing/credentials.js';

const ID = 'AKIDtmpIdExample0000000000000000000';
const KEY = 'tmpKeyExampleMustNeverLeak000000';
const TOKEN = 'sessionTokenExampleMustNeverLeak0000';
const SIGNATURE = '3b8851a11a569213c17ba8fa7dcf2abec6935172';
const AUTHORIZATION =
  `q-sign-algorithm=sha1&q-ak=${ID}&q-sign-time=1557989151;1557996351&q-key-time=1557989151;1557996351` +
  `&q-header-list=content-length;host&q-url-param-list=&q-signature=${SIGNATURE}`;
const SECRETS = [KEY, TOKEN, SIGNATURE];

const sdk = (changes: Record<string, unknown> = {}): Record<string, unknown> => ({
  TmpSecretId: ID,
  TmpSecretKey: KEY,
  SecurityToken: TOKEN,
  StartTime: 1565166275,
  ExpiredTime: 1565168075,
  ...changes,
});

// What qcloud-cos-sts getCredential resolves with (wire-protocol reference, section 2.3).
const sts = (credentials: Record<string, unknown> = {}, changes: Record<string, unknown> = {}) => ({
  credentials: { tmpSecretId: ID, tmpSecretKey: KEY, sessionToken: TOKEN, ...credentials },
  expiration: '2019-08-07T08:54:35Z',
  expiredTime: 1565168075,
  startTime: 1565166275,
  requestId: '6b274db5-a86b-4e27-a0ac-d3e5d1a6d8f9',
  ...changes,
});

function rejection(value: unknown): TranscoderError {
  try {
    normalizeAuthorizationResult(value);
  } catch (error) {
    if (isTranscoderError(error)) return error;
    throw error;
  }
  throw new Error('expected normalizeAuthorizationResult to throw');
}

function expectNoSecrets(error: TranscoderError): void {
  const texts = [error.message, String(error), JSON.stringify(error), JSON.stringify(error.cause), String(error.cause)];
  for (const secret of SECRETS) {
    for (const text of texts) expect(text).not.to.include(secret);
  }
}

/** What every accepted credentials form normalises to. */
const NORMALIZED = {
  kind: 'credentials',
  secretId: ID,
  secretKey: KEY,
  securityToken: TOKEN,
  startTime: 1565166275,
  expiredTime: 1565168075,
};

describe('normalizeAuthorizationResult', () => {
  describe('accepted answers', () => {
    it('should accept cos-js-sdk-v5 credentials with numeric times', () => {
      expect(normalizeAuthorizationResult(sdk())).to.deep.equal(NORMALIZED);
    });

    it('should accept numeric strings as times', () => {
      const result = normalizeAuthorizationResult(sdk({ StartTime: '1565166275', ExpiredTime: '1565168075' }));
      expect(result).to.include({ startTime: 1565166275, expiredTime: 1565168075 });
    });

    it('should accept the XCosSecurityToken alias', () => {
      const result = normalizeAuthorizationResult(sdk({ SecurityToken: undefined, XCosSecurityToken: TOKEN }));
      expect(result).to.include({ kind: 'credentials', securityToken: TOKEN });
    });

    it('should accept credentials without StartTime', () => {
      const result = normalizeAuthorizationResult(sdk({ StartTime: undefined }));
      expect(result).to.deep.equal({
        kind: 'credentials',
        secretId: ID,
        secretKey: KEY,
        securityToken: TOKEN,
        expiredTime: 1565168075,
      });
    });

    it('should keep ScopeLimit', () => {
      expect(normalizeAuthorizationResult(sdk({ ScopeLimit: true }))).to.include({ scopeLimit: true });
    });

    it('should accept the qcloud-cos-sts output as it comes', () => {
      expect(normalizeAuthorizationResult(sts())).to.deep.equal(NORMALIZED);
    });

    it('should accept an Authorization string', () => {
      expect(normalizeAuthorizationResult(AUTHORIZATION)).to.deep.equal({
        kind: 'signature',
        authorization: AUTHORIZATION,
      });
    });

    it('should accept an Authorization object with its token', () => {
      expect(normalizeAuthorizationResult({ Authorization: AUTHORIZATION, SecurityToken: TOKEN })).to.deep.equal({
        kind: 'signature',
        authorization: AUTHORIZATION,
        securityToken: TOKEN,
      });
    });

    it('should accept the XCosSecurityToken alias next to an Authorization', () => {
      const result = normalizeAuthorizationResult({ Authorization: AUTHORIZATION, XCosSecurityToken: TOKEN });
      expect(result).to.include({ securityToken: TOKEN });
    });

    it('should take an empty SecurityToken next to an Authorization as none', () => {
      expect(normalizeAuthorizationResult({ Authorization: AUTHORIZATION, SecurityToken: '' })).to.deep.equal({
        kind: 'signature',
        authorization: AUTHORIZATION,
      });
    });
  });

  describe('rejected answers', () => {
    for (const field of ['TmpSecretId', 'TmpSecretKey', 'SecurityToken', 'ExpiredTime']) {
      it(`should name "${field}" when credentials lack it`, () => {
        const error = rejection(sdk({ [field]: undefined }));
        expect(error.code).to.equal('sign-failed');
        expect(error.phase).to.equal('sign');
        expect(error.message).to.equal(`getAuthorization returned credentials without "${field}"`);
      });
    }

    it('should reject milliseconds as ExpiredTime', () => {
      expect(rejection(sdk({ ExpiredTime: 1565168075000 })).message).to.include(
        '"ExpiredTime" should be 10-digit Unix seconds',
      );
    });

    it('should reject a non-numeric ExpiredTime string', () => {
      expect(rejection(sdk({ ExpiredTime: 'tomorrow' })).message).to.include(
        '"ExpiredTime" should be 10-digit Unix seconds',
      );
    });

    it('should reject a fractional StartTime', () => {
      expect(rejection(sdk({ StartTime: 1565166275.5 })).message).to.include(
        '"StartTime" should be 10-digit Unix seconds',
      );
    });

    it('should reject a StartTime that is not before ExpiredTime', () => {
      expect(rejection(sdk({ StartTime: 1565168075 })).message).to.include(
        '"StartTime" should be before "ExpiredTime"',
      );
    });

    it('should reject a TmpSecretKey that is not a string', () => {
      expect(rejection(sdk({ TmpSecretKey: 42 })).message).to.equal(
        'getAuthorization returned unusable credentials: "TmpSecretKey" should be a non-empty string of visible ASCII characters, without white space',
      );
    });

    it('should reject a TmpSecretKey with white space', () => {
      expect(rejection(sdk({ TmpSecretKey: ` ${KEY}` })).message).to.include('"TmpSecretKey" should be');
    });

    it('should reject an empty SecurityToken', () => {
      expect(rejection(sdk({ SecurityToken: '' })).message).to.include('"SecurityToken" should be');
    });

    it('should reject a non-boolean ScopeLimit', () => {
      expect(rejection(sdk({ ScopeLimit: 'yes' })).message).to.include('"ScopeLimit" should be a boolean');
    });

    it('should name the nested field qcloud-cos-sts output lacks', () => {
      expect(rejection(sts({ tmpSecretKey: undefined })).message).to.equal(
        'getAuthorization returned qcloud-cos-sts output without "credentials.tmpSecretKey"',
      );
    });

    it('should reject qcloud-cos-sts output whose credentials are not an object', () => {
      expect(rejection(sts({}, { credentials: 'nope' })).message).to.include('"credentials" should be an object');
    });

    it('should reject qcloud-cos-sts output with expiredTime in milliseconds', () => {
      expect(rejection(sts({}, { expiredTime: 1565168075000 })).message).to.include(
        '"expiredTime" should be 10-digit Unix seconds',
      );
    });

    it('should explain a raw STS API response', () => {
      const error = rejection({ Response: { Credentials: { TmpSecretId: ID, TmpSecretKey: KEY, Token: TOKEN } } });
      expect(error.message).to.include('raw STS API response');
    });

    for (const [value, described] of [
      [undefined, 'nothing'],
      [null, 'null'],
      [42, 'a number'],
      [[AUTHORIZATION], 'an array'],
    ] as const) {
      it(`should reject ${described}`, () => {
        expect(rejection(value).message).to.equal(
          `getAuthorization returned ${described} instead of credentials or a signature`,
        );
      });
    }

    it('should reject a signature containing white space', () => {
      expect(rejection(`${AUTHORIZATION} `).message).to.equal(
        'getAuthorization returned a signature containing white space',
      );
    });

    it('should reject a signature that lacks a field', () => {
      const error = rejection(AUTHORIZATION.replace('&q-url-param-list=', ''));
      expect(error.message).to.include('not a COS v5 Authorization value');
    });

    it('should reject a signature with another algorithm', () => {
      expect(rejection(AUTHORIZATION.replace('sha1', 'md5')).message).to.equal(
        'getAuthorization returned an unusable signature: "q-sign-algorithm" should be "sha1"',
      );
    });

    it('should reject a signature whose key time is not two numbers', () => {
      expect(rejection(AUTHORIZATION.replace('q-key-time=1557989151;', 'q-key-time=x;')).message).to.include(
        '"q-key-time" should be',
      );
    });

    it('should reject a signature that is not 40 hex digits', () => {
      expect(rejection(AUTHORIZATION.replace(SIGNATURE, 'abc')).message).to.include('"q-signature" should be');
    });

    it('should reject an Authorization object whose value is not a string', () => {
      expect(rejection({ Authorization: 7 }).message).to.include('"Authorization" should be a string');
    });

    it('should reject an Authorization object whose value contains white space', () => {
      expect(rejection({ Authorization: `${AUTHORIZATION}\n` }).message).to.include('white space');
    });
  });

  describe('header safety', () => {
    // Characters a header value cannot carry that `\s` does not match: NUL, DEL, a zero-width space, a letter
    // outside ASCII.
    const unsafe = ['\x00', '\x7F', '\u200B', 'é'];
    const fields: [name: string, answer: (bad: string) => unknown][] = [
      ['TmpSecretId', (bad) => sdk({ TmpSecretId: `${ID}${bad}` })],
      ['TmpSecretKey', (bad) => sdk({ TmpSecretKey: `${KEY}${bad}` })],
      ['SecurityToken', (bad) => sdk({ SecurityToken: `${TOKEN}${bad}` })],
      ['XCosSecurityToken', (bad) => sdk({ SecurityToken: undefined, XCosSecurityToken: `${TOKEN}${bad}` })],
      ['credentials.tmpSecretId', (bad) => sts({ tmpSecretId: `${ID}${bad}` })],
      ['credentials.tmpSecretKey', (bad) => sts({ tmpSecretKey: `${KEY}${bad}` })],
      ['credentials.sessionToken', (bad) => sts({ sessionToken: `${TOKEN}${bad}` })],
      ['SecurityToken', (bad) => ({ Authorization: AUTHORIZATION, SecurityToken: `${TOKEN}${bad}` })],
    ];
    for (const [field, answer] of fields) {
      it(`should reject a ${field} with characters other than visible ASCII, naming the field only`, () => {
        for (const bad of unsafe) {
          const error = rejection(answer(bad));
          expect(error).to.include({ code: 'sign-failed', phase: 'sign', retryable: false });
          expect(error.message, JSON.stringify(bad)).to.include(`"${field}" should be`);
          expectNoSecrets(error);
        }
      });
    }

    it('should reject an Authorization with characters other than visible ASCII, naming the field only', () => {
      for (const bad of unsafe) {
        for (const value of [AUTHORIZATION.replace(ID, `${ID}${bad}`), { Authorization: `${AUTHORIZATION}${bad}` }]) {
          const error = rejection(value);
          expect(error).to.include({ code: 'sign-failed', phase: 'sign', retryable: false });
          expect(error.message, JSON.stringify(bad)).to.include('"Authorization" should be');
          expectNoSecrets(error);
        }
      }
    });

    it('should accept every visible ASCII character in a token', () => {
      const visible = Array.from({ length: 0x7e - 0x20 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
      expect(normalizeAuthorizationResult(sdk({ SecurityToken: visible }))).to.include({ securityToken: visible });
    });
  });

  describe('secrets', () => {
    const hostile: [string, unknown][] = [
      ['a key with white space', sdk({ TmpSecretKey: `${KEY} ` })],
      ['a token with white space', sdk({ SecurityToken: `${TOKEN}\t` })],
      ['a missing id', sdk({ TmpSecretId: undefined })],
      ['bad times', sdk({ ExpiredTime: `${KEY}` })],
      ['a nested token with white space', sts({ sessionToken: `a ${TOKEN}` })],
      ['a key in place of the id', sts({ tmpSecretId: { KEY } })],
      ['a malformed signature', `${AUTHORIZATION}&q-extra=${KEY}`],
      ['a signature with white space', { Authorization: `${AUTHORIZATION} `, SecurityToken: TOKEN }],
      ['a bad token next to a signature', { Authorization: AUTHORIZATION, SecurityToken: `${TOKEN} ` }],
    ];
    for (const [name, value] of hostile) {
      it(`should keep secrets out of the error for ${name}`, () => {
        expectNoSecrets(rejection(value));
      });
    }

    it('should give a cause that names the field and nothing else', () => {
      expect(rejection(sts({ tmpSecretKey: `${KEY} ` })).cause).to.deep.equal({
        form: 'qcloud-cos-sts',
        field: 'credentials.tmpSecretKey',
        problem: 'invalid',
      });
    });
  });
});
