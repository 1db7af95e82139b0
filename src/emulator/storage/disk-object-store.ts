import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ObjectMetadata, ObjectStore, StoredObject } from '../env.js';
import { TEMP_SUBFOLDER } from './data-dir.js';
import { readJsonFile } from './json-file.js';
import {
  concatenateSegments,
  linkSegments,
  type ObjectLease,
  type ObjectSegment,
} from './object-segments.js';

/** Largest sidecar read back: an object's metadata, stored headers and up to 10,000 segment sizes. */
const MAX_SIDECAR = 256 * 1024;
/** Bytes per read when copying an object's segments into one file. */
const COPY_CHUNK = 1024 * 1024;
/** Names of the files and folders holding objects' bytes, the only ones a start deletes when no sidecar names them. */
const DATA_NAME = /^[0-9a-f]{40}(\.[0-9a-f]{12})?\.data$/;
const PARTS_NAME = /^[0-9a-f]{40}\.[0-9a-f]{12}\.parts$/;

interface SidecarBase extends Omit<StoredObject, 'file'> {
  /** The name of the version's data file in the sidecar's folder; `<sha1>.data` when absent (older folders). */
  dataFile?: string;
}
/** An object written whole: its bytes are its data file. */
interface WholeSidecar extends SidecarBase {
  version: 1;
}
/**
 * An object made of parts: its bytes are the files `1`, `2`... of the folder `partsDir`, of the sizes `segments`
 * lists; `dataFile` names where their copy in one file goes once a job needs one. Version 2, which older
 * emulators skip rather than serve wrong.
 */
interface SegmentedSidecar extends SidecarBase {
  version: 2;
  partsDir: string;
  segments: number[];
}
type Sidecar = WholeSidecar | SegmentedSidecar;

/** An object in the index, with its segments when it is made of several files. */
interface Entry extends StoredObject {
  partsDir?: string;
  segments?: readonly ObjectSegment[];
}

const copyOf = (entry: Entry): StoredObject => {
  const { partsDir: _dir, segments: _segments, ...object } = entry;
  return { ...object, headers: { ...object.headers } };
};

/** The index entry a sidecar describes, `undefined` when it is not a valid one. */
function entryOf(sidecar: Sidecar | undefined, path: string): Entry | undefined {
  if (!sidecar || typeof sidecar.bucket !== 'string' || typeof sidecar.key !== 'string') return undefined;
  const dir = join(path, '..');
  if (sidecar.version === 1) {
    const { version: _version, dataFile, ...object } = sidecar;
    const file = dataFile === undefined ? path.replace(/\.json$/, '.data') : join(dir, basename(dataFile));
    return { ...object, file };
  }
  if (sidecar.version !== 2) return undefined;
  const { version: _version, dataFile, partsDir, segments: sizes, ...object } = sidecar;
  if (
    typeof dataFile !== 'string' ||
    typeof partsDir !== 'string' ||
    !Array.isArray(sizes) ||
    !sizes.every((size) => Number.isSafeInteger(size) && size >= 0) ||
    sizes.reduce((total, size) => total + size, 0) !== object.size
  ) {
    return undefined;
  }
  const folder = join(dir, basename(partsDir));
  const segments = sizes.map((size, index) => ({ file: join(folder, String(index + 1)), size }));
  return { ...object, file: join(dir, basename(dataFile)), partsDir: folder, segments };
}

/**
 * Objects as files under `<dataDir>/objects/<bucket>/`, named by the SHA-1 of their key (so that any key, `../`
 * or 1,000 characters long, maps to a safe name), each with a JSON sidecar holding its metadata. An index in memory
 * is rebuilt from the sidecars on start, so a data folder survives restarts; files of versions no sidecar names
 * (left by a crash in the middle of a commit) are deleted then.
 *
 * An object written whole has one data file per version (`<sha1>.<random>.data`). A completed multipart upload
 * keeps its parts: they are hard-linked into `<sha1>.<random>.parts/` as `1`, `2`..., so that Complete costs the
 * same for any size, as on COS, and reads run across them; FFmpeg gets a copy in one file, made on first use.
 *
 * A reader holds the version it reads ({@link open}): a version replaced or deleted meanwhile keeps its files
 * until its last reader lets go, so a reader always gets exactly one version's bytes. Commits and deletes of one
 * key run one at a time, so the index, the sidecar and the data files always describe the same version.
 */
export class DiskObjectStore implements ObjectStore {
  readonly #index = new Map<string, Entry>();
  readonly #locks = new Map<string, Promise<unknown>>();
  /** Readers per version (by its `file`), and the versions gone from the index whose files wait for them. */
  readonly #readers = new Map<string, number>();
  readonly #retired = new Map<string, Entry>();
  /** Copies in one file being made, by version. */
  readonly #copies = new Map<string, Promise<void>>();
  readonly #objects: string;
  readonly #temp: string;
  readonly #now: () => number;

  /** @param now The time objects are stamped `lastModified` with (the emulator's clock). */
  constructor(dataDir: string, now: () => number = Date.now) {
    this.#objects = join(dataDir, 'objects');
    this.#temp = join(dataDir, TEMP_SUBFOLDER);
    this.#now = now;
  }

  /** Creates the folders, loads the metadata of objects already stored and deletes the files of none. */
  async init(): Promise<void> {
    await mkdir(this.#objects, { recursive: true });
    await rm(this.#temp, { recursive: true, force: true });
    await mkdir(this.#temp, { recursive: true });
    const entries = await readdir(this.#objects, { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.json')) continue;
      const path = join(entry.parentPath, entry.name);
      const object = entryOf((await readJsonFile(path, MAX_SIDECAR)) as Sidecar | undefined, path);
      if (object) this.#index.set(this.#id(object.bucket, object.key), object);
    }
    const named = new Set<string>();
    for (const object of this.#index.values()) {
      named.add(object.file);
      if (object.partsDir !== undefined) named.add(object.partsDir);
    }
    for (const entry of entries) {
      const path = join(entry.parentPath, entry.name);
      const ours = entry.isDirectory() ? PARTS_NAME.test(entry.name) : entry.isFile() && DATA_NAME.test(entry.name);
      if (ours && !named.has(path)) await rm(path, { recursive: true, force: true });
    }
  }

  #id = (bucket: string, key: string) => `${bucket}\n${key}`;

  #paths(bucket: string, key: string): { data: string; parts: string; meta: string; dir: string } {
    const digest = createHash('sha1').update(key).digest('hex');
    const dir = join(this.#objects, bucket, digest.slice(0, 2));
    const version = randomBytes(6).toString('hex');
    return {
      dir,
      data: join(dir, `${digest}.${version}.data`),
      parts: join(dir, `${digest}.${version}.parts`),
      meta: join(dir, `${digest}.json`),
    };
  }

  /** Runs `task` once every earlier commit or delete of the same key has finished. */
  #exclusive<T>(id: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(id) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.catch(() => undefined);
    this.#locks.set(id, settled);
    void settled.then(() => {
      if (this.#locks.get(id) === settled) this.#locks.delete(id);
    });
    return run;
  }

  async head(bucket: string, key: string): Promise<StoredObject | undefined> {
    const object = this.#index.get(this.#id(bucket, key));
    return object && copyOf(object);
  }

  tempFile(): string {
    return join(this.#temp, randomBytes(12).toString('hex'));
  }

  commit(bucket: string, key: string, file: string, metadata: ObjectMetadata): Promise<StoredObject> {
    return this.#exclusive(this.#id(bucket, key), async () => {
      const { dir, data, meta } = this.#paths(bucket, key);
      await mkdir(dir, { recursive: true });
      const object = this.#entry(bucket, key, metadata, data);
      const sidecar = await this.#writeSidecar(object, { version: 1 });
      await rename(file, data);
      return this.#install(object, sidecar, meta);
    });
  }

  commitSegments(
    bucket: string,
    key: string,
    segments: readonly ObjectSegment[],
    metadata: ObjectMetadata,
  ): Promise<StoredObject> {
    return this.#exclusive(this.#id(bucket, key), async () => {
      const { data, parts, meta } = this.#paths(bucket, key);
      let object: Entry;
      let sidecar: string;
      try {
        const linked = await linkSegments(segments, parts);
        object = { ...this.#entry(bucket, key, metadata, data), partsDir: parts, segments: linked };
        const sizes = segments.map((segment) => segment.size);
        sidecar = await this.#writeSidecar(object, { version: 2, partsDir: basename(parts), segments: sizes });
      } catch (error) {
        await rm(parts, { recursive: true, force: true });
        throw error;
      }
      return this.#install(object, sidecar, meta);
    });
  }

  #entry(bucket: string, key: string, metadata: ObjectMetadata, file: string): Entry {
    const { size, etag, crc64, contentType, headers } = metadata;
    return { bucket, key, size, etag, crc64, contentType, headers: { ...headers }, lastModified: this.#now(), file };
  }

  /** Writes the version's sidecar to a temporary file, for {@link install} to rename into place. */
  async #writeSidecar(
    object: Entry,
    form: Pick<WholeSidecar, 'version'> | Pick<SegmentedSidecar, 'version' | 'partsDir' | 'segments'>,
  ): Promise<string> {
    const { file, partsDir: _dir, segments: _segments, ...rest } = object;
    const temp = this.tempFile();
    await writeFile(temp, JSON.stringify({ ...rest, dataFile: basename(file), ...form }));
    return temp;
  }

  /** Renames the sidecar into place, which commits the version, and retires the previous one. */
  async #install(object: Entry, sidecar: string, meta: string): Promise<StoredObject> {
    await rename(sidecar, meta);
    const id = this.#id(object.bucket, object.key);
    const previous = this.#index.get(id);
    this.#index.set(id, object);
    if (previous) await this.#retire(previous);
    return copyOf(object);
  }

  /** Deletes a version's files now, or once its last reader lets go. */
  async #retire(object: Entry): Promise<void> {
    if ((this.#readers.get(object.file) ?? 0) > 0) {
      this.#retired.set(object.file, object);
      return;
    }
    await this.#removeFiles(object);
  }

  async #removeFiles(object: Entry): Promise<void> {
    await rm(object.file, { force: true });
    if (object.partsDir !== undefined) await rm(object.partsDir, { recursive: true, force: true });
  }

  delete(bucket: string, key: string): Promise<boolean> {
    const id = this.#id(bucket, key);
    return this.#exclusive(id, async () => {
      const object = this.#index.get(id);
      if (!object) return false;
      this.#index.delete(id);
      await rm(this.#paths(bucket, key).meta, { force: true });
      await this.#retire(object);
      return true;
    });
  }

  open(bucket: string, key: string): ObjectLease | undefined {
    const object = this.#index.get(this.#id(bucket, key));
    if (!object) return undefined;
    const version = object.file;
    this.#readers.set(version, (this.#readers.get(version) ?? 0) + 1);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      const left = (this.#readers.get(version) ?? 1) - 1;
      if (left > 0) {
        this.#readers.set(version, left);
        return;
      }
      this.#readers.delete(version);
      const retired = this.#retired.get(version);
      if (!retired) return;
      this.#retired.delete(version);
      this.#removeFiles(retired).catch(() => undefined);
    };
    const segments = object.segments ?? [{ file: object.file, size: object.size }];
    return { object: copyOf(object), segments, release };
  }

  async localFile(bucket: string, key: string): Promise<string | undefined> {
    const lease = this.open(bucket, key);
    if (!lease) return undefined;
    try {
      const { object, segments } = lease;
      const [only] = segments;
      if (segments.length === 1 && only) return only.file;
      let copy = this.#copies.get(object.file);
      if (!copy) {
        copy = this.#copy(object.file, object.size, segments);
        this.#copies.set(object.file, copy);
        void copy.catch(() => undefined).then(() => this.#copies.delete(object.file));
      }
      await copy;
      return object.file;
    } finally {
      lease.release();
    }
  }

  /** Makes `file`, the copy of `segments` in one file, unless an earlier run or request made it. */
  async #copy(file: string, size: number, segments: readonly ObjectSegment[]): Promise<void> {
    const made = await stat(file).catch(() => undefined);
    if (made?.isFile() && made.size === size) return;
    const temp = this.tempFile();
    try {
      await concatenateSegments(segments, temp, COPY_CHUNK);
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async list(bucket: string, prefix = ''): Promise<StoredObject[]> {
    return [...this.#index.values()]
      .filter((object) => object.bucket === bucket && object.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(copyOf);
  }
}
