import { expect } from 'chai';
import { isTranscoderError, type TranscoderError } from '../../src/core/errors.js';

/** Runs `action`, expects it to throw a TranscoderError, and returns it for further assertions. */
export function thrown(action: () => unknown): TranscoderError {
  try {
    action();
  } catch (error) {
    expect(isTranscoderError(error), String(error)).to.equal(true);
    return error as TranscoderError;
  }
  expect.fail('expected a TranscoderError, nothing was thrown');
}

/** Awaits `promise`, expects it to reject with a TranscoderError, and returns it for further assertions. */
export async function rejection(promise: Promise<unknown>): Promise<TranscoderError> {
  try {
    await promise;
  } catch (error) {
    expect(isTranscoderError(error), String(error)).to.equal(true);
    return error as TranscoderError;
  }
  expect.fail('expected a TranscoderError, the promise resolved');
}

/** Drops the layout white space between elements, so documents compare modulo formatting. */
export const squash = (xml: string): string => xml.replace(/>\s+</g, '><').trim();
