import { expect } from 'chai';
import {
  canonicalize,
  computeSignature,
  createAuthorization,
  createAuthorizationWithSignKey,
  deriveSignKey,
  parseAuthorization,
  signWithKey,
} from '../../../src/core/signing/authorization.js';
import { sha1Hex, hmacSha1Hex } from '../../../src/core/signing/digest.js';
import { cosEncode, encodeKeyPath } from '../../../src/core/signing/encode.js';
import { isTranscoderError } from '../../../src/core/errors.js';

// Known-answer vectors V1..V6 of the wire-protocol reference (section 1.4): published values from Tencent's docs and
// SDK tests, and requests recorded from the official JS SDK. The signer is never checked only against itself.
const DOC_ID = 'AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q';
const DOC_KEY = 'BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz';
const DOC_HOST = 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com';
const DOC_PATH = '/exampleobject(腾讯云)';

const v1Headers = {
  Date: 'Thu, 16 May 2019 06:45:51 GMT',
  Host: DOC_HOST,
  'Content-Type': 'text/plain',
  'Content-Length': 13,
  'Content-MD5': 'mQ/fVh815F3k6TAUm8m0eg==',
  'x-cos-acl': 'private',
  'x-cos-grant-read': 'uin="100000000011"',
};

describe('createAuthorization', () => {
  it('should reproduce V1, the documented upload example with a UTF-8 key', async () => {
    const input = {
      secretId: DOC_ID,
      secretKey: DOC_KEY,
      method: 'PUT',
      pathname: DOC_PATH,
      headers: v1Headers,
      keyTime: { start: 1557989151, end: 1557996351 },
    };
    const canonical = canonicalize(input);
    expect(canonical.httpString).to.equal(
      'put\n/exampleobject(腾讯云)\n\ncontent-length=13&content-md5=mQ%2FfVh815F3k6TAUm8m0eg%3D%3D&content-type=text%2Fplain&date=Thu%2C%2016%20May%202019%2006%3A45%3A51%20GMT&host=examplebucket-1250000000.cos.ap-beijing.myqcloud.com&x-cos-acl=private&x-cos-grant-read=uin%3D%22100000000011%22\n',
    );
    expect(await sha1Hex(canonical.httpString)).to.equal('8b2751e77f43a0995d6e9eb9477f4b685cca4172');
    expect(await hmacSha1Hex(DOC_KEY, '1557989151;1557996351')).to.equal('eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f');
    expect(await createAuthorization(input)).to.equal(
      `q-sign-algorithm=sha1&q-ak=${DOC_ID}&q-sign-time=1557989151;1557996351&q-key-time=1557989151;1557996351` +
        '&q-header-list=content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read' +
        '&q-url-param-list=&q-signature=3b8851a11a569213c17ba8fa7dcf2abec6935172',
    );
  });

  it('should reproduce V2, the documented download example with signed query parameters', async () => {
    const input = {
      secretId: DOC_ID,
      secretKey: DOC_KEY,
      method: 'GET',
      pathname: DOC_PATH,
      query: { 'response-content-type': 'application/octet-stream', 'response-cache-control': 'max-age=600' },
      headers: { Date: 'Thu, 16 May 2019 06:55:53 GMT', Host: DOC_HOST },
      keyTime: { start: 1557989753, end: 1557996953 },
    };
    const canonical = canonicalize(input);
    expect(canonical.httpString.split('\n')[2]).to.equal(
      'response-cache-control=max-age%3D600&response-content-type=application%2Foctet-stream',
    );
    expect(await sha1Hex(canonical.httpString)).to.equal('54ecfe22f59d3514fdc764b87a32d8133ea611e6');
    expect(await hmacSha1Hex(DOC_KEY, '1557989753;1557996953')).to.equal('937914bf490e9e8c189836aad2052e4feeb35eaf');
    const parsed = parseAuthorization(await createAuthorization(input));
    expect(parsed?.signature).to.equal('01681b8c9d798a678e43b685a9f1bba0f6c0e012');
    expect(parsed?.headerList).to.deep.equal(['date', 'host']);
    expect(parsed?.urlParamList).to.deep.equal(['response-cache-control', 'response-content-type']);
  });

  it('should reproduce V3, the Go SDK unit test', async () => {
    const input = {
      secretId: 'QmFzZTY0IGlzIGEgZ2VuZXJp',
      secretKey: 'AKIDZfbOA78asKUYBcXFrJD0a1ICvR98JM',
      method: 'PUT',
      pathname: '/testfile2',
      headers: {
        host: 'testbucket-125000000.cos.ap-guangzhou.myqcloud.com',
        'x-cos-content-sha1': 'db8ac1c259eb89d4a131b253bacfca5f319d54f2',
        'x-cos-stroage-class': 'nearline',
      },
      keyTime: { start: 1480932292, end: 1481012292 },
    };
    expect(await sha1Hex(canonicalize(input).httpString)).to.equal('113b22e92b74237531fafbfc8bb9e67be55645c7');
    expect(await hmacSha1Hex(input.secretKey, '1480932292;1481012292')).to.equal(
      '95d110a8ead64cac52083100db75b7e3f369e72f',
    );
    expect(parseAuthorization(await createAuthorization(input))?.signature).to.equal(
      'ce4ac0ecbcdb30538b3fee0a97cc6389694ce53a',
    );
  });

  it('should reproduce V4, special characters in path, query names and values', async () => {
    const input = {
      secretId: 'AKIDEXAMPLE',
      secretKey: 'EXAMPLESECRET',
      method: 'get',
      pathname: '/dir/a b+c(1)!.mp4',
      query: {
        'response-content-disposition': "attachment; filename*=UTF-8''a b.mp4",
        versionId: 'MTg0NDUx',
      },
      headers: {
        Host: 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
        'x-cos-traffic-limit': '819200',
      },
      keyTime: { start: 1700000000, end: 1700003600 },
    };
    const canonical = canonicalize(input);
    expect(canonical.httpString).to.equal(
      'get\n/dir/a b+c(1)!.mp4\nresponse-content-disposition=attachment%3B%20filename%2A%3DUTF-8%27%27a%20b.mp4&versionid=MTg0NDUx\nhost=examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com&x-cos-traffic-limit=819200\n',
    );
    expect(await sha1Hex(canonical.httpString)).to.equal('ac882e7612e022e32808ee38fc834db39f406574');
    const parsed = parseAuthorization(await createAuthorization(input));
    expect(parsed?.signature).to.equal('2d276d2496954c700e5ec26c13a8522466ed2f38');
    expect(parsed?.urlParamList).to.deep.equal(['response-content-disposition', 'versionid']);
  });

  it('should reproduce V5, CI requests signed with a temporary key', async () => {
    const host = 'examplebucket-1250000000.ci.ap-guangzhou.myqcloud.com';
    const base = {
      secretId: 'AKIDEXAMPLETMPID',
      secretKey: 'EXAMPLETMPSECRETKEY',
      headers: { host },
      keyTime: { start: 1700000000, end: 1700000900 },
    };
    expect(await hmacSha1Hex(base.secretKey, '1700000000;1700000900')).to.equal(
      '75622eb0fde6b17dbb2bc88189e634667b416d3e',
    );
    const post = { ...base, method: 'POST', pathname: '/jobs' };
    expect(await sha1Hex(canonicalize(post).httpString)).to.equal('4d98e3116958933ae3b8666c37a035a3e52e3bbc');
    expect(parseAuthorization(await createAuthorization(post))?.signature).to.equal(
      '9207cf99656ab9a08925591ce2c3591f6ff06fa0',
    );
    const cancel = { ...base, method: 'PUT', pathname: '/jobs/jabc', query: { cancel: '' } };
    expect(canonicalize(cancel).httpString).to.equal(`put\n/jobs/jabc\ncancel=\nhost=${host}\n`);
    const parsed = parseAuthorization(await createAuthorization(cancel));
    expect(parsed?.signature).to.equal('9a02cb845a5255c0f6b6a059b22a04d64ffb9d01');
    expect(parsed?.urlParamList).to.deep.equal(['cancel']);
  });

  it('should reproduce V6, V1 signed over the subset of headers the JS SDK chooses', async () => {
    const { 'Content-Type': _type, Date: _date, ...headers } = v1Headers;
    const parsed = parseAuthorization(
      await createAuthorization({
        secretId: DOC_ID,
        secretKey: DOC_KEY,
        method: 'PUT',
        pathname: DOC_PATH,
        headers,
        keyTime: { start: 1557989151, end: 1557996351 },
      }),
    );
    expect(parsed?.headerList).to.deep.equal(['content-length', 'content-md5', 'host', 'x-cos-acl', 'x-cos-grant-read']);
    expect(parsed?.signature).to.equal('65788349a05a472789af1637995918716f64cc20');
  });

  it('should sign header names case-insensitively and skip undefined values', async () => {
    const a = canonicalize({ method: 'PUT', pathname: '/k', headers: { HOST: 'h', 'X-Cos-Meta-A': 'v', skip: undefined } });
    const b = canonicalize({ method: 'put', pathname: '/k', headers: { host: 'h', 'x-cos-meta-a': 'v' } });
    expect(a).to.deep.equal(b);
    expect(a.headerList).to.equal('host;x-cos-meta-a');
  });

  it('should reject white space in keys, bad key times and relative paths with typed errors', async () => {
    const secretKey = 'secretKeyValueMustNeverLeak';
    const good = {
      secretId: 'id',
      secretKey,
      method: 'GET',
      pathname: '/k',
      keyTime: { start: 1, end: 2 },
    };
    const bad = [
      { ...good, secretId: ' id' },
      { ...good, secretId: 'id\u0000' },
      { ...good, secretKey: '' },
      { ...good, secretKey: `${secretKey} ` },
      { ...good, secretKey: `${secretKey}\u200B` },
      { ...good, pathname: 'k' },
      { ...good, method: 'FETCH' },
      { ...good, keyTime: { start: 5, end: 2 } },
      { ...good, keyTime: { start: 1.5, end: 2 } },
    ];
    for (const [i, input] of bad.entries()) {
      const error = await createAuthorization(input).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isTranscoderError(error), `case ${i}`).to.equal(true);
      expect(error, `case ${i}`).to.include({ code: 'invalid-options', phase: 'sign' });
      for (const text of [(error as Error).message, String(error), JSON.stringify(error)]) {
        expect(text, `case ${i}`).not.to.contain(secretKey);
      }
    }
  });

  it('should compute the same signature through computeSignature', async () => {
    const { httpString } = canonicalize({ method: 'POST', pathname: '/jobs', headers: { host: 'h' } });
    const authorization = await createAuthorization({
      secretId: 'id',
      secretKey: 'secret',
      method: 'POST',
      pathname: '/jobs',
      headers: { host: 'h' },
      keyTime: { start: 10, end: 20 },
    });
    expect(parseAuthorization(authorization)?.signature).to.equal(await computeSignature('secret', '10;20', httpString));
  });
});

describe('deriveSignKey and signWithKey', () => {
  it('should derive the SignKey of V1 and sign V1 with it', async () => {
    const signKey = await deriveSignKey(DOC_KEY, '1557989151;1557996351');
    expect(signKey).to.equal('eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f');
    const { httpString } = canonicalize({ method: 'PUT', pathname: DOC_PATH, headers: v1Headers });
    expect(await signWithKey(signKey, '1557989151;1557996351', httpString)).to.equal(
      '3b8851a11a569213c17ba8fa7dcf2abec6935172',
    );
  });

  it('should make the same Authorization from the SignKey as from the secret key', async () => {
    const input = { secretId: DOC_ID, method: 'PUT', pathname: DOC_PATH, headers: v1Headers };
    const keyTime = { start: 1557989151, end: 1557996351 };
    const signKey = await deriveSignKey(DOC_KEY, '1557989151;1557996351');
    expect(await createAuthorizationWithSignKey({ ...input, signKey, keyTime })).to.equal(
      await createAuthorization({ ...input, secretKey: DOC_KEY, keyTime }),
    );
  });

  it('should reject a SignKey that is not 40 hex digits without quoting it', async () => {
    const signKey = 'notASignKeyButASecretThatMustNeverLeak';
    const input = { secretId: 'id', method: 'GET', pathname: '/k', keyTime: { start: 1, end: 2 }, signKey };
    const error = await createAuthorizationWithSignKey(input).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.include({ code: 'invalid-options', phase: 'sign' });
    expect((error as Error).message).not.to.contain(signKey);
  });
});

describe('parseAuthorization', () => {
  it('should reject values with spaces, missing or repeated fields', () => {
    const ok =
      'q-sign-algorithm=sha1&q-ak=a&q-sign-time=1;2&q-key-time=1;2&q-header-list=host&q-url-param-list=&q-signature=s';
    expect(parseAuthorization(ok)?.urlParamList).to.deep.equal([]);
    expect(parseAuthorization(ok.replace('q-ak=a', 'q-ak= a'))).to.equal(undefined);
    expect(parseAuthorization(ok.replace('&q-signature=s', ''))).to.equal(undefined);
    expect(parseAuthorization(`${ok}&q-ak=b`)).to.equal(undefined);
    expect(parseAuthorization('garbage')).to.equal(undefined);
  });
});

describe('cosEncode', () => {
  it('should encode everything but A-Z a-z 0-9 - _ . ~ with uppercase hex', () => {
    expect(cosEncode("a b!'()*+,/:;=?@[]~-_.")).to.equal(
      'a%20b%21%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D~-_.',
    );
    expect(cosEncode('腾')).to.equal('%E8%85%BE');
  });

  it('should keep slashes in key paths', () => {
    expect(encodeKeyPath('dir/a b(1).mp4')).to.equal('dir/a%20b%281%29.mp4');
  });
});
