import { expect } from 'chai';
import { isTranscoderError } from '../../../src/core/errors.js';
import { MAX_DELAY_MS, delay, isDelayMs } from '../../../src/core/transport/delay.js';

describe('isDelayMs', () => {
  const cases: [unknown, boolean][] = [
    [0, true],
    [1.5, true],
    [2 ** 31 - 1, true],
    [2 ** 31, false],
    [-1, false],
    [NaN, false],
    [Infinity, false],
    ['100', false],
    [undefined, false],
  ];
  for (const [value, expected] of cases) {
    it(`should say ${String(expected)} for ${typeof value} ${String(value)}`, () => {
      expect(isDelayMs(value)).to.equal(expected);
    });
  }

  it('should put the limit at what setTimeout can wait', () => {
    expect(MAX_DELAY_MS).to.equal(2 ** 31 - 1);
  });
});

describe('delay', () => {
  it('should resolve after the given time', async () => {
    const started = Date.now();
    await delay(20);
    expect(Date.now() - started).to.be.at.least(15);
  });

  it('should reject with code aborted when the signal aborts during the wait', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('user')), 10);
    const error = await delay(5000, controller.signal).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).to.be.below(1000);
    expect(isTranscoderError(error) && error.code).to.equal('aborted');
    expect((error as Error).cause).to.deep.equal(new Error('user'));
  });

  it('should not resolve at once when asked to wait longer than setTimeout can', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const outcome = await delay(2 ** 32, controller.signal).then(
      () => 'resolved',
      (e: unknown) => (isTranscoderError(e) ? e.code : e),
    );
    expect(outcome).to.equal('aborted');
  });

  it('should reject at once when the signal has already aborted', async () => {
    const error = await delay(5000, AbortSignal.abort()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTranscoderError(error) && error.code).to.equal('aborted');
  });
});
