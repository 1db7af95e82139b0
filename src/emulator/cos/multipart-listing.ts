import { encodeKeyPath } from '../../core/signing/encode.js';
import { compareKeys, type PartRecord, type UploadRecord } from './multipart-store.js';

/** `<Initiator>` / `<Owner>` of the account's uploads, COS style: `qcs::cam::uin/<id>:uin/<id>`. */
export function accountPrincipal(appId: string): { ID: string; DisplayName: string } {
  return { ID: `qcs::cam::uin/${appId}:uin/${appId}`, DisplayName: appId };
}

/** A time as COS lists it: ISO 8601 in UTC with whole seconds, `2017-06-20T09:45:49.000Z`. */
export function listingTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

/** Paging of ListParts. */
export interface PartsPage {
  maxParts: number;
  /** Parts numbered above this are listed. */
  marker: number;
  /** `encoding-type=url`: the key is URL-encoded. */
  encode: boolean;
}

/**
 * The `ListPartsResult` document for one page of an upload's parts, in part number order. `NextPartNumberMarker`
 * is the last part listed (the marker itself when none is).
 */
export function listPartsDocument(
  bucket: string,
  upload: UploadRecord,
  page: PartsPage,
  owner: { ID: string; DisplayName: string },
): Record<string, unknown> {
  const parts = [...upload.parts.values()]
    .filter((part) => part.partNumber > page.marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const listed = parts.slice(0, page.maxParts);
  const next = listed.at(-1)?.partNumber ?? page.marker;
  return {
    ListPartsResult: {
      Bucket: bucket,
      ...(page.encode ? { 'Encoding-type': 'url' } : {}),
      Key: page.encode ? encodeKeyPath(upload.key) : upload.key,
      UploadId: upload.uploadId,
      Initiator: owner,
      Owner: owner,
      PartNumberMarker: String(page.marker),
      NextPartNumberMarker: String(next),
      StorageClass: 'STANDARD',
      MaxParts: String(page.maxParts),
      IsTruncated: String(parts.length > listed.length),
      Part: listed.map((part: PartRecord) => ({
        PartNumber: String(part.partNumber),
        LastModified: listingTime(part.lastModified),
        ETag: `"${part.md5Hex}"`,
        Size: String(part.size),
      })),
    },
  };
}

/** Query of ListMultipartUploads. */
export interface UploadsQuery {
  prefix: string;
  /** `''` for none. */
  delimiter: string;
  /** `''` for none. */
  keyMarker: string;
  /** Only used with a `keyMarker`. */
  uploadIdMarker: string;
  maxUploads: number;
  encode: boolean;
}

/** One entry of a ListMultipartUploads page: an upload, or a common prefix standing for several. */
type Entry = { upload: UploadRecord } | { commonPrefix: string };

/**
 * Selects one page of uploads (sorted by key, initiation, id), the way S3-compatible services page them [I]:
 * uploads after (`keyMarker`, `uploadIdMarker`) when that pair names an upload, otherwise keys after `keyMarker`;
 * with a delimiter, keys with the delimiter after the prefix roll up into one common prefix each, which counts as
 * one entry toward `maxUploads` and is skipped on later pages (whose key marker is that prefix or past it).
 */
export function selectUploads(
  uploads: readonly UploadRecord[],
  query: UploadsQuery,
): { entries: Entry[]; truncated: boolean } {
  const { prefix, delimiter, keyMarker, uploadIdMarker, maxUploads } = query;
  const markerIndex =
    keyMarker !== '' && uploadIdMarker !== ''
      ? uploads.findIndex((upload) => upload.key === keyMarker && upload.uploadId === uploadIdMarker)
      : -1;
  const entries: Entry[] = [];
  let lastPrefix: string | undefined;
  for (const [index, upload] of uploads.entries()) {
    if (!upload.key.startsWith(prefix)) continue;
    if (keyMarker !== '') {
      const order = compareKeys(upload.key, keyMarker);
      if (order < 0 || (order === 0 && !(markerIndex >= 0 && index > markerIndex))) continue;
    }
    let entry: Entry = { upload };
    if (delimiter !== '') {
      const at = upload.key.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        const commonPrefix = upload.key.slice(0, at + delimiter.length);
        if (commonPrefix === lastPrefix) continue;
        if (keyMarker !== '' && compareKeys(commonPrefix, keyMarker) <= 0) continue;
        entry = { commonPrefix };
        lastPrefix = commonPrefix;
      }
    }
    if (entries.length === maxUploads) return { entries, truncated: true };
    entries.push(entry);
  }
  return { entries, truncated: false };
}

/** The `ListMultipartUploadsResult` document for one page; see {@link selectUploads}. */
export function listUploadsDocument(
  bucket: string,
  uploads: readonly UploadRecord[],
  query: UploadsQuery,
  owner: { ID: string; DisplayName: string },
): Record<string, unknown> {
  const { entries, truncated } = selectUploads(uploads, query);
  const encode = (text: string): string => (query.encode ? encodeKeyPath(text) : text);
  const last = entries.at(-1);
  const nextKey = last === undefined ? '' : 'upload' in last ? last.upload.key : last.commonPrefix;
  const nextUploadId = last !== undefined && 'upload' in last ? last.upload.uploadId : '';
  return {
    ListMultipartUploadsResult: {
      Bucket: bucket,
      ...(query.encode ? { 'Encoding-Type': 'url' } : {}),
      KeyMarker: encode(query.keyMarker),
      UploadIdMarker: query.uploadIdMarker,
      NextKeyMarker: encode(nextKey),
      NextUploadIdMarker: nextUploadId,
      MaxUploads: String(query.maxUploads),
      IsTruncated: String(truncated),
      Prefix: encode(query.prefix),
      ...(query.delimiter === '' ? {} : { Delimiter: encode(query.delimiter) }),
      Upload: entries.flatMap((entry) =>
        'upload' in entry
          ? [
              {
                Key: encode(entry.upload.key),
                UploadId: entry.upload.uploadId,
                StorageClass: 'STANDARD',
                Initiator: owner,
                Owner: owner,
                Initiated: listingTime(entry.upload.initiated),
              },
            ]
          : [],
      ),
      CommonPrefixes: entries.flatMap((entry) =>
        'commonPrefix' in entry ? [{ Prefix: encode(entry.commonPrefix) }] : [],
      ),
    },
  };
}
