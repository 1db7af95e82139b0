import { expect } from 'chai';
import {
  errorFromResponse,
  parseErrorBody,
  requestIdOf,
  sanitizeServerText,
} from '../../../src/core/transport/error-response.js';

const URL_WITH_SECRETS =
  'https://b-1250000000.cos.ap-guangzhou.myqcloud.com/dir/a%20b.mp4' +
  '?uploadId=u1&q-signature=deadbeef&x-cos-security-token=SECRET_TOKEN';
const context = { operation: 'cos:UploadPart', method: 'PUT', url: URL_WITH_SECRETS, phase: 'upload' } as const;

const cosError = (code: string, message: string, requestId = 'NWRlODY0MmJfMjBiNDU4NjRfNjkyZl80ZjZi') =>
  `<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n  <Code>${code}</Code>\n  <Message>${message}</Message>\n` +
  '  <Resource>b-1250000000.cos.ap-guangzhou.myqcloud.com/dir/a b.mp4</Resource>\n' +
  `  <RequestId>${requestId}</RequestId>\n` +
  `  <TraceId>${'OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVm'.repeat(3)}</TraceId>\n</Error>`;

const proxyPage =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  `<script>steal()</script>${'<p>filler</p>'.repeat(5000)}<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;

function expectSafe(message: string): void {
  expect(message).not.to.match(/\?[^\s"]/);
  expect(message).not.to.include('q-signature');
  expect(message).not.to.include('deadbeef');
  expect(message).not.to.include('SECRET_TOKEN');
  expect(message).not.to.match(/<|>/);
  expect(message.length).to.be.below(500);
}

describe('parseErrorBody', () => {
  it('should read a COS error document', () => {
    expect(parseErrorBody(cosError('NoSuchUpload', 'The specified upload does not exist.'))).to.deep.include({
      kind: 'error',
      code: 'NoSuchUpload',
      message: 'The specified upload does not exist.',
      requestId: 'NWRlODY0MmJfMjBiNDU4NjRfNjkyZl80ZjZi',
      resource: 'b-1250000000.cos.ap-guangzhou.myqcloud.com/dir/a b.mp4',
    });
  });

  it('should read a CI error document, which has no Resource', () => {
    const body =
      '<Error><Code>InvalidArgument</Code><Message>bad Tag</Message><RequestId>NjQ1</RequestId>' +
      '<TraceId>t</TraceId></Error>';
    expect(parseErrorBody(body)).to.deep.equal({
      kind: 'error',
      code: 'InvalidArgument',
      message: 'bad Tag',
      requestId: 'NjQ1',
      traceId: 't',
    });
  });

  it('should tell empty, HTML, truncated, foreign XML and plain text bodies apart', () => {
    expect(parseErrorBody('').kind).to.equal('empty');
    expect(parseErrorBody('  \n').kind).to.equal('empty');
    expect(parseErrorBody(proxyPage).kind).to.equal('html');
    expect(parseErrorBody('<!DOCTYPE html><p>x').kind).to.equal('html');
    expect(parseErrorBody('<Error><Code>SlowDown</Code><Mess').kind).to.equal('malformed');
    expect(parseErrorBody('<Response><JobsDetail/></Response>').kind).to.equal('xml');
    expect(parseErrorBody('Bad Gateway').kind).to.equal('text');
  });

  it('should drop a field that is not text and keep the others', () => {
    expect(parseErrorBody('<Error><Code>X</Code><Message><a>1</a></Message></Error>')).to.deep.equal({
      kind: 'error',
      code: 'X',
    });
  });
});

describe('requestIdOf', () => {
  it('should read x-cos-request-id', () => {
    expect(requestIdOf({ headers: { 'x-cos-request-id': 'cos-id' } })).to.equal('cos-id');
  });

  it('should read x-ci-request-id', () => {
    expect(requestIdOf({ headers: { 'x-ci-request-id': 'ci-id' } })).to.equal('ci-id');
  });

  it('should give undefined when neither header is visible', () => {
    expect(requestIdOf({ headers: {} })).to.equal(undefined);
  });
});

describe('errorFromResponse', () => {
  it('should keep the status, service code and request id of an XML error', () => {
    const error = errorFromResponse(
      { status: 404, headers: {}, body: cosError('NoSuchUpload', 'The specified upload does not exist.') },
      context,
    );
    expect(error).to.include({
      code: 'service',
      phase: 'upload',
      status: 404,
      serviceCode: 'NoSuchUpload',
      requestId: 'NWRlODY0MmJfMjBiNDU4NjRfNjkyZl80ZjZi',
      retryable: false,
    });
    expect(error.message).to.equal(
      'cos:UploadPart failed: PUT https://b-1250000000.cos.ap-guangzhou.myqcloud.com/dir/a%20b.mp4 answered 404 ' +
        'NoSuchUpload: "The specified upload does not exist." (request id: NWRlODY0MmJfMjBiNDU4NjRfNjkyZl80ZjZi)',
    );
    expectSafe(error.message);
  });

  it('should prefer the request id header to the body', () => {
    const error = errorFromResponse(
      { status: 503, headers: { 'x-cos-request-id': 'from-header' }, body: cosError('SlowDown', 'slow') },
      context,
    );
    expect(error.requestId).to.equal('from-header');
  });

  it('should mark 5xx and 429 retryable', () => {
    expect(errorFromResponse({ status: 503, headers: {}, body: '' }, context).retryable).to.equal(true);
    expect(errorFromResponse({ status: 429, headers: {}, body: '' }, context).retryable).to.equal(true);
    expect(errorFromResponse({ status: 403, headers: {}, body: '' }, context).retryable).to.equal(false);
  });

  it('should keep the status of an empty body', () => {
    const error = errorFromResponse({ status: 500, headers: { 'x-ci-request-id': 'ci-1' }, body: '' }, context);
    expect(error).to.include({ code: 'service', status: 500, serviceCode: undefined, requestId: 'ci-1' });
    expect(error.message).to.include('answered 500 with an empty body (request id: ci-1)');
    expectSafe(error.message);
  });

  it('should not quote a proxy HTML page', () => {
    const error = errorFromResponse({ status: 502, headers: {}, body: proxyPage }, context);
    expect(error).to.include({ code: 'service', status: 502, retryable: true });
    expect(error.message).to.include('answered 502 with an HTML page');
    expect(error.message).not.to.include('nginx');
    expectSafe(error.message);
  });

  it('should keep the status of a truncated XML body', () => {
    const error = errorFromResponse({ status: 500, headers: {}, body: '<Error><Code>Internal' }, context);
    expect(error).to.include({ code: 'service', status: 500, serviceCode: undefined });
    expect(error.message).to.include('answered 500 with a malformed XML error document');
    expectSafe(error.message);
  });

  it('should sanitise a service message that carries markup, a query string or a token', () => {
    const message =
      'Token &lt;b&gt;SECRET_TOKEN_0123456789abcdefghijklmnopqrstuvwxyz&lt;/b&gt; ' +
      'at /a?q-signature=deadbeef is invalid';
    const error = errorFromResponse({ status: 400, headers: {}, body: cosError('InvalidToken', message) }, context);
    expect(error.message).to.include('[redacted]');
    expectSafe(error.message);
  });

  it('should strip markup from a request id', () => {
    const response = { status: 500, headers: { 'x-cos-request-id': '<img src=x>id1' }, body: '' };
    const error = errorFromResponse(response, context);
    expectSafe(error.message);
  });
});

describe('sanitizeServerText', () => {
  it('should cap long text with an ellipsis', () => {
    const text = sanitizeServerText('word '.repeat(100), 20);
    expect(text).to.have.length(20);
    expect(text.endsWith('…')).to.equal(true);
  });

  it('should keep an ordinary sentence with a question mark', () => {
    expect(sanitizeServerText('Is the bucket name correct?')).to.equal('Is the bucket name correct?');
  });
});
