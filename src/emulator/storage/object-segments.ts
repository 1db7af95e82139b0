import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, link, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StoredObject } from '../env.js';

/** One file holding a run of an object's bytes: the whole object, or one part of a multipart upload. */
export interface ObjectSegment {
  /** Absolute path. */
  readonly file: string;
  readonly size: number;
}

/**
 * A version of an object held for reading: its files stay on disk, whatever replaces or deletes the object, until
 * {@link release} is called.
 */
export interface ObjectLease {
  readonly object: StoredObject;
  /** The object's bytes, in order: one segment for an object written whole, one per part after a multipart upload. */
  readonly segments: readonly ObjectSegment[];
  /** Lets the version's files go; later calls do nothing. */
  release(): void;
}

/**
 * Bytes `start..end` (inclusive) of the object made of `segments`, streamed from the files they cover. An object
 * in one file streams straight from it.
 */
export function readSegments(
  segments: readonly ObjectSegment[],
  start: number,
  end: number,
  highWaterMark: number,
): Readable {
  const [only] = segments;
  if (segments.length === 1 && only) return createReadStream(only.file, { start, end, highWaterMark });
  return Readable.from(segmentChunks(segments, start, end, highWaterMark), { objectMode: false, highWaterMark });
}

async function* segmentChunks(
  segments: readonly ObjectSegment[],
  start: number,
  end: number,
  highWaterMark: number,
): AsyncGenerator<Buffer> {
  let offset = 0;
  for (const segment of segments) {
    const first = offset;
    const last = offset + segment.size - 1;
    offset += segment.size;
    if (segment.size === 0 || last < start) continue;
    if (first > end) return;
    const from = Math.max(start, first) - first;
    const to = Math.min(end, last) - first;
    // A `for await` that stops early (the reply was cut) destroys the file's stream, which closes it.
    for await (const chunk of createReadStream(segment.file, { start: from, end: to, highWaterMark })) {
      yield chunk as Buffer;
    }
  }
}

/** Writes the segments one after the other into `file` (created, or truncated), streaming. */
export async function concatenateSegments(
  segments: readonly ObjectSegment[],
  file: string,
  highWaterMark: number,
): Promise<void> {
  await pipeline(readSegments(segments, 0, Number.MAX_SAFE_INTEGER, highWaterMark), createWriteStream(file));
}

/** Links each segment into `dir` (created) as `1`, `2`...; a file system without hard links gets copies. */
export async function linkSegments(segments: readonly ObjectSegment[], dir: string): Promise<ObjectSegment[]> {
  await mkdir(dir, { recursive: true });
  const linked = segments.map((segment, index) => ({ file: join(dir, String(index + 1)), size: segment.size }));
  const batch = 64;
  for (let index = 0; index < segments.length; index += batch) {
    await Promise.all(
      segments.slice(index, index + batch).map(async (segment, offset) => {
        const target = linked[index + offset]!.file;
        await link(segment.file, target).catch(async (error: unknown) => {
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw error;
          await copyFile(segment.file, target);
        });
      }),
    );
  }
  return linked;
}
