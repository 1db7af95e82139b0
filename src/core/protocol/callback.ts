import * as z from 'zod/mini';
import { TranscoderError } from '../errors.js';
import { JobsDetailSchema } from './ci-schemas.js';
import { container, identifier, oneOrMany } from './schema-helpers.js';
import { validate } from './validation.js';
import { toWireNode } from './wire.js';
import { buildXml, parseXml } from './xml.js';

/**
 * A job-completion callback body: `EventName` (`TaskFinish` for jobs) and at least one `JobsDetail`, normalised to
 * the same {@link JobsDetail} type as API responses whichever format carried it.
 */
export const JobCallbackSchema = container({
  EventName: identifier(/^[A-Za-z]{1,64}$/, 'must be an event name such as TaskFinish'),
  JobsDetail: oneOrMany(JobsDetailSchema).check(z.minLength(1, { error: 'must contain at least one job' })),
});
/** A parsed job-completion callback. */
export type JobCallback = z.output<typeof JobCallbackSchema>;

/** The formats CI can deliver callbacks in (`CallBackFormat`). */
export type CallbackFormat = 'XML' | 'JSON';

const decoder = new TextDecoder();

function invalid(message: string): TranscoderError {
  return new TranscoderError(message, { code: 'invalid-response', phase: 'callback' });
}

function fromJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The engine's SyntaxError quotes part of the body; the message says enough without it.
    throw invalid('Job callback body is not valid JSON');
  }
}

function toDocument(body: unknown): unknown {
  if (body instanceof ArrayBuffer) return toDocument(decoder.decode(body));
  if (ArrayBuffer.isView(body)) return toDocument(decoder.decode(body));
  if (typeof body === 'string') {
    const text = body.trim();
    if (text.startsWith('<')) {
      const tree = parseXml(text, 'callback');
      if (!('Response' in tree)) throw invalid('Job callback XML must have a <Response> root element');
      return tree['Response'];
    }
    if (text.startsWith('{')) return toDocument(fromJson(text));
    throw invalid('Job callback body is neither XML nor a JSON object');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('Job callback body is neither XML nor a JSON object');
  }
  // JSON callbacks have no Response wrapper, but a relay that converted XML to JSON may have kept it.
  const record = body as Record<string, unknown>;
  const wrapped = record['Response'];
  return !('EventName' in record) && typeof wrapped === 'object' && wrapped !== null ? wrapped : record;
}

/**
 * Parses a job-completion callback as a host relays it: the raw body (XML starting with `<`, JSON starting with `{`,
 * as a string or bytes) or an already-parsed JSON object. JSON's `JobsDetail` may be an array or a single object,
 * its values strings or numbers, and its empty elements absent.
 *
 * Throws a `invalid-response` {@link TranscoderError} in phase `callback` for anything else; the message names
 * the failing fields and never quotes the body.
 *
 * @example
 * ```ts
 * app.post('/ci-callback', (req, res) => {
 *   const { JobsDetail: [job] } = parseJobCallback(req.body);
 *   relay(job.JobId, job.State);
 *   res.sendStatus(200);
 * });
 * ```
 */
export function parseJobCallback(body: string | object): JobCallback {
  return validate(JobCallbackSchema, toDocument(body), {
    code: 'invalid-response',
    phase: 'callback',
    subject: 'Job callback',
  });
}

/**
 * Serialises a callback the way CI sends it (the emulator's side): XML as `<Response><EventName>…`, JSON as
 * `{"EventName":…,"JobsDetail":[…]}` with every value as text.
 */
export function buildJobCallback(callback: JobCallback, format: CallbackFormat): string {
  const node = toWireNode({ EventName: callback.EventName, JobsDetail: callback.JobsDetail });
  return format === 'XML' ? buildXml({ Response: node }) : JSON.stringify(node);
}
