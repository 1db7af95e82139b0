import { expect } from 'chai';
import {
  buildCompleteMultipartUpload,
  parseCompleteMultipartUpload,
} from '../../../src/core/protocol/complete-multipart-upload.js';
import { thrown } from '../../helpers/expect-error.js';

describe('buildCompleteMultipartUpload', () => {
  it('should build the body the JS SDK sends, quotes as entities', () => {
    expect(
      buildCompleteMultipartUpload([
        { PartNumber: 1, ETag: '"abc"' },
        { PartNumber: 2, ETag: '"abc"' },
      ]),
    ).to.equal(
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag></Part>' +
        '<Part><PartNumber>2</PartNumber><ETag>&quot;abc&quot;</ETag></Part></CompleteMultipartUpload>',
    );
  });

  it('should add the quotes an ETag lacks', () => {
    expect(buildCompleteMultipartUpload([{ PartNumber: 1, ETag: 'abc' }])).to.contain('<ETag>&quot;abc&quot;</ETag>');
  });

  it('should reject parts out of ascending order', () => {
    const error = thrown(() =>
      buildCompleteMultipartUpload([
        { PartNumber: 2, ETag: '"a"' },
        { PartNumber: 1, ETag: '"b"' },
      ]),
    );
    expect([error.code, error.phase]).to.deep.equal(['invalid-request', 'complete']);
    expect(error.message).to.contain('[1].PartNumber must be greater than the previous part number');
  });

  it('should reject a repeated part number', () => {
    const parts = [
      { PartNumber: 1, ETag: '"a"' },
      { PartNumber: 1, ETag: '"b"' },
    ];
    expect(thrown(() => buildCompleteMultipartUpload(parts)).code).to.equal('invalid-request');
  });

  it('should reject an empty part list', () => {
    expect(thrown(() => buildCompleteMultipartUpload([])).message).to.contain('must name at least one part');
  });

  it('should reject a part number above 10000', () => {
    expect(thrown(() => buildCompleteMultipartUpload([{ PartNumber: 10001, ETag: '"a"' }])).message).to.contain(
      '[0].PartNumber must be an integer from 1 to 10000',
    );
  });

  it('should reject an ETag with markup', () => {
    expect(thrown(() => buildCompleteMultipartUpload([{ PartNumber: 1, ETag: '"a"</ETag><x>' }])).message).to.contain(
      '[0].ETag must be an ETag',
    );
  });
});

describe('parseCompleteMultipartUpload', () => {
  it('should round-trip a built body', () => {
    const parts = [
      { PartNumber: 1, ETag: '"8e0b617ca298a564c3331da28dcb50df"' },
      { PartNumber: 2, ETag: '"594f98b11c6901c0f0683de1085a6d0e"' },
    ];
    expect(parseCompleteMultipartUpload(buildCompleteMultipartUpload(parts))).to.deep.equal(parts);
  });

  it('should accept ETag before PartNumber, as the Go SDK writes it', () => {
    const body =
      '<CompleteMultipartUpload><Part><ETag>"a"</ETag><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>';
    expect(parseCompleteMultipartUpload(body)).to.deep.equal([{ PartNumber: 1, ETag: '"a"' }]);
  });

  it('should keep parts out of order for the service to reject', () => {
    const body =
      '<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>"a"</ETag></Part>' +
      '<Part><PartNumber>1</PartNumber><ETag>"b"</ETag></Part></CompleteMultipartUpload>';
    expect(parseCompleteMultipartUpload(body).map((part) => part.PartNumber)).to.deep.equal([2, 1]);
  });

  it('should reject a body without parts', () => {
    const error = thrown(() => parseCompleteMultipartUpload('<CompleteMultipartUpload/>'));
    expect([error.code, error.phase]).to.deep.equal(['invalid-request', 'complete']);
  });

  it('should reject malformed XML as an invalid request', () => {
    const error = thrown(() => parseCompleteMultipartUpload('<CompleteMultipartUpload><Part>'));
    expect(error.code).to.equal('invalid-request');
  });
});
