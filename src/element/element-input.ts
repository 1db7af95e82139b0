// What <cos-transcoder> hands to its lazily loaded pipeline when work starts: the attributes as written (strings,
// unchecked) and the properties set from code. Types only: the checks live in the pipeline chunk.
import type { JobCallbackRelay } from '../core/jobs/job-types.js';
import type { GetAuthorization } from '../core/signing/credentials.js';

/** The element's attributes, raw (`null` when absent), keyed by attribute name. */
export type ElementAttributes = Readonly<Record<(typeof ATTRIBUTE_NAMES)[number], string | null>>;

/** Every attribute the pipeline reads. */
export const ATTRIBUTE_NAMES = [
  'bucket',
  'region',
  'file-key',
  'template-id',
  'auth-url',
  'output-key',
  'output-bucket',
  'output-region',
  'watermark-template-ids',
  'digital-watermark',
  'user-data',
  'job-level',
  'callback-url',
  'callback-format',
  'job-tag',
  'accept',
  'max-file-size',
  'cos-domain',
  'ci-domain',
  'protocol',
  'events-url',
] as const;

/** Everything the pipeline needs to build a session. */
export interface ElementInput {
  readonly attributes: ElementAttributes;
  /** The chosen file; absent: the object already at `file-key` is processed. */
  readonly file?: File | Blob | undefined;
  readonly getAuthorization?: GetAuthorization | undefined;
  readonly subscribe?: JobCallbackRelay['subscribe'] | undefined;
}
