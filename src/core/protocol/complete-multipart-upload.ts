import * as z from 'zod/mini';
import { TranscoderError } from '../errors.js';
import { CompleteMultipartUploadSchema, CompletedPartSchema, type CompletedPart } from './cos-schemas.js';
import { failValidation, validate, type SchemaIssue } from './validation.js';
import { buildXml, parseXml } from './xml.js';

/** Adds the double quotes COS expects around an `ETag` when the caller dropped them (as the JS SDK does). */
const quoteETag = (etag: string): string => (/^".*"$/.test(etag) ? etag : `"${etag.replace(/^"|"$/g, '')}"`);

/**
 * Builds the `CompleteMultipartUpload` request body:
 * `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;…&quot;</ETag></Part>…`.
 *
 * Parts must be in strictly ascending `PartNumber` order (COS answers anything else with `400 InvalidPartOrder`);
 * ETags get their double quotes if they lack them. Invalid input throws a `invalid-request` {@link TranscoderError}
 * in phase `complete`.
 *
 * @example
 * ```ts
 * buildCompleteMultipartUpload([{ PartNumber: 1, ETag: '"abc"' }, { PartNumber: 2, ETag: 'def' }]);
 * ```
 */
export function buildCompleteMultipartUpload(parts: readonly CompletedPart[]): string {
  const failure = { code: 'invalid-request', phase: 'complete', subject: 'CompleteMultipartUpload body' } as const;
  const valid = validate(
    z.array(CompletedPartSchema).check(z.minLength(1, { error: 'must name at least one part' })),
    parts,
    failure,
  );
  const issues: SchemaIssue[] = [];
  valid.forEach((part, index) => {
    const previous = valid[index - 1];
    if (previous !== undefined && part.PartNumber <= previous.PartNumber) {
      issues.push({ path: `[${index}].PartNumber`, message: 'must be greater than the previous part number' });
    }
  });
  if (issues.length > 0) failValidation(issues, failure);
  return buildXml({
    CompleteMultipartUpload: {
      Part: valid.map((part) => ({ PartNumber: String(part.PartNumber), ETag: quoteETag(part.ETag) })),
    },
  });
}

/**
 * Parses a `CompleteMultipartUpload` request body (the emulator's side), keeping the parts in document order and
 * accepting either child order (`ETag` before `PartNumber`, as the Go SDK writes it). Throws a `invalid-request`
 * {@link TranscoderError} in phase `complete` for malformed XML or a body without parts.
 */
export function parseCompleteMultipartUpload(body: string): CompletedPart[] {
  let tree: Record<string, unknown>;
  try {
    tree = parseXml(body, 'complete');
  } catch (cause) {
    throw new TranscoderError('CompleteMultipartUpload body is not well-formed XML', {
      code: 'invalid-request',
      phase: 'complete',
      cause,
    });
  }
  const parsed = validate(z.object({ CompleteMultipartUpload: CompleteMultipartUploadSchema }), tree, {
    code: 'invalid-request',
    phase: 'complete',
    subject: 'CompleteMultipartUpload body',
  });
  return parsed.CompleteMultipartUpload.Part;
}
