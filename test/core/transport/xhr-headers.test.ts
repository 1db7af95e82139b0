import { expect } from 'chai';
import { parseResponseHeaders } from '../../../src/core/transport/xhr-transport.js';

describe('parseResponseHeaders', () => {
  it('should lower-case names, trim values and join repeated headers', () => {
    const raw = 'ETag: "abc"\r\nX-Cos-Request-Id: id-1\r\nVary: Origin\r\nvary: Accept\r\nX-Empty:\r\nnot a header\r\n';
    expect(parseResponseHeaders(raw)).to.deep.equal({
      etag: '"abc"',
      'x-cos-request-id': 'id-1',
      vary: 'Origin, Accept',
      'x-empty': '',
    });
  });

  it('should keep colons inside values', () => {
    expect(parseResponseHeaders('date: Thu, 16 May 2019 06:45:51 GMT')).to.deep.equal({
      date: 'Thu, 16 May 2019 06:45:51 GMT',
    });
  });

  it('should read headers named after Object.prototype members as plain headers', () => {
    const headers = parseResponseHeaders('constructor: a\r\ntoString: b\r\n__proto__: c\r\n');
    expect(Object.keys(headers)).to.deep.equal(['constructor', 'tostring', '__proto__']);
    expect([headers.constructor, headers['tostring'], headers['__proto__']]).to.deep.equal(['a', 'b', 'c']);
  });
});
