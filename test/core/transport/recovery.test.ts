import { expect } from 'chai';
import { TranscoderError } from '../../../src/core/errors.js';
import { SkewCorrectedClock } from '../../../src/core/transport/clock.js';
import type { ErrorBody } from '../../../src/core/transport/error-response.js';
import {
  isCertainlyUnprocessed,
  isClockSkewError,
  isExpiredCredentialsError,
  skewCorrection,
} from '../../../src/core/transport/recovery.js';

const NOW = Date.UTC(2024, 4, 16, 6, 45, 51);
const body = (code: string, message?: string): ErrorBody => ({ kind: 'error', code, ...(message ? { message } : {}) });

describe('isClockSkewError', () => {
  const cases: [ErrorBody, boolean][] = [
    [body('RequestTimeTooSkewed'), true],
    [body('AccessDenied', 'Request has expired'), true],
    [body('AccessDenied', 'Access Denied.'), false],
    [body('SignatureDoesNotMatch'), false],
    [{ kind: 'empty' }, false],
  ];
  for (const [input, expected] of cases) {
    it(`should say ${String(expected)} for ${input.code ?? input.kind} ${input.message ?? ''}`, () => {
      expect(isClockSkewError(input)).to.equal(expected);
    });
  }
});

describe('skewCorrection', () => {
  const clock = new SkewCorrectedClock(() => NOW);
  const ahead = (ms: number) => ({ status: 403, headers: { date: new Date(NOW + ms).toUTCString() }, body: '' });

  it('should give the server time from the Date header when it is 30 s or more away', () => {
    expect(skewCorrection(ahead(600_000), body('RequestTimeTooSkewed'), clock)).to.equal(NOW + 600_000);
    expect(skewCorrection(ahead(-30_000), body('RequestTimeTooSkewed'), clock)).to.equal(NOW - 30_000);
  });

  it('should give nothing when the Date header is within 30 s', () => {
    expect(skewCorrection(ahead(29_000), body('RequestTimeTooSkewed'), clock)).to.equal(undefined);
  });

  it('should fall back to the body ServerTime when Date is not exposed', () => {
    const serverTime = new Date(NOW + 120_000).toISOString();
    const response = { status: 403, headers: {}, body: '' };
    expect(skewCorrection(response, { ...body('RequestTimeTooSkewed'), serverTime }, clock)).to.equal(NOW + 120_000);
  });

  it('should give nothing for an error that is not about time', () => {
    expect(skewCorrection(ahead(600_000), body('SignatureDoesNotMatch'), clock)).to.equal(undefined);
  });
});

describe('isExpiredCredentialsError', () => {
  const cases: [number, ErrorBody, boolean][] = [
    [400, body('ExpiredToken', 'The provided token has expired.'), true],
    [403, body('InvalidAccessKeyId', 'The Access Key Id you provided does not exist in our records.'), true],
    [403, body('AccessDenied', 'The security token has expired'), true],
    [400, body('InvalidToken', 'The provided token is malformed or otherwise invalid.'), true],
    [403, body('AccessDenied', 'Request has expired'), true],
    [403, body('AccessDenied', 'Access Denied.'), false],
    [403, body('SignatureDoesNotMatch', 'The Signature you specified is invalid.'), false],
    [404, body('NoSuchKey'), false],
    [403, { kind: 'html' }, false],
    // A 5xx may come after the service acted: renewing credentials and resending would bypass the idempotency guard.
    [500, body('InternalError', 'invalid token'), false],
    [503, body('ExpiredToken', 'The provided token has expired.'), false],
    [401, body('ExpiredToken', 'The provided token has expired.'), false],
  ];
  for (const [status, input, expected] of cases) {
    it(`should say ${String(expected)} for ${status} ${input.code ?? input.kind}: ${input.message ?? ''}`, () => {
      expect(isExpiredCredentialsError(status, input)).to.equal(expected);
    });
  }
});

describe('isCertainlyUnprocessed', () => {
  const service = (status: number) => new TranscoderError('x', { code: 'service', phase: 'submit', status });
  const cases: [string, TranscoderError, ErrorBody | undefined, boolean][] = [
    ['a 429', service(429), { kind: 'empty' }, true],
    ['a 503 SlowDown', service(503), body('SlowDown'), true],
    ['a 503 ServiceUnavailable', service(503), body('ServiceUnavailable'), false],
    ['a 503 HTML page', service(503), { kind: 'html' }, false],
    ['a 500', service(500), body('InternalError'), false],
    ['a network error', new TranscoderError('x', { code: 'network', phase: 'submit' }), undefined, false],
    ['a timeout', new TranscoderError('x', { code: 'timeout', phase: 'submit' }), undefined, false],
  ];
  for (const [name, error, errorBody, expected] of cases) {
    it(`should say ${String(expected)} for ${name}`, () => {
      expect(isCertainlyUnprocessed(error, errorBody)).to.equal(expected);
    });
  }
});
