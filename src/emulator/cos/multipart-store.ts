import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { IngestResult } from '../env.js';
import { TEMP_SUBFOLDER } from '../storage/data-dir.js';
import { asRecord, readJsonFile, writeJsonAtomic } from '../storage/json-file.js';

/** One uploaded part. Records are never changed: re-uploading a part replaces its record. */
export interface PartRecord {
  readonly partNumber: number;
  readonly size: number;
  /** Lowercase hex, the part's ETag without quotes. */
  readonly md5Hex: string;
  /** CRC-64/XZ of the part, unsigned decimal. */
  readonly crc64: string;
  /** Milliseconds (emulator clock). */
  readonly lastModified: number;
  /** Absolute path of the part's bytes. */
  readonly file: string;
}

/** A multipart upload in progress. */
export interface UploadRecord {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  /** Milliseconds (emulator clock). */
  readonly initiated: number;
  /** `Content-Type` and stored headers given at initiation, for the final object. */
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly parts: Map<number, PartRecord>;
  /** `completing` while a Complete merges its parts: the upload no longer takes parts, aborts or completes. */
  state: 'open' | 'completing';
  /** The folder of its part files. */
  readonly dir: string;
  /** Creation order, which breaks ties between uploads of one key started in the same millisecond. */
  readonly sequence: number;
}

/** Removes a folder that concurrent part uploads may still be renaming files into. */
const removeDir = (dir: string): Promise<void> =>
  rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });

/** The upload's metadata file in its folder; an upload folder without it is not an upload (it is deleted). */
const UPLOAD_FILE = 'upload.json';
/** Largest `upload.json` read back. */
const MAX_UPLOAD_FILE = 256 * 1024;
const UPLOAD_ID = /^\d{1,12}[0-9a-f]{62}$/;
/** `<partNumber>-<md5 hex>-<crc64 decimal>-<lastModified ms>-<random>`: a part's record is its file name. */
const PART_FILE = /^(\d{1,5})-([0-9a-f]{32})-(\d{1,20})-(\d{1,16})-[0-9a-f]{12}$/;

/**
 * Multipart uploads, kept across restarts on the same data folder: each under `<dataDir>/uploads/<uploadId>/`
 * with its metadata in `upload.json` (written once, atomically, at initiation, before the reply) and each part as
 * one file whose name carries the part's record (number, MD5, CRC-64, time; the size is the file's). Renaming the
 * streamed part into place is thus the only write of an UploadPart: no log or index to update, however many parts.
 * On start the folder is read back: folders without a readable `upload.json` and files that are not parts are
 * deleted (left by a crash in the middle of an initiation or an abort); of two files of one part number (a crash
 * between a re-upload's rename and the old file's removal) the newer wins. An abort deletes `upload.json` first,
 * so a crash in the middle of it never brings back half an upload. An upload being completed when the process
 * stopped is open again after the restart.
 *
 * Concurrency: every state change happens synchronously after the last `await`, so parallel UploadParts of one
 * upload, an Abort racing an UploadPart, or two Completes racing each other never see half-made changes. A part
 * file is only adopted if its upload is still open once the file is in place; otherwise it is deleted.
 */
export class MultipartStore {
  readonly #uploads = new Map<string, UploadRecord>();
  readonly #root: string;
  readonly #temp: string;
  readonly #ready: Promise<void>;
  readonly #writes = new Set<Promise<unknown>>();
  #created = 0;

  /** @param dataDir The data folder, whose scratch folder must exist (the object store creates it). */
  constructor(dataDir: string) {
    this.#root = join(dataDir, 'uploads');
    this.#temp = join(dataDir, TEMP_SUBFOLDER);
    this.#ready = this.#load();
    this.#ready.catch(() => undefined);
  }

  /** Resolves once the uploads of an earlier run are loaded. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Waits for the load and for metadata writes in progress, so that nothing is written after it resolves. */
  async close(): Promise<void> {
    await this.#ready.catch(() => undefined);
    await Promise.allSettled([...this.#writes]);
  }

  async #load(): Promise<void> {
    await mkdir(this.#root, { recursive: true, mode: 0o700 });
    for (const entry of await readdir(this.#root, { withFileTypes: true })) {
      const dir = join(this.#root, entry.name);
      const valid = entry.isDirectory() && UPLOAD_ID.test(entry.name);
      const upload = valid ? await this.#loadUpload(dir, entry.name) : undefined;
      if (!upload) {
        await removeDir(dir);
        continue;
      }
      this.#uploads.set(upload.uploadId, upload);
      this.#created = Math.max(this.#created, upload.sequence);
    }
  }

  /** One upload read back, its stray files deleted; `undefined` when its metadata is missing or invalid. */
  async #loadUpload(dir: string, uploadId: string): Promise<UploadRecord | undefined> {
    const meta = asRecord(await readJsonFile(join(dir, UPLOAD_FILE), MAX_UPLOAD_FILE));
    const headers = asRecord(meta?.['headers']);
    if (
      !meta ||
      !headers ||
      meta['uploadId'] !== uploadId ||
      typeof meta['bucket'] !== 'string' ||
      typeof meta['key'] !== 'string' ||
      typeof meta['contentType'] !== 'string' ||
      !Number.isSafeInteger(meta['initiated']) ||
      !Number.isSafeInteger(meta['sequence']) ||
      !Object.values(headers).every((value) => typeof value === 'string')
    ) {
      return undefined;
    }
    const parts = new Map<number, PartRecord>();
    for (const name of await readdir(dir)) {
      if (name === UPLOAD_FILE) continue;
      const file = join(dir, name);
      const match = PART_FILE.exec(name);
      const info = match ? await stat(file).catch(() => undefined) : undefined;
      if (!match || !info?.isFile()) {
        await rm(file, { recursive: true, force: true });
        continue;
      }
      const [, number, md5Hex, crc64, time] = match as unknown as [string, string, string, string, string];
      const record: PartRecord = {
        partNumber: Number(number),
        size: info.size,
        md5Hex,
        crc64,
        lastModified: Number(time),
        file,
      };
      const other = parts.get(record.partNumber);
      const newer =
        !other ||
        record.lastModified > other.lastModified ||
        (record.lastModified === other.lastModified && file > other.file);
      if (other) await rm(newer ? other.file : file, { force: true });
      if (newer) parts.set(record.partNumber, record);
    }
    return {
      uploadId,
      bucket: meta['bucket'] as string,
      key: meta['key'] as string,
      initiated: meta['initiated'] as number,
      contentType: meta['contentType'] as string,
      headers: headers as Record<string, string>,
      parts,
      state: 'open',
      dir,
      sequence: meta['sequence'] as number,
    };
  }

  /** Runs a metadata write, tracked so that {@link close} can wait for it. */
  async #track<T>(write: Promise<T>): Promise<T> {
    this.#writes.add(write);
    try {
      return await write;
    } finally {
      this.#writes.delete(write);
    }
  }

  /** Uploads and parts held. */
  get counts(): { uploads: number; parts: number } {
    let parts = 0;
    for (const upload of this.#uploads.values()) parts += upload.parts.size;
    return { uploads: this.#uploads.size, parts };
  }

  /** Starts an upload with a fresh, URL-safe id: the initiation second, then 62 random hex digits. */
  async create(
    fields: Pick<UploadRecord, 'bucket' | 'key' | 'initiated' | 'contentType' | 'headers'>,
  ): Promise<UploadRecord> {
    await this.#ready;
    const uploadId = `${Math.floor(fields.initiated / 1000)}${randomBytes(31).toString('hex')}`;
    const dir = join(this.#root, uploadId);
    const sequence = (this.#created += 1);
    const { bucket, key, initiated, contentType, headers } = fields;
    const meta = { uploadId, bucket, key, initiated, contentType, headers, sequence };
    await this.#track(
      (async () => {
        await mkdir(dir, { recursive: true });
        await writeJsonAtomic(join(dir, UPLOAD_FILE), meta, this.#temp);
      })(),
    );
    const upload: UploadRecord = { ...fields, uploadId, dir, sequence, parts: new Map(), state: 'open' };
    this.#uploads.set(uploadId, upload);
    return upload;
  }

  /**
   * The upload `uploadId` of `bucket` for `key`; `undefined` when unknown, for another key, or (unless
   * `includeCompleting`) being completed.
   */
  find(bucket: string, key: string, uploadId: string, includeCompleting = false): UploadRecord | undefined {
    const upload = this.#uploads.get(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key) return undefined;
    return includeCompleting || upload.state === 'open' ? upload : undefined;
  }

  /** The uploads of `bucket` (completing ones included), by key, then initiation. */
  list(bucket: string): UploadRecord[] {
    return [...this.#uploads.values()]
      .filter((upload) => upload.bucket === bucket)
      .sort(
        (a, b) => compareKeys(a.key, b.key) || a.initiated - b.initiated || a.sequence - b.sequence,
      );
  }

  /** Whether `upload` still exists and takes parts. */
  isOpen(upload: UploadRecord): boolean {
    return this.#uploads.get(upload.uploadId) === upload && upload.state === 'open';
  }

  /**
   * Adopts a finished part file (`source`, on the data folder's file system) as part `partNumber`, replacing any
   * previous one. Returns `undefined`, with the file deleted, when the upload was aborted or completed meanwhile.
   */
  async putPart(
    upload: UploadRecord,
    partNumber: number,
    source: string,
    body: IngestResult,
    now: number,
  ): Promise<PartRecord | undefined> {
    if (!this.isOpen(upload)) {
      await rm(source, { force: true });
      return undefined;
    }
    const lastModified = Math.max(0, Math.floor(now));
    const { size, md5Hex, crc64 } = body;
    const name = `${partNumber}-${md5Hex}-${crc64}-${lastModified}-${randomBytes(6).toString('hex')}`;
    const file = join(upload.dir, name);
    try {
      await rename(source, file);
    } catch (error) {
      await rm(source, { force: true });
      if (!this.isOpen(upload)) return undefined;
      throw error;
    }
    if (!this.isOpen(upload)) {
      await rm(file, { force: true });
      if (!this.#uploads.has(upload.uploadId)) await rmdir(upload.dir).catch(() => undefined);
      return undefined;
    }
    const previous = upload.parts.get(partNumber);
    const record: PartRecord = { partNumber, size, md5Hex, crc64, lastModified, file };
    upload.parts.set(partNumber, record);
    if (previous) await rm(previous.file, { force: true });
    return record;
  }

  /** Marks an open upload as being completed; `false` when another request got there first. */
  beginCompletion(upload: UploadRecord): boolean {
    if (!this.isOpen(upload)) return false;
    upload.state = 'completing';
    return true;
  }

  /** Reopens an upload whose completion failed after {@link beginCompletion}. */
  cancelCompletion(upload: UploadRecord): void {
    if (this.#uploads.get(upload.uploadId) === upload) upload.state = 'open';
  }

  /** Forgets an upload (aborted or completed) and deletes its parts, its metadata first. */
  async remove(upload: UploadRecord): Promise<void> {
    if (this.#uploads.get(upload.uploadId) === upload) this.#uploads.delete(upload.uploadId);
    await rm(join(upload.dir, UPLOAD_FILE), { force: true });
    await removeDir(upload.dir);
  }
}

/** Orders keys (and upload ids) by their UTF-8 bytes, as COS lists them. */
export function compareKeys(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
