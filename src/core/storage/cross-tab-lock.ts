/**
 * One holder at a time for a named piece of work, across the tabs and frames of an origin: the Web Locks API
 * (`navigator.locks`) where the realm has it, else a queue within this realm (Node, older browsers, opaque origins).
 *
 * @module
 */

interface LockManagerLike {
  request<T>(name: string, options: { signal?: AbortSignal }, task: () => Promise<T>): Promise<T>;
}

/** Prefix of every lock name this package takes, so that a page's own locks never collide with ours. */
export const LOCK_PREFIX = 'cos-transcoder:';

const local = new Map<string, Promise<unknown>>();

function lockManager(): LockManagerLike | undefined {
  const locks = (globalThis as { navigator?: { locks?: unknown } }).navigator?.locks;
  return typeof (locks as LockManagerLike | undefined)?.request === 'function' ? (locks as LockManagerLike) : undefined;
}

/**
 * Runs `task` while holding the lock `name` (prefixed with {@link LOCK_PREFIX}), and returns what it returns. Other
 * holders of the same name, in this tab or another of the same origin, wait their turn. `signal` gives up waiting
 * (rejecting with its reason); once `task` runs it is the task's to honour. A lock manager that refuses to work (a
 * `SecurityError` in a sandboxed frame) falls back to the in-realm queue rather than failing the work.
 */
export async function withCrossTabLock<T>(name: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  signal?.throwIfAborted();
  const full = `${LOCK_PREFIX}${name}`;
  const manager = lockManager();
  if (manager) {
    let started = false;
    try {
      return await manager.request(full, signal ? { signal } : {}, () => {
        started = true;
        return task();
      });
    } catch (error) {
      if (started || signal?.aborted || (error as { name?: unknown })?.name !== 'SecurityError') throw error;
    }
  }
  return withLocalLock(full, task, signal);
}

async function withLocalLock<T>(name: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const previous = local.get(name) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((done) => (release = done));
  const tail = previous.then(() => mine);
  local.set(name, tail);
  try {
    await waitFor(previous, signal);
    return await task();
  } finally {
    release();
    if (local.get(name) === tail) local.delete(name);
  }
}

function waitFor(previous: Promise<unknown>, signal?: AbortSignal): Promise<void> {
  if (!signal) return previous.then(() => undefined);
  return new Promise((done, fail) => {
    const abort = (): void => fail(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    previous.then(() => {
      signal.removeEventListener('abort', abort);
      if (signal.aborted) fail(signal.reason);
      else done();
    });
  });
}
