// Runs in Node (the in-realm queue: Node has no `navigator.locks`) and in Chromium (Web Locks), with the same
// expectations.
import { expect } from 'chai';
import { tryCrossTabLock, withCrossTabLock } from '../../../src/core/storage/cross-tab-lock.js';

const tick = (ms = 0) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A task that records when it starts and ends, and holds the lock until the test lets it go. */
function heldTask(log: string[], name: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let waited: boolean | undefined;
  const task = async (lock?: { waited: boolean }) => {
    waited = lock?.waited;
    log.push(`start ${name}`);
    await released;
    log.push(`end ${name}`);
    return name;
  };
  return { task, release, waited: () => waited };
}

/** Waits until `condition()` holds (Web Locks answer through the browser process: a first request takes a while). */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 2000) throw new Error('timed out');
    await tick(5);
  }
}

const unique = () => `test-${Math.random().toString(36).slice(2)}`;

describe('withCrossTabLock', () => {
  it('should run the holders of one name one at a time, in order, telling the later ones they waited', async () => {
    const name = unique();
    const log: string[] = [];
    const a = heldTask(log, 'a');
    const b = heldTask(log, 'b');
    let waits = 0;
    const first = withCrossTabLock(name, a.task);
    await until(() => log.includes('start a'));
    const second = withCrossTabLock(name, b.task, { onWait: () => (waits += 1) });
    await tick(20);
    expect(log).to.deep.equal(['start a']);
    expect(waits).to.equal(1);
    a.release();
    expect(await first).to.equal('a');
    await tick(10);
    b.release();
    expect(await second).to.equal('b');
    expect(log).to.deep.equal(['start a', 'end a', 'start b', 'end b']);
    expect([a.waited(), b.waited()]).to.deep.equal([false, true]);
  });

  it('should run holders of different names at once', async () => {
    const log: string[] = [];
    const a = heldTask(log, 'a');
    const b = heldTask(log, 'b');
    const both = Promise.all([withCrossTabLock(unique(), a.task), withCrossTabLock(unique(), b.task)]);
    await until(() => log.length === 2);
    expect(log).to.deep.equal(['start a', 'start b']);
    a.release();
    b.release();
    expect(await both).to.deep.equal(['a', 'b']);
  });

  it('should stop waiting when the signal aborts, with its reason, and never run the task', async () => {
    const name = unique();
    const log: string[] = [];
    const a = heldTask(log, 'a');
    const first = withCrossTabLock(name, a.task);
    await until(() => log.includes('start a'));
    const controller = new AbortController();
    let ran = false;
    const second = withCrossTabLock(
      name,
      async () => {
        ran = true;
      },
      controller.signal,
    ).catch((error: unknown) => error);
    await tick(10);
    const reason = new DOMException('Paused', 'AbortError');
    controller.abort(reason);
    expect(await second).to.equal(reason);
    a.release();
    await first;
    await tick(10);
    expect(ran).to.equal(false);
  });

  it('should keep later holders waiting for the holder when one before them gave up', async () => {
    const name = unique();
    const log: string[] = [];
    const a = heldTask(log, 'a');
    const c = heldTask(log, 'c');
    const first = withCrossTabLock(name, a.task);
    await until(() => log.includes('start a'));
    const controller = new AbortController();
    const gaveUp = withCrossTabLock(name, async () => log.push('b'), controller.signal).catch(() => 'gave up');
    await tick(10);
    controller.abort();
    expect(await gaveUp).to.equal('gave up');
    const third = withCrossTabLock(name, c.task);
    await tick(20);
    expect(log, 'c must not run while a holds the lock').to.deep.equal(['start a']);
    a.release();
    await first;
    await tick(10);
    c.release();
    expect(await third).to.equal('c');
    expect(log).to.deep.equal(['start a', 'end a', 'start c', 'end c']);
  });

  it('should reject at once with an aborted signal, and let the next holder in after a task that threw', async () => {
    const name = unique();
    const reason = new Error('no');
    const aborted = await withCrossTabLock(name, async () => 'ran', AbortSignal.abort(reason)).catch((error: unknown) => error);
    expect(aborted).to.equal(reason);
    const thrown = await withCrossTabLock(name, async () => {
      throw new Error('task failed');
    }).catch((error: unknown) => (error as Error).message);
    expect(thrown).to.equal('task failed');
    expect(await withCrossTabLock(name, async ({ waited }) => waited)).to.equal(false);
  });
});

describe('tryCrossTabLock', () => {
  it('should run the task only while nobody holds the lock', async () => {
    const name = unique();
    const log: string[] = [];
    const a = heldTask(log, 'a');
    const first = withCrossTabLock(name, a.task);
    await until(() => log.includes('start a'));
    let ran = false;
    expect(
      await tryCrossTabLock(name, async () => {
        ran = true;
      }),
    ).to.deep.equal({ acquired: false });
    expect(ran).to.equal(false);
    a.release();
    await first;
    expect(await tryCrossTabLock(name, async () => 42)).to.deep.equal({ acquired: true, value: 42 });
  });
});
