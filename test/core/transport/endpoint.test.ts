import { expect } from 'chai';
import { isTranscoderError } from '../../../src/core/errors.js';
import {
  DEFAULT_DOMAINS,
  buildUrl,
  encodeQuery,
  requestPathname,
  resolveHost,
  urlWithoutQuery,
} from '../../../src/core/transport/endpoint.js';

const BUCKET = 'examplebucket-1250000000';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isTranscoderError(e) ? e.code : 'not a TranscoderError';
  }
  return undefined;
}

describe('resolveHost', () => {
  it('should fill in the default COS and CI templates', () => {
    expect(resolveHost(DEFAULT_DOMAINS.cos, BUCKET, 'ap-guangzhou')).to.equal(
      'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
    );
    expect(resolveHost(DEFAULT_DOMAINS.ci, BUCKET, 'ap-guangzhou')).to.equal(
      'examplebucket-1250000000.ci.ap-guangzhou.myqcloud.com',
    );
  });

  it('should keep a port in a custom domain', () => {
    expect(resolveHost('{Bucket}.cos.{Region}.localhost:8700', BUCKET, 'ap-test')).to.equal(
      'examplebucket-1250000000.cos.ap-test.localhost:8700',
    );
  });

  it('should reject a template with a scheme, a path or an unknown placeholder', () => {
    expect(codeOf(() => resolveHost('https://{Bucket}.cos.{Region}.myqcloud.com', BUCKET, 'r'))).to.equal(
      'invalid-options',
    );
    expect(codeOf(() => resolveHost('{Bucket}.cos.{Region}.myqcloud.com/x', BUCKET, 'r'))).to.equal('invalid-options');
    expect(codeOf(() => resolveHost('{bucket}.cos.{Region}.myqcloud.com', BUCKET, 'r'))).to.equal('invalid-options');
  });
});

describe('requestPathname', () => {
  it('should prefix an object key with a slash', () => {
    expect(requestPathname({ key: 'dir/a b(1)+腾.mp4' })).to.equal('/dir/a b(1)+腾.mp4');
  });

  it('should take the bucket root for an empty key and for no key or path', () => {
    expect(requestPathname({ key: '' })).to.equal('/');
    expect(requestPathname({})).to.equal('/');
  });

  it('should take a CI pathname as it is', () => {
    expect(requestPathname({ pathname: '/jobs/j123' })).to.equal('/jobs/j123');
  });

  const invalid: [string, { key?: string; pathname?: string }][] = [
    ['a key with a leading slash', { key: '/a.mp4' }],
    ['a key with a .. segment', { key: 'a/../b.mp4' }],
    ['a key that is a single dot', { key: '.' }],
    ['a key with an encoded dot segment', { key: 'a/%2e%2E/b' }],
    ['a key with a lone surrogate', { key: 'a\uD800b' }],
    ['a pathname without a leading slash', { pathname: 'jobs' }],
    ['both a key and a pathname', { key: 'a', pathname: '/jobs' }],
  ];
  for (const [name, target] of invalid) {
    it(`should reject ${name} with invalid-request`, () => {
      expect(codeOf(() => requestPathname(target))).to.equal('invalid-request');
    });
  }

  it('should accept dots that are not whole segments', () => {
    expect(requestPathname({ key: '.hidden/a..b/c.' })).to.equal('/.hidden/a..b/c.');
  });
});

describe('encodeQuery', () => {
  it('should encode names and values like the signature and send empty values as bare names', () => {
    expect(encodeQuery({ uploads: '', prefix: "dir/a b(1)+!'*" })).to.equal(
      '?uploads&prefix=dir%2Fa%20b%281%29%2B%21%27%2A',
    );
  });

  it('should give an empty string for no parameters', () => {
    expect(encodeQuery({})).to.equal('');
    expect(encodeQuery(undefined)).to.equal('');
  });
});

describe('buildUrl', () => {
  it('should encode each byte of the key and keep the slashes', () => {
    const url = buildUrl({
      protocol: 'https',
      host: 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
      pathname: '/dir/a b(1)+腾.mp4',
      query: { partNumber: '1', uploadId: 'u/1+2' },
    });
    expect(url).to.equal(
      'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/dir/a%20b%281%29%2B%E8%85%BE.mp4' +
        '?partNumber=1&uploadId=u%2F1%2B2',
    );
  });
});

describe('urlWithoutQuery', () => {
  it('should drop the query string and the fragment', () => {
    expect(urlWithoutQuery('https://h/a%20b?q-signature=abc&x=1#f')).to.equal('https://h/a%20b');
    expect(urlWithoutQuery('https://h/a#f?x')).to.equal('https://h/a');
    expect(urlWithoutQuery('https://h/a')).to.equal('https://h/a');
  });
});
