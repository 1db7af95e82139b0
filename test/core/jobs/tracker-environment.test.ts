import { expect } from 'chai';
import { defaultTrackerEnvironment, defaultTrackerTimers } from '../../../src/core/jobs/tracker-environment.js';

const inPage = typeof document !== 'undefined';

describe('defaultTrackerEnvironment', () => {
  it('should say hidden only when document.hidden says so', () => {
    expect(defaultTrackerEnvironment().isHidden()).to.equal(inPage && document.hidden);
  });

  it('should say online as navigator.onLine does, and online where there is no navigator.onLine', () => {
    const onLine = (globalThis as { navigator?: { onLine?: unknown } }).navigator?.onLine;
    expect(defaultTrackerEnvironment().isOnline?.()).to.equal(typeof onLine === 'boolean' ? onLine : true);
  });

  it('should give the EventSource of the platform, if any', () => {
    const platform = (globalThis as { EventSource?: unknown }).EventSource;
    expect(defaultTrackerEnvironment().EventSource).to.equal(platform);
  });

  it('should call the listener at visibilitychange, until stopped', () => {
    let calls = 0;
    const stop = defaultTrackerEnvironment().onVisibilityChange(() => (calls += 1));
    if (inPage) document.dispatchEvent(new Event('visibilitychange'));
    stop();
    if (inPage) document.dispatchEvent(new Event('visibilitychange'));
    expect(calls).to.equal(inPage ? 1 : 0);
  });

  it('should call the listener at online, until stopped', () => {
    let calls = 0;
    const stop = defaultTrackerEnvironment().onOnline(() => (calls += 1));
    if (inPage) window.dispatchEvent(new Event('online'));
    stop();
    if (inPage) window.dispatchEvent(new Event('online'));
    expect(calls).to.equal(inPage ? 1 : 0);
  });
});

describe('defaultTrackerTimers', () => {
  it('should fire a timer and clear another', async () => {
    const timers = defaultTrackerTimers();
    const fired: string[] = [];
    const cleared = timers.setTimeout(() => fired.push('cleared'), 1);
    timers.setTimeout(() => fired.push('kept'), 1);
    timers.clearTimeout(cleared);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).to.deep.equal(['kept']);
  });
});
