import { expect } from 'chai';
import {
  DEFAULT_POLL_DELAYS,
  MAX_ERROR_BACKOFF,
  nextPollDelay,
  resolvePollOptions,
  type PollState,
} from '../../../src/core/jobs/poll-schedule.js';
import type { JobPollOptions } from '../../../src/core/jobs/job-types.js';
import { thrown } from '../../helpers/expect-error.js';

const defaults = resolvePollOptions(undefined);
const exact = resolvePollOptions({ jitter: 0 });
const at = (state: Partial<PollState>): PollState => ({ step: 0, channelOpen: false, failures: 0, ...state });

describe('resolvePollOptions', () => {
  it('should fill in the documented defaults', () => {
    expect(defaults).to.deep.equal({
      delays: [1000, 2000, 3000, 5000, 8000, 10_000],
      jitter: 0.2,
      safetyNetDelay: 40_000,
      offlineRecheckDelay: 30_000,
      maxFailures: 8,
    });
  });

  it('should keep the given values', () => {
    const options = { delays: [5], jitter: 0, safetyNetDelay: 7, offlineRecheckDelay: 9, maxFailures: 1 };
    expect(resolvePollOptions(options)).to.deep.equal(options);
  });

  const invalid: [string, unknown][] = [
    ['an empty delays array', { delays: [] }],
    ['a negative delay', { delays: [1000, -1] }],
    ['a delay setTimeout cannot wait', { delays: [2 ** 31] }],
    ['a jitter above 1', { jitter: 1.5 }],
    ['a safety net that is not a number', { safetyNetDelay: '40000' }],
    ['a negative offline re-check delay', { offlineRecheckDelay: -1 }],
    ['maxFailures of 0', { maxFailures: 0 }],
    ['a fractional maxFailures', { maxFailures: 2.5 }],
    ['an unknown option', { delay: [1000] }],
    ['options that are not an object', 5],
  ];
  for (const [name, options] of invalid) {
    it(`should refuse ${name} with invalid-options`, () => {
      const error = thrown(() => resolvePollOptions(options as JobPollOptions));
      expect([error.code, error.phase]).to.deep.equal(['invalid-options', 'options']);
    });
  }

  it('should name the bad field in the message', () => {
    expect(thrown(() => resolvePollOptions({ jitter: 2 })).message).to.contain('jitter must be between 0 and 1');
  });
});

describe('nextPollDelay', () => {
  it('should walk the delays and repeat the last one', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 7].map((step) => nextPollDelay(exact, at({ step })));
    expect(delays).to.deep.equal([1000, 2000, 3000, 5000, 8000, 10_000, 10_000, 10_000]);
  });

  it('should spread each delay by at most the jitter', () => {
    const low = nextPollDelay(defaults, at({ step: 5 }), () => 0);
    const high = nextPollDelay(defaults, at({ step: 5 }), () => 0.999_999);
    const middle = nextPollDelay(defaults, at({ step: 5 }), () => 0.5);
    expect([low, middle, high]).to.deep.equal([8000, 10_000, 12_000]);
  });

  it('should stay within the jitter bounds for any random number', () => {
    for (let i = 0; i <= 100; i += 1) {
      const delay = nextPollDelay(defaults, at({ step: 1 }), () => i / 101);
      expect(delay).to.be.within(1600, 2400);
    }
  });

  it('should wait the safety net while a callback channel is open', () => {
    expect(nextPollDelay(exact, at({ step: 0, channelOpen: true }))).to.equal(40_000);
  });

  it('should double the delay for each failure in a row', () => {
    const delays = [1, 2, 3].map((failures) => nextPollDelay(exact, at({ step: 2, failures })));
    expect(delays).to.deep.equal([6000, 12_000, 24_000]);
  });

  it('should wait the offline re-check delay while the page says it is offline, channel open or not', () => {
    expect([
      nextPollDelay(exact, at({ step: 0, offline: true })),
      nextPollDelay(exact, at({ channelOpen: true, offline: true })),
    ]).to.deep.equal([30_000, 30_000]);
  });

  it('should cap the error backoff', () => {
    expect(nextPollDelay(exact, at({ step: 5, failures: 20 }))).to.equal(MAX_ERROR_BACKOFF);
  });

  it('should not shorten a delay longer than the backoff cap', () => {
    const slow = resolvePollOptions({ jitter: 0, safetyNetDelay: 90_000 });
    expect(nextPollDelay(slow, at({ channelOpen: true, failures: 3 }))).to.equal(90_000);
  });

  it('should wait at least the Retry-After, without jitter', () => {
    expect(nextPollDelay(defaults, at({ step: 0, failures: 1, retryAfterMs: 7000 }), () => 0.999)).to.equal(7000);
  });

  it('should keep a longer delay than the Retry-After', () => {
    expect(nextPollDelay(exact, at({ step: 5, failures: 1, retryAfterMs: 3000 }))).to.equal(20_000);
  });

  it('should start with the first delay', () => {
    expect(nextPollDelay(exact, at({}))).to.equal(DEFAULT_POLL_DELAYS[0]);
  });
});
