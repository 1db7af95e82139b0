import { expect } from 'chai';
import {
  parseCompleteMultipartUploadResult,
  parseCosDocument,
  parseInitiateMultipartUploadResult,
  parseListMultipartUploadsResult,
  parseListPartsResult,
} from '../../../src/core/protocol/cos-document.js';
import { CosErrorSchema } from '../../../src/core/protocol/cos-schemas.js';
import {
  CI_ERROR,
  COMPLETE_ANSWERED_200_WITH_ERROR,
  COMPLETE_RESULT_WITH_LEADING_SPACE,
  COS_ERROR,
  INITIATE_RESULT,
  LIST_PARTS_ONE,
  LIST_PARTS_TWO,
  LIST_UPLOADS,
} from '../../fixtures/cos-documents.js';
import { thrown } from '../../helpers/expect-error.js';

const UPLOAD_ID = '1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361';

describe('parseInitiateMultipartUploadResult', () => {
  it('should read the bucket, key and upload id', () => {
    expect(parseInitiateMultipartUploadResult(INITIATE_RESULT)).to.deep.equal({
      Bucket: 'examplebucket-1250000000',
      Key: 'exampleobject',
      UploadId: UPLOAD_ID,
    });
  });

  it('should reject an upload id that could not go into a URL', () => {
    const error = thrown(() => parseInitiateMultipartUploadResult(INITIATE_RESULT.replace(UPLOAD_ID, 'a/b?c')));
    expect(error.code).to.equal('invalid-response');
    expect(error.phase).to.equal('upload');
    expect(error.message).to.contain('UploadId must be an upload id');
  });
});

describe('parseListPartsResult', () => {
  it('should give a single part as an array of one with typed fields', () => {
    const result = parseListPartsResult(LIST_PARTS_ONE);
    expect(result.Part).to.deep.equal([
      {
        PartNumber: 1,
        LastModified: '2017-06-20T09:45:49.000Z',
        ETag: '"8e0b617ca298a564c3331da28dcb50df"',
        Size: 1048576,
      },
    ]);
  });

  it('should read the pagination fields as numbers and a boolean', () => {
    const result = parseListPartsResult(LIST_PARTS_ONE);
    expect([result.PartNumberMarker, result.NextPartNumberMarker, result.MaxParts, result.IsTruncated]).to.deep.equal([
      0, 1, 1000, false,
    ]);
  });

  it('should read the initiator and owner', () => {
    const result = parseListPartsResult(LIST_PARTS_ONE);
    expect(result.Owner).to.deep.equal({
      ID: 'qcs::cam::uin/100000000001:uin/100000000001',
      DisplayName: '100000000001',
    });
  });

  it('should give two parts in document order', () => {
    const result = parseListPartsResult(LIST_PARTS_TWO);
    expect(result.Part.map((part) => [part.PartNumber, part.Size])).to.deep.equal([
      [1, 1048576],
      [2, 524288],
    ]);
  });

  it('should report a truncated listing', () => {
    const result = parseListPartsResult(LIST_PARTS_TWO);
    expect([result.IsTruncated, result.NextPartNumberMarker]).to.deep.equal([true, 2]);
  });

  it('should give an empty array when there are no parts', () => {
    const result = parseListPartsResult('<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>');
    expect(result.Part).to.deep.equal([]);
  });

  it('should reject a part whose size is not a number', () => {
    const error = thrown(() => parseListPartsResult(LIST_PARTS_ONE.replace('1048576', 'big')));
    expect(error.code).to.equal('invalid-response');
    expect(error.message).to.contain('Part[0].Size must be a number');
  });

  it('should reject a part number out of range', () => {
    const error = thrown(() => parseListPartsResult(LIST_PARTS_ONE.replace('<PartNumber>1<', '<PartNumber>10001<')));
    expect(error.message).to.contain('Part[0].PartNumber must be an integer from 1 to 10000');
  });

  it('should reject an IsTruncated that is not a boolean', () => {
    const error = thrown(() => parseListPartsResult(LIST_PARTS_ONE.replace('>false<', '>maybe<')));
    expect(error.message).to.contain('IsTruncated must be true or false');
  });
});

describe('parseListMultipartUploadsResult', () => {
  it('should give the uploads as an array', () => {
    const result = parseListMultipartUploadsResult(LIST_UPLOADS);
    expect(result.Upload.map((upload) => upload.Initiated)).to.deep.equal([
      '2020-03-25T18:07:01.000Z',
      '2020-03-25T18:07:02.000Z',
    ]);
  });

  it('should read the markers and the truncation flag', () => {
    const result = parseListMultipartUploadsResult(LIST_UPLOADS);
    expect([result.KeyMarker, result.NextKeyMarker, result.MaxUploads, result.IsTruncated]).to.deep.equal([
      '',
      'exampleobject',
      1000,
      false,
    ]);
  });

  it('should give common prefixes as an array', () => {
    expect(parseListMultipartUploadsResult(LIST_UPLOADS).CommonPrefixes).to.deep.equal([{ Prefix: 'examplefolder/' }]);
  });

  it('should give empty arrays for an empty listing', () => {
    const result = parseListMultipartUploadsResult('<ListMultipartUploadsResult/>');
    expect([result.Upload, result.CommonPrefixes, result.IsTruncated]).to.deep.equal([[], [], false]);
  });
});

describe('parseCompleteMultipartUploadResult', () => {
  it('should parse a result preceded by the white space sent while merging', () => {
    expect(parseCompleteMultipartUploadResult(COMPLETE_RESULT_WITH_LEADING_SPACE)).to.deep.equal({
      Location: 'test-1253846586.cos.ap-guangzhou.myqcloud.com/test/hello.txt',
      Bucket: 'test-1253846586',
      Key: 'test/hello.txt',
      ETag: '"594f98b11c6901c0f0683de1085a6d0e-4"',
    });
  });

  it('should turn a 200 answer with an Error body into a service error', () => {
    const error = thrown(() => parseCompleteMultipartUploadResult(COMPLETE_ANSWERED_200_WITH_ERROR, { status: 200 }));
    expect([error.code, error.phase, error.status, error.serviceCode, error.requestId]).to.deep.equal([
      'service',
      'complete',
      200,
      'InternalError',
      'NWRlODY0MmJfMjBiNDU4NjRfNjkyZl80ZjZi****',
    ]);
  });

  it('should name the operation and the service code in the message', () => {
    const error = thrown(() => parseCompleteMultipartUploadResult(COMPLETE_ANSWERED_200_WITH_ERROR, { status: 200 }));
    expect(error.message).to.match(/^CompleteMultipartUpload failed: answered 200 InternalError/);
  });

  it('should prefer the request id of the response header', () => {
    const context = { requestId: 'hdr-1' };
    const error = thrown(() => parseCompleteMultipartUploadResult(COMPLETE_ANSWERED_200_WITH_ERROR, context));
    expect(error.requestId).to.equal('hdr-1');
  });

  it('should reject a result without an ETag', () => {
    const error = thrown(() =>
      parseCompleteMultipartUploadResult('<CompleteMultipartUploadResult><Key>k</Key></CompleteMultipartUploadResult>'),
    );
    expect([error.code, error.phase]).to.deep.equal(['invalid-response', 'complete']);
    expect(error.message).to.contain('ETag is required');
  });

  it('should reject a different document', () => {
    const error = thrown(() => parseCompleteMultipartUploadResult(INITIATE_RESULT));
    expect(error.code).to.equal('invalid-response');
    expect(error.message).to.contain('expected a <CompleteMultipartUploadResult> document');
  });
});

describe('parseCosDocument', () => {
  it('should parse a COS error body', () => {
    expect(parseCosDocument(COS_ERROR, 'Error', CosErrorSchema, 'upload')).to.deep.equal({
      Code: 'NoSuchUpload',
      Message: 'The specified upload does not exist.',
      Resource: 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com/exampleobject',
      RequestId: 'NWRlODY0MmJfMjBiNDU4NjRfNjkyZl80ZjZi****',
      TraceId: 'OGVmYzZiMmQ3MjkwZThhMmE0ZGEzMjZhODVlNDY1MDM=',
    });
  });

  it('should parse a CI error body, which has no Resource', () => {
    const error = parseCosDocument(CI_ERROR, 'Error', CosErrorSchema, 'submit');
    expect([error.Code, error.Resource, error.RequestId]).to.deep.equal([
      'InvalidArgument',
      undefined,
      'NTk0MjdmODlfMjQ4OGY3XzYzYzhf****',
    ]);
  });

  it('should turn a CI error body into a service error with its code', () => {
    const error = thrown(() => parseInitiateMultipartUploadResult(CI_ERROR, { status: 400 }));
    expect([error.code, error.serviceCode, error.status, error.retryable]).to.deep.equal([
      'service',
      'InvalidArgument',
      400,
      false,
    ]);
  });

  it('should mark a 5xx service error retryable', () => {
    const error = thrown(() => parseInitiateMultipartUploadResult(COS_ERROR, { status: 503 }));
    expect(error.retryable).to.equal(true);
  });

  it('should leave serviceCode unset for an Error body without a usable Code', () => {
    const body = '<Error><Message>x</Message></Error>';
    const error = thrown(() => parseInitiateMultipartUploadResult(body, { status: 500 }));
    expect([error.code, error.serviceCode]).to.deep.equal(['service', undefined]);
  });

  it('should put the issue paths in the cause, not the body', () => {
    const error = thrown(() => parseListPartsResult(LIST_PARTS_ONE.replace('1048576', 'SECRET-BODY-TEXT')));
    expect(error.cause).to.deep.equal({ issues: [{ path: 'Part[0].Size', message: 'must be a number' }] });
    expect(JSON.stringify(error.cause)).not.to.contain('SECRET-BODY-TEXT');
  });
});
