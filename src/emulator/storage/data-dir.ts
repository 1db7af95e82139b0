import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, lstat, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The subfolder of a user's `--data-dir` that the emulator owns; it never touches anything beside it. */
export const DATA_SUBFOLDER = 'cos-emulator';

/** The file marking {@link DATA_SUBFOLDER} as the emulator's own. */
export const DATA_MARKER = '.cos-emulator.json';

/** The file a running emulator holds in its data folder, naming its process, so that a second one is refused. */
export const DATA_LOCK = '.lock';

/**
 * The data folder's scratch folder (files being written before they are renamed into place): emptied on start and
 * removed on close.
 */
export const TEMP_SUBFOLDER = 'tmp';

const MARKER_FORMAT = 'cos-transcoder-emulator-data';
/** A marker or lock larger than this is not one the emulator wrote. */
const MAX_SMALL_FILE = 4096;

/** Data folders opened by this process, which a second emulator in the same process must not share. */
const openedHere = new Set<string>();

/** A data folder refused at start: the message says why and what to do. */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

/** The emulator's data folder, ready to use. */
export interface DataDir {
  /** The folder the emulator owns and keeps every file in (objects, parts, jobs, temporary files). */
  readonly path: string;
  /**
   * Removes what the emulator created for the run: a temporary folder is deleted; in a user's folder, only the
   * scratch folder ({@link TEMP_SUBFOLDER}) and the lock go, the data stays.
   */
  dispose(): Promise<void>;
}

const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * Opens the emulator's data folder. Without `userDir`, a fresh temporary folder (mode 700) that `dispose()` deletes.
 * With one, the subfolder `<userDir>/cos-emulator/`: created (mode 700) and marked on first use; reused when it is a
 * real folder (not a symbolic link) carrying the marker as a regular file; refused with a {@link DataDirError}
 * otherwise, or when another running emulator holds it. Nothing else in `userDir` is read, written or deleted.
 */
export async function openDataDir(userDir: string | undefined): Promise<DataDir> {
  if (userDir === undefined) {
    const root = await mkdtemp(join(tmpdir(), 'cos-emulator-'));
    const path = join(root, DATA_SUBFOLDER);
    await mkdir(path, { mode: 0o700 });
    await writeMarker(path);
    return { path, dispose: () => rm(root, { recursive: true, force: true }) };
  }
  const root = resolve(userDir);
  try {
    await mkdir(root, { recursive: true });
    if (!(await stat(root)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  } catch (error) {
    throw new DataDirError(`cannot use ${root} as the data folder (${errno(error) ?? (error as Error).message}).`);
  }
  const path = join(root, DATA_SUBFOLDER);
  await claimSubfolder(path);
  try {
    await access(path, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    throw new DataDirError(`${path} is not readable and writable by this user; fix its permissions.`);
  }
  await lock(path);
  let disposed: Promise<void> | undefined;
  return {
    path,
    dispose: () =>
      (disposed ??= (async () => {
        await rm(join(path, TEMP_SUBFOLDER), { recursive: true, force: true });
        await rm(join(path, DATA_LOCK), { force: true });
        openedHere.delete(path);
      })()),
  };
}

/** Creates and marks `path`, or checks that it is the emulator's own: a real folder with the marker. */
async function claimSubfolder(path: string): Promise<void> {
  const entry = await lstat(path).catch((error: unknown) => {
    if (errno(error) === 'ENOENT') return undefined;
    throw error;
  });
  if (entry === undefined) {
    try {
      await mkdir(path, { mode: 0o700 });
    } catch (error) {
      if (errno(error) === 'EEXIST') return claimSubfolder(path);
      throw error;
    }
    await writeMarker(path);
    return;
  }
  const advice = 'move it away or choose another --data-dir. The emulator never writes into a folder it does not own.';
  if (entry.isSymbolicLink()) {
    throw new DataDirError(`${path} is a symbolic link, not a folder the emulator created; ${advice}`);
  }
  if (!entry.isDirectory()) throw new DataDirError(`${path} exists and is not a folder; ${advice}`);
  if (!(await hasMarker(path))) {
    throw new DataDirError(`${path} exists but was not created by the emulator (it has no ${DATA_MARKER}); ${advice}`);
  }
}

/** Reads a small regular file (not a link or a folder, at most {@link MAX_SMALL_FILE} bytes); else `undefined`. */
async function readSmallFile(file: string): Promise<string | undefined> {
  try {
    const entry = await lstat(file);
    if (!entry.isFile() || entry.size > MAX_SMALL_FILE) return undefined;
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function hasMarker(path: string): Promise<boolean> {
  const text = await readSmallFile(join(path, DATA_MARKER));
  try {
    return text !== undefined && (JSON.parse(text) as { format?: unknown } | null)?.format === MARKER_FORMAT;
  } catch {
    return false;
  }
}

function writeMarker(path: string): Promise<void> {
  const id = randomBytes(8).toString('hex');
  const marker = { format: MARKER_FORMAT, version: 1, id, created: new Date().toISOString() };
  return writeFile(join(path, DATA_MARKER), `${JSON.stringify(marker, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
}

/** Whether process `pid` is alive (a process of another user counts as alive). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errno(error) === 'EPERM';
  }
}

/**
 * Takes the folder's lock: a file naming this process, created exclusively. A lock left by a process that is gone
 * (killed) is taken over; one held by a live process, or by another emulator of this process, refuses the start.
 */
async function lock(path: string): Promise<void> {
  const file = join(path, DATA_LOCK);
  const refuse = (who: string) =>
    new DataDirError(
      `${path} is in use by ${who}; stop it or choose another --data-dir` +
        ` (if no emulator is running, delete ${file}).`,
    );
  if (openedHere.has(path)) throw refuse('another emulator in this process');
  // Claimed before the first await: two emulators of this process opening the folder at once would otherwise
  // both find the lock naming this process, each take it for a stale one, and both run.
  openedHere.add(path);
  try {
    await lockFile(path, file, refuse);
  } catch (error) {
    openedHere.delete(path);
    throw error;
  }
}

async function lockFile(path: string, file: string, refuse: (who: string) => DataDirError): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      // Written whole, then linked into place (which fails if the lock exists): another process never reads a
      // lock still being written, which it would take for a stale one and take over.
      const draft = join(path, `${DATA_LOCK}.${process.pid}.${randomBytes(4).toString('hex')}`);
      const content = `${JSON.stringify({ pid: process.pid, started: new Date().toISOString() })}\n`;
      await writeFile(draft, content, { flag: 'wx', mode: 0o600 });
      try {
        await link(draft, file).catch((error: unknown) => {
          // A file system without hard links (FAT, some network shares): create the lock in place.
          if (errno(error) === 'EEXIST') throw error;
          return writeFile(file, content, { flag: 'wx', mode: 0o600 });
        });
      } finally {
        await rm(draft, { force: true });
      }
      return;
    } catch (error) {
      if (errno(error) !== 'EEXIST') throw error;
    }
    const text = await readSmallFile(file);
    let pid: unknown;
    try {
      pid = text === undefined ? undefined : (JSON.parse(text) as { pid?: unknown } | null)?.pid;
    } catch {
      pid = undefined;
    }
    if (typeof pid === 'number' && Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw refuse(`another emulator (process ${pid})`);
    }
    // A stale lock (its process is gone, or it is unreadable): move it aside, and take over only if what was moved
    // is what was read. Two processes finding the same stale lock: the second would otherwise delete the fresh lock
    // the first just took; instead it moves that one back and refuses.
    const aside = join(path, `${DATA_LOCK}.stale.${process.pid}.${randomBytes(4).toString('hex')}`);
    try {
      await rename(file, aside);
    } catch {
      continue; // gone already: another process moved it; try again
    }
    const moved = await readSmallFile(aside);
    if (moved !== text) {
      await link(aside, file).catch(() => undefined);
      await rm(aside, { force: true });
      throw refuse('another emulator starting at the same time');
    }
    await rm(aside, { force: true });
  }
  throw refuse('another emulator starting at the same time');
}
