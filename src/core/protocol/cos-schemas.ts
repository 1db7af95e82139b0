import * as z from 'zod/mini';
import {
  booleanLike,
  container,
  identifier,
  numberInRange,
  oneOrMany,
  optionalNumeric,
  optionalText,
  text,
} from './schema-helpers.js';

/**
 * The error body of COS (`<Error>` with `Resource`) and of CI (the same without `Resource`). `Code` is what callers
 * branch on, so it must look like a code; everything else is optional.
 */
export const CosErrorSchema = container({
  Code: identifier(/^[A-Za-z0-9_.-]{1,128}$/, 'must be a service error code'),
  Message: optionalText,
  Resource: optionalText,
  RequestId: optionalText,
  TraceId: optionalText,
  /** Sent by some endpoints with `RequestTimeTooSkewed`; the JS SDK uses it for clock-skew correction. */
  ServerTime: optionalText,
});
/** A parsed `<Error>` body. */
export type CosError = z.output<typeof CosErrorSchema>;

/** `<Initiator>` / `<Owner>` of a multipart upload. */
export const CosPrincipalSchema = container({ ID: optionalText, DisplayName: optionalText });
/** A parsed `<Initiator>` or `<Owner>`. */
export type CosPrincipal = z.output<typeof CosPrincipalSchema>;

/** `POST /<Key>?uploads`: only `UploadId` is relied on, and it goes into URLs, so its characters are checked. */
export const InitiateMultipartUploadResultSchema = container({
  Bucket: optionalText,
  Key: optionalText,
  UploadId: identifier(/^[A-Za-z0-9._~-]{1,256}$/, 'must be an upload id'),
});
/** A parsed `<InitiateMultipartUploadResult>`. */
export type InitiateMultipartUploadResult = z.output<typeof InitiateMultipartUploadResultSchema>;

/** One `<Part>` of `ListParts`. */
export const ListedPartSchema = container({
  PartNumber: numberInRange(1, 10000, true),
  ETag: text,
  Size: numberInRange(0, Number.MAX_SAFE_INTEGER, true),
  LastModified: optionalText,
});
/** A parsed `<Part>` of `ListParts`. */
export type ListedPart = z.output<typeof ListedPartSchema>;

/** `IsTruncated`: absent means `false` (one page). */
const isTruncated = z.pipe(z.optional(booleanLike), z.transform((value) => value ?? false));

/** `GET /<Key>?uploadId=`: `Part` is always an array; `IsTruncated` absent means one page. */
export const ListPartsResultSchema = container({
  Bucket: optionalText,
  'Encoding-type': optionalText,
  Key: optionalText,
  UploadId: optionalText,
  Initiator: z.optional(CosPrincipalSchema),
  Owner: z.optional(CosPrincipalSchema),
  StorageClass: optionalText,
  PartNumberMarker: optionalNumeric,
  NextPartNumberMarker: optionalNumeric,
  MaxParts: optionalNumeric,
  IsTruncated: isTruncated,
  Part: oneOrMany(ListedPartSchema),
});
/** A parsed `<ListPartsResult>`. */
export type ListPartsResult = z.output<typeof ListPartsResultSchema>;

/** One `<Upload>` of `ListMultipartUploads`. */
export const ListedUploadSchema = container({
  Key: text,
  UploadId: text,
  StorageClass: optionalText,
  Initiator: z.optional(CosPrincipalSchema),
  Owner: z.optional(CosPrincipalSchema),
  Initiated: optionalText,
});
/** A parsed `<Upload>` of `ListMultipartUploads`. */
export type ListedUpload = z.output<typeof ListedUploadSchema>;

/** `GET /?uploads`: `Upload` and `CommonPrefixes` are always arrays. */
export const ListMultipartUploadsResultSchema = container({
  Bucket: optionalText,
  'Encoding-Type': optionalText,
  KeyMarker: optionalText,
  UploadIdMarker: optionalText,
  NextKeyMarker: optionalText,
  NextUploadIdMarker: optionalText,
  MaxUploads: optionalNumeric,
  IsTruncated: isTruncated,
  Prefix: optionalText,
  Delimiter: optionalText,
  Upload: oneOrMany(ListedUploadSchema),
  CommonPrefixes: oneOrMany(container({ Prefix: optionalText })),
});
/** A parsed `<ListMultipartUploadsResult>`. */
export type ListMultipartUploadsResult = z.output<typeof ListMultipartUploadsResultSchema>;

/** `POST /<Key>?uploadId=`: `ETag` (quoted, `"<hex>-<parts>"`) is what the upload reports. */
export const CompleteMultipartUploadResultSchema = container({
  Location: optionalText,
  Bucket: optionalText,
  Key: optionalText,
  ETag: text,
});
/** A parsed `<CompleteMultipartUploadResult>`. */
export type CompleteMultipartUploadResult = z.output<typeof CompleteMultipartUploadResultSchema>;

/** One part named in a `CompleteMultipartUpload` request body. */
export const CompletedPartSchema = container({
  PartNumber: numberInRange(1, 10000, true),
  ETag: z.pipe(
    text,
    z.string().check(
      z.refine((value) => /^"?[\x21\x23-\x7E]{1,128}"?$/.test(value), {
        error: 'must be an ETag (printable ASCII, at most 128 characters)',
      }),
    ),
  ),
});
/** A part of a `CompleteMultipartUpload` body: its number and the `ETag` its upload returned. */
export type CompletedPart = z.output<typeof CompletedPartSchema>;

/**
 * The `CompleteMultipartUpload` request body, as the emulator parses it. Part order is not checked here: the
 * service answers unordered parts with `400 InvalidPartOrder`, so the order must survive parsing.
 */
export const CompleteMultipartUploadSchema = container({
  Part: z.pipe(
    oneOrMany(CompletedPartSchema),
    z.array(z.custom<CompletedPart>()).check(z.minLength(1, { error: 'must name at least one part' })),
  ),
});
/** A parsed `<CompleteMultipartUpload>` request body. */
export type CompleteMultipartUpload = z.output<typeof CompleteMultipartUploadSchema>;
