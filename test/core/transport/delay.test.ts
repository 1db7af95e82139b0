import { expect } from 'chai';
import { isTranscoderError } from '../../../src/core/errors.js';
import { delay } from '../../../src/core/transport/delay.js';

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

  it('should reject at once when the signal has already aborted', async () => {
    const error = await delay(5000, AbortSignal.abort()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTranscoderError(error) && error.code).to.equal('aborted');
  });
});
