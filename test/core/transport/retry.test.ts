import { expect } from 'chai';
import { TranscoderError, isTranscoderError, type TranscoderErrorInit } from '../../../src/core/errors.js';
import {
  DEFAULT_RETRY,
  isRetryableError,
  parseRetryAfter,
  resolveRetry,
  retryDelay,
} from '../../../src/core/transport/retry.js';

const error = (init: Partial<TranscoderErrorInit>) =>
  new TranscoderError('x', { code: 'service', phase: 'upload', ...init });

describe('isRetryableError', () => {
  const cases: [string, Partial<TranscoderErrorInit>, boolean][] = [
    ['a network error', { code: 'network' }, true],
    ['a timeout', { code: 'timeout' }, true],
    ['a 500', { status: 500 }, true],
    ['a 502', { status: 502 }, true],
    ['a 503', { status: 503 }, true],
    ['a 504', { status: 504 }, true],
    ['a 429', { status: 429 }, true],
    ['a 400', { status: 400 }, false],
    ['a 403', { status: 403 }, false],
    ['a 404', { status: 404 }, false],
    ['a 409', { status: 409 }, false],
    ['a 412', { status: 412 }, false],
    ['a service error without status', {}, false],
    ['an abort', { code: 'aborted' }, false],
    ['an abort marked retryable', { code: 'aborted', retryable: true }, false],
    ['a signing failure marked retryable (host threw, timed out)', { code: 'sign-failed', retryable: true }, true],
    ['a signing failure not marked retryable', { code: 'sign-failed' }, false],
    ['invalid options', { code: 'invalid-options' }, false],
    ['an invalid response', { code: 'invalid-response', status: 200 }, false],
  ];
  for (const [name, init, expected] of cases) {
    it(`should ${expected ? '' : 'not '}retry ${name}`, () => {
      expect(isRetryableError(error(init))).to.equal(expected);
    });
  }

  it('should not retry something that is not a TranscoderError', () => {
    expect(isRetryableError(new TypeError('Failed to fetch'))).to.equal(false);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2024, 0, 1, 12, 0, 0);
  const cases: [string | null | undefined, number | undefined][] = [
    ['0', 0],
    ['3', 3000],
    [' 120 ', 120_000],
    ['Mon, 01 Jan 2024 12:00:05 GMT', 5000],
    ['Mon, 01 Jan 2024 11:59:00 GMT', 0],
    ['1.5', undefined],
    ['-3', undefined],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
  ];
  for (const [value, expected] of cases) {
    it(`should read ${JSON.stringify(value)} as ${String(expected)}`, () => {
      expect(parseRetryAfter(value, now)).to.equal(expected);
    });
  }
});

describe('retryDelay', () => {
  const policy = resolveRetry({ delays: [100, 200, 400], jitter: 0.5, maxRetryAfter: 1000 });

  const cases: [string, number, number | undefined, number, number | undefined][] = [
    ['the first delay for retry 1 at mid jitter', 1, undefined, 0.5, 100],
    ['the third delay for retry 3', 3, undefined, 0.5, 400],
    ['the lowest jittered value', 2, undefined, 0, 100],
    ['nearly the highest jittered value', 2, undefined, 0.999999, 300],
    ['no delay past the last retry', 4, undefined, 0.5, undefined],
    ['no delay for retry 0', 0, undefined, 0.5, undefined],
    ['Retry-After in place of the policy, without jitter', 1, 700, 0, 700],
    ['Retry-After capped at maxRetryAfter', 1, 60_000, 0, 1000],
    ['a Retry-After of 0', 2, 0, 0.9, 0],
    ['no delay past the last retry even with Retry-After', 4, 10, 0.5, undefined],
  ];
  for (const [name, attempt, retryAfter, random, expected] of cases) {
    it(`should give ${name}`, () => {
      expect(retryDelay(policy, attempt, retryAfter, () => random)).to.equal(expected);
    });
  }

  it('should never give more than setTimeout can wait, whatever the jitter', () => {
    const longest = resolveRetry({ delays: [2 ** 31 - 1], jitter: 0.5 });
    expect(retryDelay(longest, 1, undefined, () => 0.999999)).to.equal(2 ** 31 - 1);
  });

  it('should keep delays exact with a jitter of 0', () => {
    const exact = resolveRetry({ delays: [250], jitter: 0 });
    expect(retryDelay(exact, 1, undefined, () => 0.9)).to.equal(250);
  });
});

describe('resolveRetry', () => {
  it('should fill in the documented defaults', () => {
    expect(resolveRetry()).to.deep.equal({ delays: [500, 1000, 2000, 4000, 8000], jitter: 0.2, maxRetryAfter: 60_000 });
    expect(DEFAULT_RETRY.delays).to.deep.equal([500, 1000, 2000, 4000, 8000]);
  });

  it('should accept delays and maxRetryAfter up to 2^31 - 1 ms', () => {
    expect(resolveRetry({ delays: [2 ** 31 - 1], maxRetryAfter: 2 ** 31 - 1 })).to.include({
      maxRetryAfter: 2 ** 31 - 1,
    });
  });

  it('should accept an empty delays array to disable retries', () => {
    expect(resolveRetry({ delays: [] }).delays).to.deep.equal([]);
  });

  const invalid: [string, object][] = [
    ['a negative delay', { delays: [100, -1] }],
    ['an infinite delay', { delays: [Infinity] }],
    ['delays that are not an array', { delays: 3 }],
    ['a jitter above 1', { jitter: 1.5 }],
    ['a NaN jitter', { jitter: NaN }],
    ['a negative maxRetryAfter', { maxRetryAfter: -5 }],
    ['a delay setTimeout cannot wait (2^31 ms)', { delays: [100, 2 ** 31] }],
    ['a maxRetryAfter setTimeout cannot wait (2^31 ms)', { maxRetryAfter: 2 ** 31 }],
    ['a shouldRetry that is not a function', { shouldRetry: true }],
  ];
  for (const [name, options] of invalid) {
    it(`should reject ${name} with invalid-options`, () => {
      let caught: unknown;
      try {
        resolveRetry(options as never);
      } catch (e) {
        caught = e;
      }
      expect(isTranscoderError(caught) && caught.code).to.equal('invalid-options');
    });
  }
});
