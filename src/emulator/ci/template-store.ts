import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_SUBFOLDER } from '../storage/data-dir.js';
import { asRecord, readJsonFile, writeJsonAtomic } from '../storage/json-file.js';
import { templateFromEntry, type TemplateSpec } from './template-request.js';
import type { TemplateRegistry } from './templates.js';

/** Most templates one bucket may create (emulator choice: the service documents no number). */
export const MAX_TEMPLATES_PER_BUCKET = 1000;
/** Largest template file read back: a template is a few hundred bytes. */
const MAX_TEMPLATE_FILE = 64 * 1024;
const FORMAT_VERSION = 1;

/** A template created with `POST /template`: what it is, whose, and when it was created and last updated. */
export interface CreatedTemplate {
  readonly spec: TemplateSpec;
  readonly bucket: string;
  readonly createTime: number;
  updateTime: number;
}

/** A new template id: `t1` + 32 random hex digits, the service's format. */
export const newTemplateId = (): string => `t1${randomBytes(16).toString('hex')}`;

/**
 * The templates created with the CI template API. Each lives in the registry jobs resolve ids against (so a job may
 * use it as soon as it is created) and in `<dataDir>/templates/<id>.json` (so a restart on the same data folder
 * finds it), written atomically. Files that do not hold a template the emulator wrote are skipped and deleted.
 */
export class TemplateStore {
  readonly #dir: string;
  readonly #temp: string;
  readonly #registry: TemplateRegistry;
  readonly #created = new Map<string, CreatedTemplate>();
  #writes: Promise<void> = Promise.resolve();
  #failures = 0;

  constructor(dataDir: string, registry: TemplateRegistry) {
    this.#dir = join(dataDir, 'templates');
    this.#temp = join(dataDir, TEMP_SUBFOLDER);
    this.#registry = registry;
  }

  /** Reads the templates of earlier runs into the registry, oldest first. */
  async load(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const found: CreatedTemplate[] = [];
    for (const name of await readdir(this.#dir)) {
      const file = join(this.#dir, name);
      const id = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
      const value = /^t1[0-9a-f]{32}$/.test(id) ? await readJsonFile(file, MAX_TEMPLATE_FILE) : undefined;
      const record = asRecord(value);
      const bucket = record?.['bucket'];
      const times = [record?.['createTime'], record?.['updateTime']];
      const spec =
        record?.['version'] === FORMAT_VERSION && typeof bucket === 'string' && times.every(Number.isSafeInteger)
          ? templateFromEntry(String(record['kind']), record['entry'], bucket)
          : undefined;
      if (spec && spec.template.id === id) {
        // A `--templates` file that now holds the same id wins; the created template is kept on disk, unused.
        if (this.#registry.transcode(id) || this.#registry.watermark(id)) continue;
        found.push({ spec, bucket: bucket as string, createTime: times[0] as number, updateTime: times[1] as number });
      } else if (record?.['version'] === FORMAT_VERSION || value === undefined) {
        await rm(file, { recursive: true, force: true });
      }
    }
    for (const template of found.sort((a, b) => a.createTime - b.createTime)) this.#put(template);
  }

  /** The created template `id` of `bucket`, or `undefined`. */
  get(bucket: string, id: string): CreatedTemplate | undefined {
    const template = this.#created.get(id);
    return template?.bucket === bucket ? template : undefined;
  }

  /** How many templates `bucket` created. */
  count(bucket: string): number {
    let count = 0;
    for (const template of this.#created.values()) if (template.bucket === bucket) count += 1;
    return count;
  }

  /** Stores a new or updated template; resolves once its file is written (a failed write is counted, not thrown). */
  save(template: CreatedTemplate): Promise<void> {
    this.#put(template);
    const { spec, bucket, createTime, updateTime } = template;
    const record = { version: FORMAT_VERSION, kind: spec.kind, bucket, createTime, updateTime, entry: spec.entry };
    return this.#then(() => writeJsonAtomic(this.#file(spec.template.id), record, this.#temp));
  }

  /** Deletes a created template from the registry and the data folder. */
  remove(id: string): Promise<void> {
    this.#created.delete(id);
    this.#registry.remove(id);
    return this.#then(() => rm(this.#file(id), { force: true }));
  }

  /** Resolves once every write asked for so far is done. */
  flush(): Promise<void> {
    return this.#writes;
  }

  /** Writes that failed so far, for the admin state. */
  get failures(): number {
    return this.#failures;
  }

  #put(template: CreatedTemplate): void {
    this.#created.set(template.spec.template.id, template);
    this.#registry.add(template.spec);
  }

  #file(id: string): string {
    return join(this.#dir, `${id}.json`);
  }

  #then(task: () => Promise<void>): Promise<void> {
    this.#writes = this.#writes.then(task).catch(() => {
      this.#failures += 1;
    });
    return this.#writes;
  }
}
