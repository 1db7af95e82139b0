/**
 * Watches the abort listeners added to `signal`, by wrapping its `addEventListener` / `removeEventListener`.
 * `listeners` counts those still registered: a `once` listener added before the signal aborted is gone once it
 * fired.
 */
export function watchAbortListeners(signal: AbortSignal): { readonly listeners: number } {
  const live = new Map<unknown, { once: boolean; beforeAbort: boolean }>();
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ) => {
    if (type === 'abort' && listener) {
      const once = typeof options === 'object' && options.once === true;
      live.set(listener, { once, beforeAbort: !signal.aborted });
    }
    add(type, listener, options);
  }) as AbortSignal['addEventListener'];
  signal.removeEventListener = ((
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | EventListenerOptions,
  ) => {
    if (type === 'abort') live.delete(listener);
    remove(type, listener, options);
  }) as AbortSignal['removeEventListener'];
  return {
    get listeners() {
      return [...live.values()].filter((entry) => !(signal.aborted && entry.once && entry.beforeAbort)).length;
    },
  };
}

/**
 * Replaces the global `setTimeout` / `clearTimeout` until `restore()`, to count the timers started meanwhile that
 * have neither fired nor been cleared.
 */
export function watchTimers(): { readonly pending: number; restore(): void } {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const pending = new Set<unknown>();
  globalThis.setTimeout = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const id = realSet(() => {
      pending.delete(id);
      handler(...args);
    }, ms);
    pending.add(id);
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id: Parameters<typeof clearTimeout>[0]) => {
    pending.delete(id);
    realClear(id);
  }) as typeof clearTimeout;
  return {
    get pending() {
      return pending.size;
    },
    restore() {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    },
  };
}

/** Lets pending promise callbacks and zero-delay tasks run. */
export const settleTasks = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
