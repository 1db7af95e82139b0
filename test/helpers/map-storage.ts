// Web Storage fakes for the record store tests (resume records, job records), usable in Node and in browsers.

/**
 * Web Storage in a Map, in insertion order like browsers, with an optional quota (in UTF-16 code units of keys and
 * values) and a hook that can make any call throw.
 */
export class MapStorage implements Storage {
  [name: string]: any;
  readonly items = new Map<string, string>();
  readonly calls: string[] = [];
  quota = Infinity;
  failure: ((method: string) => Error | undefined) | undefined;

  get length(): number {
    this.check('length');
    return this.items.size;
  }
  key(index: number): string | null {
    this.check('key');
    return [...this.items.keys()][index] ?? null;
  }
  getItem(key: string): string | null {
    this.check('getItem');
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.check('setItem');
    const used = [...this.items].reduce((sum, [k, v]) => sum + (k === key ? 0 : k.length + v.length), 0);
    if (used + key.length + value.length > this.quota) {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    }
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.check('removeItem');
    this.items.delete(key);
  }
  clear(): void {
    this.check('clear');
    this.items.clear();
  }
  private check(method: string): void {
    this.calls.push(method);
    const error = this.failure?.(method);
    if (error) throw error;
  }
}

/** Runs `action` with `globalThis.localStorage` replaced by `descriptor`, restoring it afterwards. */
export function withLocalStorage<T>(descriptor: PropertyDescriptor, action: () => T): T {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
  Object.defineProperty(globalThis, 'localStorage', { configurable: true, ...descriptor });
  try {
    return action();
  } finally {
    if (saved) Object.defineProperty(globalThis, 'localStorage', saved);
    else delete (globalThis as { localStorage?: unknown }).localStorage;
  }
}
