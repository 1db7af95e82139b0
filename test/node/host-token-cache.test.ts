import { expect } from 'chai';
import { createTokenCache } from '../../demo/host/token-cache.js';

describe('createTokenCache (example host)', () => {
  const setup = (outcomes: Array<number | Error>) => {
    let now = 1_700_000_000;
    const cache = createTokenCache({
      marginSeconds: 300,
      now: () => now,
      fetch: () => {
        const next = outcomes.shift();
        return next instanceof Error ? Promise.reject(next) : Promise.resolve({ expiredTime: now + (next ?? 0), at: now });
      },
    });
    return { cache, advance: (seconds: number) => (now += seconds) };
  };

  it('should share one fetch between callers while it is under way', async () => {
    const { cache } = setup([1800]);
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect([a === b, cache.fetches]).to.deep.equal([true, 1]);
  });

  it('should hand out the token until its lifetime minus the margin, then fetch anew', async () => {
    const { cache, advance } = setup([1800, 1800]);
    const first = await cache.get();
    advance(1499);
    const stillFirst = await cache.get();
    advance(1);
    const second = await cache.get();
    expect([stillFirst === first, second === first, cache.fetches]).to.deep.equal([true, false, 2]);
  });

  it('should not keep a failed fetch', async () => {
    const { cache } = setup([new Error('STS down'), 1800]);
    const failure = await cache.get().catch((error: Error) => error.message);
    const token = await cache.get();
    expect([failure, typeof token.expiredTime, cache.fetches]).to.deep.equal(['STS down', 'number', 2]);
  });
});
