import { expect } from 'chai';
import { isTranscoderError } from '../../../src/core/errors.js';
import {
  bodyByteLength,
  headersToSign,
  isForbiddenRequestHeader,
  normalizeHeaders,
} from '../../../src/core/transport/headers.js';

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

describe('bodyByteLength', () => {
  it('should count strings as UTF-8 and binary bodies by their bytes', () => {
    expect(bodyByteLength('腾a')).to.equal(4);
    expect(bodyByteLength(new ArrayBuffer(7))).to.equal(7);
    expect(bodyByteLength(new Uint8Array(new ArrayBuffer(10), 2, 5))).to.equal(5);
    expect(bodyByteLength(new Blob(['abc', new Uint8Array(2)]))).to.equal(5);
  });
});
