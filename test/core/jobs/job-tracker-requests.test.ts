import { expect } from 'chai';
import { simulateJob } from '../../helpers/job-simulation.js';

// Issue 5's targets for a 60-second job: at most 15 requests with polling only, at most 3 with callbacks relayed
// (also when the event stream drops for 2 s, the browser's reconnection delay the example relay asks for, and the
// tracker polls at the reconnection). Each count is the submission plus the polls; jitter is pinned to its
// shortest, middle and longest draw.
const JITTER_DRAWS: [string, () => number][] = [
  ['shortest', () => 0],
  ['unjittered', () => 0.5],
  ['longest', () => 0.999_999],
];

describe('JobTracker requests for a 60-second job (virtual time)', () => {
  for (const [name, random] of JITTER_DRAWS) {
    it(`should send at most 15 requests with polling only (${name} delays)`, async () => {
      const { requests, final, endedAt } = await simulateJob({ duration: 60_000, random });
      expect(final.status).to.equal('Success');
      expect(endedAt).to.be.within(60_000, 72_000);
      expect(requests).to.be.at.most(15);
    });

    it(`should send at most 3 requests with callbacks relayed (${name} delays)`, async () => {
      const simulated = await simulateJob({ duration: 60_000, relay: 'subscribe', random });
      const { requests, final, endedAt, callbacks } = simulated;
      expect([final.status, final.source, endedAt, callbacks]).to.deep.equal(['Success', 'callback', 60_000, 1]);
      expect(requests).to.be.at.most(3);
    });

    it(`should send at most 3 requests with an event stream that reconnects once (${name} delays)`, async () => {
      const simulated = await simulateJob({ relay: 'eventSource', outage: { at: 30_000, ms: 2000 }, random });
      const { requests, final, endedAt, callbacks } = simulated;
      expect([final.status, final.source, endedAt, callbacks]).to.deep.equal(['Success', 'callback', 60_000, 1]);
      expect(requests).to.be.at.most(3);
    });
  }

  it('should poll at 1, 3, 6, 11, 19, 29, 39, 49, 59 and 69 s without jitter', async () => {
    const { pollTimes, requests } = await simulateJob({ duration: 60_000 });
    expect(pollTimes).to.deep.equal([1000, 3000, 6000, 11_000, 19_000, 29_000, 39_000, 49_000, 59_000, 69_000]);
    expect(requests).to.equal(11);
  });

  it('should poll once, at the 40 s safety net, while callbacks are relayed', async () => {
    const { pollTimes, requests } = await simulateJob({ duration: 60_000, relay: 'subscribe' });
    expect([pollTimes, requests]).to.deep.equal([[40_000], 2]);
  });

  it('should poll during an outage of the event stream and once more when it reconnects', async () => {
    const { pollTimes, requests } = await simulateJob({ relay: 'eventSource', outage: { at: 30_000, ms: 2000 } });
    expect([pollTimes, requests]).to.deep.equal([[31_000, 32_000], 3]);
  });

  it('should report each state change once, in order', async () => {
    const { snapshots } = await simulateJob({ duration: 60_000 });
    const states = snapshots.map((snapshot) => snapshot.status).filter((state, i, all) => state !== all[i - 1]);
    const progress = snapshots.map((snapshot) => snapshot.progress.percent);
    expect(states).to.deep.equal(['Submitted', 'Running', 'Success']);
    expect(progress).to.deep.equal([...progress].sort((a, b) => a - b));
    expect(new Set(progress).size).to.equal(progress.length);
  });
});
