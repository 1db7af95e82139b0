import type { Readable } from 'node:stream';
import type { Keyring } from './auth/keyring.js';
import type { TemplateRegistry } from './ci/templates.js';
import type { EmulatorClock } from './clock.js';
import type { EmulatorError } from './errors.js';
import type { FaultConfig, Operation } from './faults/fault-config.js';
import type { MediaTools } from './media/ffmpeg-tools.js';
import type { RequestContext } from './http/request-context.js';
import type { BucketConfig, ResolvedEmulatorOptions } from './options.js';
import type { ObjectLease, ObjectSegment } from './storage/object-segments.js';

/** An object as the emulator stores it. */
export interface StoredObject {
  bucket: string;
  key: string;
  size: number;
  /** Quoted, as the `ETag` header carries it: `"<md5 hex>"` or `"<hex>-<parts>"` after a multipart upload. */
  etag: string;
  /** CRC-64/XZ of the whole object, unsigned decimal. */
  crc64: string;
  /** Milliseconds since the epoch. */
  lastModified: number;
  contentType: string;
  /** Stored request headers echoed on GET / HEAD: `x-cos-meta-*`, `Cache-Control`, `Content-Disposition`... */
  headers: Record<string, string>;
  /**
   * Absolute path of the object's bytes; for an object made of parts, where its one-file copy goes (made on first
   * {@link ObjectStore.localFile}).
   */
  file: string;
}

/** Metadata of a finished file being committed as an object. */
export type ObjectMetadata = Pick<StoredObject, 'size' | 'etag' | 'crc64' | 'contentType' | 'headers'>;

/** Objects on disk, shared by COS handlers (which write them) and CI jobs (which read inputs and write outputs). */
export interface ObjectStore {
  head(bucket: string, key: string): Promise<StoredObject | undefined>;
  /** A fresh path inside the data folder, on the same file system as the objects, for a file to commit. */
  tempFile(): string;
  /** Moves a finished file into place as the object `key`, replacing any previous one atomically. */
  commit(bucket: string, key: string, file: string, metadata: ObjectMetadata): Promise<StoredObject>;
  delete(bucket: string, key: string): Promise<boolean>;
  /** Keys of a bucket starting with `prefix`, sorted. */
  list(bucket: string, prefix?: string): Promise<StoredObject[]>;
  /**
   * Makes `segments` (files on the data folder's file system, left in place) the bytes of the object `key`, in
   * order, replacing any previous version atomically. Costs one link per segment, whatever their size.
   */
  commitSegments(
    bucket: string,
    key: string,
    segments: readonly ObjectSegment[],
    metadata: ObjectMetadata,
  ): Promise<StoredObject>;
  /** The current version of `key` held for reading, or `undefined` when there is no such object. */
  open(bucket: string, key: string): ObjectLease | undefined;
  /**
   * A path of one file holding the whole current version of `key` (for FFmpeg, which needs a seekable input):
   * the object's own file, or a copy of its segments made on first use, kept and deleted with the version.
   * `undefined` when there is no such object.
   */
  localFile(bucket: string, key: string): Promise<string | undefined>;
}

/** The result of streaming a request body to a file. */
export interface IngestResult {
  size: number;
  md5Hex: string;
  /** Unsigned decimal. */
  crc64: string;
}

/** Streams request bodies to files, hashing them on the way. */
export interface BodyIngestor {
  ingest(
    source: Readable,
    filePath: string,
    options?: {
      expectedLength?: number;
      maxBytes?: number;
      signal?: AbortSignal;
      throttle?: (bytes: number) => Promise<void>;
    },
  ): Promise<IngestResult>;
  close(): Promise<void>;
}

/** Faults decided for one request. */
export interface FaultDecision {
  /** Answer with this error instead of processing. */
  error?: EmulatorError;
  /** Close the connection before processing. */
  dropBefore: boolean;
  /** Process, then close the connection instead of replying. */
  dropAfter: boolean;
  /** Process, then send the reply's head and half its body, and close the connection. */
  cutReply: boolean;
  /** Make the reply's `x-cos-hash-crc64ecma` wrong. */
  corruptCrc: boolean;
  /** Wait this long before processing. */
  latencyMs: number;
  /** Pace body bytes. */
  throttle?: (bytes: number) => Promise<void>;
}

/** A job failure a fault forces. */
export interface ForcedJobFailure {
  code: string;
  message: string;
}

/** The faults in force, changeable at run time. */
export interface FaultController {
  readonly config: FaultConfig;
  /** Replaces the configuration (validated by the caller) and resets the counters and the random sequence. */
  update(config: FaultConfig): void;
  /**
   * The faults of one request of `operation`; `key` is the object key of a COS object request (the `prefix` of a
   * `ListMultipartUploads`), the `Input.Object` of a `CreateMediaJobs`, the `inputObject` filter of a
   * `DescribeMediaJobs`, absent for other requests, which rules with a `keyPrefix` never cover.
   */
  decide(operation: Operation, key?: string): FaultDecision;
  /** Whether the job about to run must fail, and how. */
  jobFailure(): ForcedJobFailure | undefined;
  /** Injections so far, per kind and operation. */
  stats(): Record<string, number>;
}

/** What every part of the emulator shares. */
export interface EmulatorEnv {
  readonly options: ResolvedEmulatorOptions;
  readonly buckets: ReadonlyMap<string, BucketConfig>;
  readonly clock: EmulatorClock;
  readonly keyring: Keyring;
  readonly objects: ObjectStore;
  readonly ingestor: BodyIngestor;
  readonly faults: FaultController;
  /** Transcode and watermark templates: built-in ones plus the `templates` file's. */
  readonly templates: TemplateRegistry;
  /** The media tools located at start: FFmpeg, or copy-through and why. */
  readonly media: MediaTools;
  /** The data folder. */
  readonly dataDir: string;
}

/** Serves one operation; the request is already routed, authorised and past injected faults. */
export type Handler = (ctx: RequestContext) => Promise<void>;

/** A group of operations with their shared state. */
export interface EmulatorModule {
  handlers: Partial<Record<Operation, Handler>>;
  /** Stops timers, workers and connections. */
  close?(): Promise<void>;
  /** A summary for the admin endpoint's state. */
  state?(): Record<string, unknown>;
}
