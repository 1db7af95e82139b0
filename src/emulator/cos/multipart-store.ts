import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { IngestResult } from '../env.js';

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

/**
 * Multipart uploads: their metadata in memory, their parts as files under `<dataDir>/uploads/<uploadId>/`. Since
 * the metadata does not survive a restart, the folder is emptied when the store is created [I].
 *
 * Concurrency: every state change happens synchronously after the last `await`, so parallel UploadParts of one
 * upload, an Abort racing an UploadPart, or two Completes racing each other never see half-made changes. A part
 * file is only adopted if its upload is still open once the file is in place; otherwise it is deleted.
 */
export class MultipartStore {
  readonly #uploads = new Map<string, UploadRecord>();
  readonly #root: string;
  readonly #ready: Promise<void>;
  #created = 0;

  constructor(dataDir: string) {
    this.#root = join(dataDir, 'uploads');
    this.#ready = removeDir(this.#root).then(() => mkdir(this.#root, { recursive: true })).then(() => undefined);
    this.#ready.catch(() => undefined);
  }

  /** Resolves once the uploads folder is ready. */
  ready(): Promise<void> {
    return this.#ready;
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
    await mkdir(dir, { recursive: true });
    const sequence = (this.#created += 1);
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
    const file = join(upload.dir, `${partNumber}-${randomBytes(6).toString('hex')}`);
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
    const { size, md5Hex, crc64 } = body;
    const record: PartRecord = { partNumber, size, md5Hex, crc64, lastModified: now, file };
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

  /** Forgets an upload (aborted or completed) and deletes its parts. */
  async remove(upload: UploadRecord): Promise<void> {
    if (this.#uploads.get(upload.uploadId) === upload) this.#uploads.delete(upload.uploadId);
    await removeDir(upload.dir);
  }
}

/** Orders keys (and upload ids) by their UTF-8 bytes, as COS lists them. */
export function compareKeys(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
