import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ObjectMetadata, ObjectStore, StoredObject } from '../env.js';
import { TEMP_SUBFOLDER } from './data-dir.js';
import { readJsonFile } from './json-file.js';

/** Largest sidecar read back: an object's metadata and stored headers take a few kilobytes. */
const MAX_SIDECAR = 256 * 1024;

interface Sidecar extends Omit<StoredObject, 'file'> {
  version: 1;
  /** The name of the version's data file in the sidecar's folder; `<sha1>.data` when absent (older folders). */
  dataFile?: string;
}

/**
 * Objects as files under `<dataDir>/objects/<bucket>/`, named by the SHA-1 of their key (so that any key, `../`
 * or 1,000 characters long, maps to a safe name), each with a JSON sidecar holding its metadata. An index in memory
 * is rebuilt from the sidecars on start, so a data folder survives restarts.
 *
 * Each version of an object has its own data file (`<sha1>.<random>.data`), deleted once a newer version or a
 * delete has replaced it in the index: a reader that opens the file a {@link head} named gets exactly that
 * version's bytes, or `ENOENT` when it is gone. Commits and deletes of one key run one at a time, so the index,
 * the sidecar and the data file always describe the same version.
 */
export class DiskObjectStore implements ObjectStore {
  readonly #index = new Map<string, StoredObject>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #objects: string;
  readonly #temp: string;
  readonly #now: () => number;

  /** @param now The time objects are stamped `lastModified` with (the emulator's clock). */
  constructor(dataDir: string, now: () => number = Date.now) {
    this.#objects = join(dataDir, 'objects');
    this.#temp = join(dataDir, TEMP_SUBFOLDER);
    this.#now = now;
  }

  /** Creates the folders and loads the metadata of objects already stored. */
  async init(): Promise<void> {
    await mkdir(this.#objects, { recursive: true });
    await rm(this.#temp, { recursive: true, force: true });
    await mkdir(this.#temp, { recursive: true });
    for (const entry of await readdir(this.#objects, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.json')) continue;
      const path = join(entry.parentPath, entry.name);
      try {
        const sidecar = (await readJsonFile(path, MAX_SIDECAR)) as Sidecar | undefined;
        if (sidecar?.version !== 1 || typeof sidecar.bucket !== 'string' || typeof sidecar.key !== 'string') continue;
        const { version: _version, dataFile, ...object } = sidecar;
        const file =
          dataFile === undefined ? path.replace(/\.json$/, '.data') : join(entry.parentPath, basename(dataFile));
        this.#index.set(this.#id(object.bucket, object.key), { ...object, file });
      } catch {
        // A sidecar that is not one: the object was never committed.
      }
    }
  }

  #id = (bucket: string, key: string) => `${bucket}\n${key}`;

  #paths(bucket: string, key: string): { data: string; meta: string; dir: string } {
    const digest = createHash('sha1').update(key).digest('hex');
    const dir = join(this.#objects, bucket, digest.slice(0, 2));
    const version = randomBytes(6).toString('hex');
    return { dir, data: join(dir, `${digest}.${version}.data`), meta: join(dir, `${digest}.json`) };
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
    return object && { ...object, headers: { ...object.headers } };
  }

  tempFile(): string {
    return join(this.#temp, randomBytes(12).toString('hex'));
  }

  commit(bucket: string, key: string, file: string, metadata: ObjectMetadata): Promise<StoredObject> {
    const id = this.#id(bucket, key);
    return this.#exclusive(id, async () => {
      const { dir, data, meta } = this.#paths(bucket, key);
      await mkdir(dir, { recursive: true });
      const object: StoredObject = {
        bucket,
        key,
        size: metadata.size,
        etag: metadata.etag,
        crc64: metadata.crc64,
        contentType: metadata.contentType,
        headers: { ...metadata.headers },
        lastModified: this.#now(),
        file: data,
      };
      const { file: _file, ...rest } = object;
      const sidecar: Sidecar = { version: 1, ...rest, dataFile: basename(data) };
      const metaTemp = this.tempFile();
      await writeFile(metaTemp, JSON.stringify(sidecar));
      await rename(file, data);
      await rename(metaTemp, meta);
      const previous = this.#index.get(id);
      this.#index.set(id, object);
      if (previous) await rm(previous.file, { force: true });
      return { ...object, headers: { ...object.headers } };
    });
  }

  delete(bucket: string, key: string): Promise<boolean> {
    const id = this.#id(bucket, key);
    return this.#exclusive(id, async () => {
      const object = this.#index.get(id);
      if (!object) return false;
      this.#index.delete(id);
      await rm(this.#paths(bucket, key).meta, { force: true });
      await rm(object.file, { force: true });
      return true;
    });
  }

  async list(bucket: string, prefix = ''): Promise<StoredObject[]> {
    return [...this.#index.values()]
      .filter((object) => object.bucket === bucket && object.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((object) => ({ ...object, headers: { ...object.headers } }));
  }
}
