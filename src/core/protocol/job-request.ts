import { TranscoderError } from '../errors.js';
import {
  ExtractDigitalWatermarkJobInputSchema,
  TranscodeJobInputSchema,
  type ExtractDigitalWatermarkJobInput,
  type JobRequest,
  type TranscodeJobInput,
} from './job-request-schemas.js';
import { failValidation, validate, type ValidationFailure } from './validation.js';
import { toWireNode } from './wire.js';
import { buildXml, parseXml } from './xml.js';

const failure = (tag: string): ValidationFailure => ({
  code: 'invalid-request',
  phase: 'submit',
  subject: `${tag} job request`,
});

/**
 * Builds the `POST /jobs` body of a transcode job (`Tag=Transcode`), in the element order of the service's
 * documentation. The input is validated first; text is escaped by the XML builder, so `UserData` such as
 * `</UserData><Tag>x</Tag>` stays text.
 *
 * Throws a `invalid-request` {@link TranscoderError} in phase `submit` whose message names each failing field and
 * rule, for example `Transcode job request is invalid: Operation.UserData must be printable ASCII (0x20-0x7E)`.
 *
 * @example
 * ```ts
 * const body = buildTranscodeJobRequest({
 *   Input: { Object: 'input/demo.mp4' },
 *   Operation: {
 *     TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
 *     Output: { Region: 'ap-chongqing', Bucket: 'test-1234567890', Object: 'output/out.${ext}' },
 *     UserData: 'order-42',
 *   },
 *   CallBackFormat: 'JSON',
 * });
 * ```
 */
export function buildTranscodeJobRequest(input: TranscodeJobInput): string {
  const request = validate(TranscodeJobInputSchema, input, failure('Transcode'));
  // The schema's shapes list the fields in the documented element order, and a parsed value keeps that order and
  // nothing else (unknown fields are dropped): it can be written as it is.
  const tree = toWireNode({ Tag: 'Transcode', ...request });
  return buildXml({ Request: tree });
}

/**
 * Builds the `POST /jobs` body of a digital-watermark extraction job (`Tag=ExtractDigitalWatermark`). Validation
 * and errors as for {@link buildTranscodeJobRequest}.
 *
 * @example
 * ```ts
 * const body = buildExtractDigitalWatermarkJobRequest({
 *   Input: { Object: 'output/out.mp4' },
 *   Operation: { ExtractDigitalWatermark: { Type: 'Text', Version: 'V1' } },
 * });
 * ```
 */
export function buildExtractDigitalWatermarkJobRequest(input: ExtractDigitalWatermarkJobInput): string {
  const request = validate(ExtractDigitalWatermarkJobInputSchema, input, failure('ExtractDigitalWatermark'));
  const tree = toWireNode({ Tag: 'ExtractDigitalWatermark', ...request });
  return buildXml({ Request: tree });
}

/** Builds the body of any supported job request, choosing the builder by `Tag`. */
export function buildJobRequest(request: JobRequest): string {
  return request.Tag === 'Transcode'
    ? buildTranscodeJobRequest(request)
    : buildExtractDigitalWatermarkJobRequest(request);
}

/**
 * Parses a submitted `POST /jobs` body back into its typed form (the emulator's side; also what round-trip tests
 * use). Element order does not matter; the wire's strings become numbers and booleans.
 *
 * Throws a `invalid-request` {@link TranscoderError} in phase `submit` for malformed XML, a root other than
 * `<Request>`, an unsupported `Tag`, or a field that breaks a rule (the same rules as the builders).
 */
export function parseJobRequest(body: string): JobRequest {
  let tree: Record<string, unknown>;
  try {
    tree = parseXml(body, 'submit');
  } catch (cause) {
    throw new TranscoderError('Job request is not well-formed XML', {
      code: 'invalid-request',
      phase: 'submit',
      cause,
    });
  }
  const request = tree['Request'];
  const tag = typeof request === 'object' && request !== null ? (request as Record<string, unknown>)['Tag'] : undefined;
  if (tag === 'Transcode') {
    return { ...validate(TranscodeJobInputSchema, request, failure('Transcode')), Tag: 'Transcode' };
  }
  if (tag === 'ExtractDigitalWatermark') {
    const parsed = validate(ExtractDigitalWatermarkJobInputSchema, request, failure('ExtractDigitalWatermark'));
    return { ...parsed, Tag: 'ExtractDigitalWatermark' };
  }
  const subject = { code: 'invalid-request', phase: 'submit', subject: 'Job request' } as const;
  if (request === undefined) {
    return failValidation([{ path: 'Request', message: 'is required as the root element' }], subject);
  }
  return failValidation([{ path: 'Tag', message: 'must be one of Transcode, ExtractDigitalWatermark' }], subject);
}
