import { expect } from 'chai';
import { ProgressMeter } from '../../../src/core/upload/progress.js';

/** A meter over `totalBytes` with a clock the test moves by hand. */
function meterWithClock(totalBytes: number) {
  const clock = { now: 0 };
  const meter = new ProgressMeter(totalBytes, () => clock.now);
  return { meter, clock };
}

describe('ProgressMeter', () => {
  it('should start at 0 of the total', () => {
    const { meter } = meterWithClock(1000);
    expect(meter.snapshot()).to.deep.equal({ percent: 0, transferredBytes: 0, totalBytes: 1000, bytesPerSecond: 0 });
  });

  it('should add up the bytes sent by each part', () => {
    const { meter } = meterWithClock(1000);
    meter.sent(1, 300);
    meter.sent(2, 200);
    meter.sent(1, 400);
    expect(meter.snapshot()).to.include({ transferredBytes: 600, percent: 0.6 });
  });

  it('should not go back when a retry of a part restarts at 0, and catch up once the retry overtakes it', () => {
    const { meter } = meterWithClock(1000);
    const seen: number[] = [];
    for (const sent of [100, 400, 0, 200, 400, 500, 800]) {
      meter.sent(1, sent);
      seen.push(meter.snapshot().transferredBytes);
    }
    expect(seen).to.deep.equal([100, 400, 400, 400, 400, 500, 800]);
  });

  it('should count credited parts in the total but not in the rate', () => {
    const { meter, clock } = meterWithClock(10_000);
    meter.credit(1, 5000);
    clock.now = 1000;
    expect(meter.snapshot()).to.include({ transferredBytes: 5000, bytesPerSecond: 0 });
    meter.sent(2, 100);
    clock.now = 2000;
    meter.sent(2, 1100);
    expect(meter.snapshot()).to.include({ transferredBytes: 6100, bytesPerSecond: 1000 });
  });

  it('should not count a part sent again after being credited', () => {
    const { meter } = meterWithClock(10_000);
    meter.credit(1, 5000);
    meter.sent(1, 3000);
    expect(meter.snapshot().transferredBytes).to.equal(5000);
  });

  it('should measure the rate over the last 3 seconds only', () => {
    const { meter, clock } = meterWithClock(100_000);
    // 1,000 B/s for 3 s, then 10,000 B/s for 3 s.
    for (const [at, sent] of [
      [1000, 1000],
      [2000, 2000],
      [3000, 3000],
      [4000, 13_000],
      [5000, 23_000],
      [6000, 33_000],
    ] as const) {
      clock.now = at;
      meter.sent(1, sent);
    }
    expect(meter.snapshot().bytesPerSecond).to.equal(10_000);
  });

  it('should fall as sending stalls and drop to 0 after the window', () => {
    const { meter, clock } = meterWithClock(100_000);
    meter.sent(1, 1000);
    clock.now = 1000;
    meter.sent(1, 2000);
    expect(meter.snapshot().bytesPerSecond).to.equal(1000);
    clock.now = 2000;
    expect(meter.snapshot().bytesPerSecond).to.equal(500);
    clock.now = 4001;
    expect(meter.snapshot().bytesPerSecond).to.equal(0);
  });

  it('should report no rate from less than 250 ms of samples', () => {
    const { meter, clock } = meterWithClock(100_000);
    meter.sent(1, 1000);
    clock.now = 200;
    meter.sent(1, 50_000);
    expect(meter.snapshot().bytesPerSecond).to.equal(0);
  });

  it('should forget the rate on restartRate but keep the bytes', () => {
    const { meter, clock } = meterWithClock(100_000);
    meter.sent(1, 1000);
    clock.now = 1000;
    meter.sent(1, 2000);
    meter.restartRate();
    expect(meter.snapshot()).to.include({ transferredBytes: 2000, bytesPerSecond: 0 });
  });

  it('should never report more than the total', () => {
    const { meter } = meterWithClock(1000);
    meter.sent(1, 800);
    meter.sent(2, 800);
    expect(meter.snapshot()).to.include({ transferredBytes: 1000, percent: 1 });
  });

  it('should report everything transferred once finished', () => {
    const { meter } = meterWithClock(1000);
    meter.sent(1, 300);
    expect(meter.finished()).to.include({ percent: 1, transferredBytes: 1000, totalBytes: 1000 });
  });

  it('should report an empty file as 0 % while running and 100 % once finished', () => {
    const { meter } = meterWithClock(0);
    expect(meter.snapshot()).to.include({ percent: 0, transferredBytes: 0 });
    expect(meter.finished()).to.include({ percent: 1, transferredBytes: 0, totalBytes: 0 });
  });
});
