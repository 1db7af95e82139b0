import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes `value` as JSON to `file` atomically: to a fresh file in `tempDir` (the data folder's scratch folder, on
 * the same file system), then renamed over `file`. A reader, or a restart after a crash, sees the old content or
 * the new one, never half of it.
 */
export async function writeJsonAtomic(file: string, value: unknown, tempDir: string): Promise<void> {
  const temp = join(tempDir, `json-${randomBytes(9).toString('hex')}`);
  try {
    await writeFile(temp, JSON.stringify(value), { flag: 'wx', mode: 0o600 });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Reads and parses a JSON file of at most `maxBytes`; `undefined` when it is missing, larger, a link, not a
 * regular file or not JSON (a file cut short or written by something else is skipped, never a crash).
 */
export async function readJsonFile(file: string, maxBytes: number): Promise<unknown> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    const info = await handle.stat();
    if (!info.isFile() || info.size > maxBytes) return undefined;
    const buffer = Buffer.alloc(info.size);
    const { bytesRead } = await handle.read(buffer, 0, info.size, 0);
    return JSON.parse(buffer.subarray(0, bytesRead).toString('utf8')) as unknown;
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** `value` as a plain object, or `undefined`. */
export const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
