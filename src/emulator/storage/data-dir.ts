import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The subfolder of a user's `--data-dir` that the emulator owns; it never touches anything beside it. */
export const DATA_SUBFOLDER = 'cos-emulator';

/** The file marking {@link DATA_SUBFOLDER} as the emulator's own. */
export const DATA_MARKER = '.cos-emulator.json';

const MARKER_FORMAT = 'cos-transcoder-emulator-data';

/** A data folder refused at start: the message says why and what to do. */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

/** The emulator's data folder, ready to use. */
export interface DataDir {
  /** The folder the emulator owns and keeps every file in (objects, parts, jobs, temporary files). */
  readonly path: string;
  /** Removes what the emulator created for itself: a temporary folder is deleted; a user's folder is kept. */
  dispose(): Promise<void>;
}

/**
 * Opens the emulator's data folder. Without `userDir`, a fresh temporary folder that `dispose()` deletes. With one,
 * the subfolder `<userDir>/cos-emulator/`: created and marked on first use; reused when it carries the marker; refused
 * (a {@link DataDirError}) when a folder of that name exists without it, since that folder is not the emulator's.
 * Nothing else in `userDir` is read, written or deleted, and `dispose()` keeps everything.
 */
export async function openDataDir(userDir: string | undefined): Promise<DataDir> {
  if (userDir === undefined) {
    const root = await mkdtemp(join(tmpdir(), 'cos-emulator-'));
    const path = join(root, DATA_SUBFOLDER);
    await mkdir(path);
    await writeMarker(path);
    return { path, dispose: () => rm(root, { recursive: true, force: true }) };
  }
  const root = resolve(userDir);
  await mkdir(root, { recursive: true });
  const path = join(root, DATA_SUBFOLDER);
  const marker = await readMarker(path);
  if (marker === 'absent') {
    if (await exists(path)) {
      throw new DataDirError(
        `${path} exists but was not created by the emulator (it has no ${DATA_MARKER}); ` +
          'move it away or choose another --data-dir. The emulator never writes into a folder it does not own.',
      );
    }
    await mkdir(path);
    await writeMarker(path);
  }
  return { path, dispose: async () => {} };
}

async function exists(path: string): Promise<boolean> {
  try {
    await readdir(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return true;
    throw error;
  }
}

async function readMarker(path: string): Promise<'present' | 'absent'> {
  try {
    const marker = JSON.parse(await readFile(join(path, DATA_MARKER), 'utf8')) as { format?: unknown };
    return marker.format === MARKER_FORMAT ? 'present' : 'absent';
  } catch {
    return 'absent';
  }
}

function writeMarker(path: string): Promise<void> {
  const marker = { format: MARKER_FORMAT, version: 1, id: randomBytes(8).toString('hex'), created: new Date().toISOString() };
  return writeFile(join(path, DATA_MARKER), `${JSON.stringify(marker, null, 2)}\n`, { flag: 'wx' });
}
