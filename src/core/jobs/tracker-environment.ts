import type { TrackerEnvironment, TrackerTimers } from './job-types.js';

/** The smallest part of an event target this module uses (`document`, `window`). */
interface Listenable {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

const isListenable = (value: unknown): value is Listenable =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Listenable).addEventListener === 'function' &&
  typeof (value as Listenable).removeEventListener === 'function';

/** Adds `listener` for `type` on `target` when there is one; returns the function that removes it. */
function listen(target: unknown, type: string, listener: () => void): () => void {
  if (!isListenable(target)) return () => {};
  target.addEventListener(type, listener);
  return () => target.removeEventListener(type, listener);
}

/**
 * The page a job tracker runs in: hidden when `document.hidden`, online unless `navigator.onLine` is `false`, with
 * `visibilitychange` on `document` and `online` on `window`, and `globalThis.EventSource`. Where there is no
 * `document`, `window` or `navigator.onLine` (Node, a worker), the page is never hidden, always online, and those
 * events never come.
 *
 * @example
 * ```ts
 * const environment = defaultTrackerEnvironment();
 * if (!environment.isHidden()) poll();
 * ```
 */
export function defaultTrackerEnvironment(): TrackerEnvironment {
  const doc: unknown = typeof document === 'undefined' ? undefined : document;
  const win: unknown = typeof window === 'undefined' ? undefined : window;
  const Source = (globalThis as { EventSource?: TrackerEnvironment['EventSource'] }).EventSource;
  const nav = (globalThis as { navigator?: { onLine?: unknown } }).navigator;
  return {
    isHidden: () => (doc as { hidden?: unknown } | undefined)?.hidden === true,
    // Only a definite `false` counts: `onLine` is true on any network, and absent where nothing tells.
    isOnline: () => nav?.onLine !== false,
    onVisibilityChange: (listener) => listen(doc, 'visibilitychange', listener),
    onOnline: (listener) => listen(win, 'online', listener),
    ...(typeof Source === 'function' ? { EventSource: Source } : {}),
  };
}

/**
 * `globalThis.setTimeout` and `clearTimeout`, looked up at each call (so that test doubles installed later are
 * used).
 */
export function defaultTrackerTimers(): TrackerTimers {
  return {
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}
