import { expect } from 'chai';
import { isTranscoderError } from '../../../src/core/errors.js';
import {
  SECURITY_TOKEN_HEADER,
  SECURITY_TOKEN_HEADERS,
  bodyByteLength,
  headersToSign,
  isForbiddenRequestHeader,
  normalizeHeaders,
} from '../../../src/core/transport/headers.js';
import { thrown } from '../../helpers/expect-error.js';

describe('isForbiddenRequestHeader', () => {
  const forbidden = ['Host', 'content-length', 'Date', 'Connection', 'Origin', 'Proxy-Authorization', 'Sec-Fetch-Mode'];
  const allowed = ['authorization', 'content-type', 'content-md5', 'x-cos-security-token', 'x-cos-meta-a', 'range'];
  for (const name of forbidden) {
    it(`should forbid ${name}`, () => expect(isForbiddenRequestHeader(name)).to.equal(true));
  }
  for (const name of allowed) {
    it(`should allow ${name}`, () => expect(isForbiddenRequestHeader(name)).to.equal(false));
  }
});

describe('headersToSign', () => {
  it('should sign host, x-cos-*, x-ci-* and the content headers present', () => {
    const signed = headersToSign(
      {
        'content-length': '13',
        'content-md5': 'mQ/fVh815F3k6TAUm8m0eg==',
        'content-type': 'application/xml',
        'x-cos-meta-a': '1',
        'x-ci-foo': 'bar',
        'cache-control': 'no-cache',
        'user-agent-ish': 'x',
      },
      'b-1250000000.cos.ap-guangzhou.myqcloud.com:8443',
    );
    expect(signed).to.deep.equal({
      host: 'b-1250000000.cos.ap-guangzhou.myqcloud.com:8443',
      'content-length': '13',
      'content-md5': 'mQ/fVh815F3k6TAUm8m0eg==',
      'content-type': 'application/xml',
      'x-cos-meta-a': '1',
      'x-ci-foo': 'bar',
    });
  });

  it('should never sign the session token headers or empty values', () => {
    const signed = headersToSign(
      { 'x-cos-security-token': 't', 'x-ci-security-token': 't', 'x-cos-acl': '', host: 'evil' },
      'h',
    );
    expect(signed).to.deep.equal({ host: 'h' });
  });
});

describe('normalizeHeaders', () => {
  it('should lower-case names', () => {
    expect(normalizeHeaders({ 'Content-Type': 'a', 'X-Cos-Meta-A': 'b' })).to.deep.equal({
      'content-type': 'a',
      'x-cos-meta-a': 'b',
    });
  });

  it('should trim leading and trailing spaces, which browsers strip before sending', () => {
    expect(normalizeHeaders({ 'x-cos-meta-title': '  a  b ', 'content-type': ' ' })).to.deep.equal({
      'x-cos-meta-title': 'a  b',
      'content-type': '',
    });
  });

  it('should reject a non-ASCII value, naming the header without quoting the value', () => {
    const error = thrown(() => normalizeHeaders({ 'x-cos-meta-name': '腾讯.mp4' }));
    expect(error).to.include({ code: 'invalid-request', retryable: false });
    expect(error.message).to.include('"x-cos-meta-name"');
    expect(error.message).to.include('percent-encode');
    expect(error.message).not.to.include('腾讯');
  });

  const refused: [string, string][] = [
    ['a tab', 'a\tb'],
    ['a control character', 'SECRET\u0001'],
    ['DEL', 'a\u007f'],
    ['a Latin-1 letter', 'café'],
  ];
  for (const [name, value] of refused) {
    it(`should reject a value with ${name}`, () => {
      const error = thrown(() => normalizeHeaders({ authorization: value }));
      expect(error.code).to.equal('invalid-request');
      expect(error.message).not.to.include(value);
    });
  }

  it('should reject a value with a line break', () => {
    let caught: unknown;
    try {
      normalizeHeaders({ 'x-cos-meta-a': 'a\r\nx-injected: 1' });
    } catch (e) {
      caught = e;
    }
    expect(isTranscoderError(caught) && caught.code).to.equal('invalid-request');
  });
});

describe('SECURITY_TOKEN_HEADERS', () => {
  it('should hold the token header of each service, and only those', () => {
    expect(SECURITY_TOKEN_HEADER).to.deep.equal({ cos: 'x-cos-security-token', ci: 'x-ci-security-token' });
    expect([...SECURITY_TOKEN_HEADERS]).to.deep.equal(['x-cos-security-token', 'x-ci-security-token']);
  });
});

describe('bodyByteLength', () => {
  it('should count strings as UTF-8 and binary bodies by their bytes', () => {
    expect(bodyByteLength('腾a')).to.equal(4);
    expect(bodyByteLength(new ArrayBuffer(7))).to.equal(7);
    expect(bodyByteLength(new Uint8Array(new ArrayBuffer(10), 2, 5))).to.equal(5);
    expect(bodyByteLength(new Blob(['abc', new Uint8Array(2)]))).to.equal(5);
  });
});
