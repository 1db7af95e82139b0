import { createCrc64Hasher, type Crc64Hasher } from '../../src/core/upload/crc64-hasher.js';

/**
 * `createCrc64Hasher` for a test file: every hasher it makes is closed after each test (registers a mocha
 * `afterEach`; call once at the top of the file).
 */
export function trackHashers(): (...args: Parameters<typeof createCrc64Hasher>) => Crc64Hasher {
  let hashers: Crc64Hasher[] = [];
  afterEach(() => {
    for (const hasher of hashers) hasher.close();
    hashers = [];
  });
  return (...args) => {
    const hasher = createCrc64Hasher(...args);
    hashers.push(hasher);
    return hasher;
  };
}

/**
 * Runs `body` counting the calls of the JavaScript `Crc64.prototype.update` (the fallback the WebAssembly CRC
 * replaces) on this thread; resolves with the count.
 */
export async function countJsCrcUpdates(
  Crc64: { prototype: { update(bytes: Uint8Array): unknown } },
  body: () => Promise<void>,
): Promise<number> {
  const update = Crc64.prototype.update;
  let calls = 0;
  Crc64.prototype.update = function (this: unknown, bytes: Uint8Array) {
    calls += 1;
    return update.call(this, bytes);
  };
  try {
    await body();
  } finally {
    Crc64.prototype.update = update;
  }
  return calls;
}
