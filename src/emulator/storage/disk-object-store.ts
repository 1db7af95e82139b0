import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectMetadata, ObjectStore, StoredObject } from '../env.js';

interface Sidecar extends Omit<StoredObject, 'file'> {
  version: 1;
}

/**
 * Objects as files under `<dataDir>/objects/<bucket>/`, named by the SHA-1 of their key (so that any key, `../`
 * or 1,000 characters long, maps to a safe name), each with a JSON sidecar holding its metadata. An index in memory
 * is rebuilt from the sidecars on start, so a data folder survives restarts.
 */
export class DiskObjectStore implements ObjectStore {
  readonly #index = new Map<string, StoredObject>();
  readonly #objects: string;
  readonly #temp: string;

  constructor(dataDir: string) {
    this.#objects = join(dataDir, 'objects');
    this.#temp = join(dataDir, 'tmp');
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
        const sidecar = JSON.parse(await readFile(path, 'utf8')) as Sidecar;
        if (sidecar.version !== 1) continue;
        const { version: _version, ...object } = sidecar;
        this.#index.set(this.#id(object.bucket, object.key), { ...object, file: path.replace(/\.json$/, '.data') });
      } catch {
        // A sidecar cut short by a crash: the object was never committed.
      }
    }
  }

  #id = (bucket: string, key: string) => `${bucket}\n${key}`;

  #paths(bucket: string, key: string): { data: string; meta: string; dir: string } {
    const digest = createHash('sha1').update(key).digest('hex');
    const dir = join(this.#objects, bucket, digest.slice(0, 2));
    return { dir, data: join(dir, `${digest}.data`), meta: join(dir, `${digest}.json`) };
  }

  async head(bucket: string, key: string): Promise<StoredObject | undefined> {
    const object = this.#index.get(this.#id(bucket, key));
    return object && { ...object, headers: { ...object.headers } };
  }

  tempFile(): string {
    return join(this.#temp, randomBytes(12).toString('hex'));
  }

  async commit(bucket: string, key: string, file: string, metadata: ObjectMetadata): Promise<StoredObject> {
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
      lastModified: Date.now(),
      file: data,
    };
    const { file: _file, ...rest } = object;
    const sidecar: Sidecar = { version: 1, ...rest };
    const metaTemp = this.tempFile();
    await writeFile(metaTemp, JSON.stringify(sidecar));
    await rename(file, data);
    await rename(metaTemp, meta);
    this.#index.set(this.#id(bucket, key), object);
    return { ...object, headers: { ...object.headers } };
  }

  async delete(bucket: string, key: string): Promise<boolean> {
    const id = this.#id(bucket, key);
    if (!this.#index.has(id)) return false;
    this.#index.delete(id);
    const { data, meta } = this.#paths(bucket, key);
    await rm(meta, { force: true });
    await rm(data, { force: true });
    return true;
  }

  async list(bucket: string, prefix = ''): Promise<StoredObject[]> {
    return [...this.#index.values()]
      .filter((object) => object.bucket === bucket && object.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((object) => ({ ...object, headers: { ...object.headers } }));
  }
}
