/**
 * One holder at a time for a named piece of work, across the tabs and frames of an origin: the Web Locks API
 * (`navigator.locks`) where the realm has it, else a queue within this realm (Node, older browsers, opaque origins).
 *
 * @module
 */

interface LockManagerLike {
  request<T>(name: string, options: { signal?: AbortSignal; ifAvailable?: boolean }, task: (lock: unknown) => Promise<T> | T): Promise<T>;
}

/** Prefix of every lock name this package takes, so that a page's own locks never collide with ours. */
export const LOCK_PREFIX = 'cos-transcoder:';

/** What the task learns about the lock it holds. */
export interface HeldLock {
  /** Whether another holder had the lock when it was asked for (the task then runs after that holder's work). */
  readonly waited: boolean;
}

/** Options of {@link withCrossTabLock}. */
export interface CrossTabLockOptions {
  /** Gives up waiting for the lock (rejecting with its reason); once the task runs it is the task's to honour. */
  signal?: AbortSignal;
  /** Called once, when the lock is held by someone else and the call starts waiting for it. */
  onWait?: () => void;
}

/** Queues of the in-realm fallback: the promise each name's last holder settles. */
const local = new Map<string, Promise<void>>();

/** Returned by a lock request made with `ifAvailable` that did not get the lock. */
const UNAVAILABLE = Symbol('unavailable');

function lockManager(): LockManagerLike | undefined {
  const locks = (globalThis as { navigator?: { locks?: unknown } }).navigator?.locks;
  return typeof (locks as LockManagerLike | undefined)?.request === 'function' ? (locks as LockManagerLike) : undefined;
}

/** An `AbortSignal`, of this realm or another (a frame's). */
const isSignal = (value: unknown): value is AbortSignal =>
  typeof (value as AbortSignal | undefined)?.throwIfAborted === 'function';

const isSecurityError = (error: unknown): boolean => (error as { name?: unknown } | null)?.name === 'SecurityError';

/**
 * Runs `task` while holding the lock `name` (prefixed with {@link LOCK_PREFIX}), and returns what it returns. Other
 * holders of the same name, in this tab or another of the same origin, wait their turn; the task is told whether
 * it had to wait. `options` (or an `AbortSignal`) gives up waiting, rejecting with the signal's reason. A lock
 * manager that refuses to work (a `SecurityError` in a sandboxed frame) falls back to the in-realm queue rather
 * than failing the work.
 *
 * @example
 * ```ts
 * await withCrossTabLock(`upload:${recordId}`, async ({ waited }) => (waited ? reread() : start()), { signal });
 * ```
 */
export async function withCrossTabLock<T>(
  name: string,
  task: (lock: HeldLock) => Promise<T>,
  options?: AbortSignal | CrossTabLockOptions,
): Promise<T> {
  const { signal, onWait } = isSignal(options) ? { signal: options, onWait: undefined } : (options ?? {});
  signal?.throwIfAborted();
  const full = `${LOCK_PREFIX}${name}`;
  const manager = lockManager();
  if (manager) {
    let started = false;
    const run = (waited: boolean) => {
      started = true;
      return task({ waited });
    };
    try {
      // First without waiting (a lock request cannot take both `ifAvailable` and `signal`), to learn whether
      // another holder has it.
      const now = await manager.request<T | typeof UNAVAILABLE>(full, { ifAvailable: true }, (lock) => (lock ? run(false) : UNAVAILABLE));
      if (now !== UNAVAILABLE) return now as T;
      onWait?.();
      return await manager.request(full, signal ? { signal } : {}, () => run(true));
    } catch (error) {
      if (started || signal?.aborted || !isSecurityError(error)) throw error;
    }
  }
  return withLocalLock(full, task, signal, onWait);
}

/**
 * Runs `task` only if the lock `name` is free now, holding it meanwhile: `{ acquired: true, value }`, or
 * `{ acquired: false }` without running it when another holder has it (or someone waits for it in this realm).
 */
export async function tryCrossTabLock<T>(
  name: string,
  task: () => Promise<T>,
): Promise<{ acquired: true; value: T } | { acquired: false }> {
  const full = `${LOCK_PREFIX}${name}`;
  const manager = lockManager();
  if (manager) {
    let started = false;
    try {
      const value = await manager.request<T | typeof UNAVAILABLE>(full, { ifAvailable: true }, (lock) => {
        if (!lock) return UNAVAILABLE;
        started = true;
        return task();
      });
      return value === UNAVAILABLE ? { acquired: false } : { acquired: true, value: value as T };
    } catch (error) {
      if (started || !isSecurityError(error)) throw error;
    }
  }
  if (local.has(full)) return { acquired: false };
  return { acquired: true, value: await withLocalLock(full, task) };
}

async function withLocalLock<T>(
  name: string,
  task: (lock: HeldLock) => Promise<T>,
  signal?: AbortSignal,
  onWait?: () => void,
): Promise<T> {
  const previous = local.get(name);
  let release!: () => void;
  const mine = new Promise<void>((done) => (release = done));
  // The queue's tail settles once every holder before it and this one are done, even if this one gave up waiting:
  // only then may the name leave the map (a caller finding no entry runs at once).
  const tail = previous ? previous.then(() => mine) : mine;
  local.set(name, tail);
  void tail.then(() => {
    if (local.get(name) === tail) local.delete(name);
  });
  try {
    if (previous) {
      onWait?.();
      await waitFor(previous, signal);
    }
    return await task({ waited: previous !== undefined });
  } finally {
    release();
  }
}

function waitFor(previous: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return previous;
  return new Promise((done, fail) => {
    const abort = (): void => fail(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    void previous.then(() => {
      signal.removeEventListener('abort', abort);
      if (signal.aborted) fail(signal.reason);
      else done();
    });
  });
}
