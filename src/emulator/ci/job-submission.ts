import type { IncomingMessage } from 'node:http';
import { TranscoderError } from '../../core/errors.js';
import { parseJobRequest } from '../../core/protocol/job-request.js';
import type { JobRequest } from '../../core/protocol/job-request-schemas.js';
import { parseXml } from '../../core/protocol/xml.js';
import type { EmulatorEnv } from '../env.js';
import { serviceError } from '../errors.js';
import type { RequestContext } from '../http/request-context.js';
import { hasXmlForbiddenCharacter } from '../http/xml-safe.js';
import type { BucketConfig } from '../options.js';
import { CallbackTargetPolicy } from './callback-target.js';
import { newJobId, queueIdFor, type Job, type JobStore } from './job-store.js';

/** Largest `POST /jobs` body accepted: 1 MiB. */
export const MAX_JOB_REQUEST_BYTES = 1024 * 1024;

/** Longest error message the emulator answers with; validation messages are capped to it. */
const MAX_MESSAGE = 1000;

/** Each request's body, read once: the fault decision reads it for its key, then the handler reuses it. */
const bodies = new WeakMap<IncomingMessage, Promise<string>>();

/**
 * Reads a `POST /jobs` body as UTF-8 text, once per request (later calls get the same text, or the same error).
 * No body → 400 `MissingContent`; more than {@link MAX_JOB_REQUEST_BYTES} → 400 `EntityTooLarge` (the rest of the
 * body is drained by the server's error path).
 */
export function readJobRequestBody(ctx: Pick<RequestContext, 'req'>): Promise<string> {
  let body = bodies.get(ctx.req);
  if (body === undefined) {
    body = readBody(ctx.req);
    bodies.set(ctx.req, body);
  }
  return body;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > MAX_JOB_REQUEST_BYTES) {
      throw serviceError('EntityTooLarge', `The job request body must be at most ${MAX_JOB_REQUEST_BYTES} bytes.`);
    }
    chunks.push(bytes);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw serviceError('MissingContent', 'The job request has no body.');
  return text;
}

const child = (node: unknown, name: string): unknown =>
  typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[name] : undefined;

/**
 * The `Input.Object` a `POST /jobs` request names, the key fault rules' `keyPrefix` is matched against; `undefined`
 * when the body cannot be read, is not XML or names none (the handler then answers the error in its turn).
 */
export async function submissionInputObject(ctx: Pick<RequestContext, 'req'>): Promise<string | undefined> {
  try {
    const request = child(parseXml(await readJobRequestBody(ctx), 'submit'), 'Request');
    const key = child(child(request, 'Input'), 'Object');
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps a message printable and short: validation messages name fields and rules, never whole inputs. */
function sanitize(message: string): string {
  const printable = message.replace(/[^\x20-\x7E\u00A0-\uFFFF]/g, ' ');
  return printable.length > MAX_MESSAGE ? `${printable.slice(0, MAX_MESSAGE)}…` : printable;
}

/**
 * Parses and validates a job request with the core's rules (the same ones the client's builders apply). Any
 * problem, malformed XML included, is a 400 `InvalidArgument` whose message names the field and the rule.
 */
export function parseSubmission(body: string): JobRequest {
  try {
    return parseJobRequest(body);
  } catch (error) {
    if (error instanceof TranscoderError) throw serviceError('InvalidArgument', sanitize(error.message));
    throw error;
  }
}

/** `QueueType` values the emulator accepts. */
const QUEUE_TYPES = new Set(['Common', 'SpeedTranscoding']);

/**
 * The service's checks on a parsed request, then the new job (`Submitted`, not yet stored):
 *
 * - `TemplateId` must be a transcode template and each `WatermarkTemplateId` a watermark template (built-in or from
 *   the `templates` file):
 *   otherwise 400 `InvalidArgument` "The template … does not exist" (the reference found no `NoSuchTemplate` code in
 *   any source, and CI reports bad parameters as `InvalidArgument`).
 * - `Operation.Output` must name a bucket of the emulator in its region: otherwise 400 `InvalidArgument`.
 * - `QueueId`, when given, must be the bucket's queue (one per bucket); `QueueType` must be `Common` or
 *   `SpeedTranscoding`: otherwise 400 `InvalidArgument`.
 * - `CallBack`, when a URL, must be `http:` / `https:` to loopback or to a host `callbackAllow` lists: otherwise 400
 *   `InvalidArgument` naming `CallBack` and `--callback-allow` (the cloud refuses intranet callback addresses; no
 *   source names a dedicated code, and CI reports bad parameters as `InvalidArgument`).
 * - `Operation.Output.Object` must be a key XML 1.0 can carry (no C0 control but tab, LF and CR, no U+FFFE / U+FFFF,
 *   no lone surrogate), as PUT Object requires: otherwise 400 `InvalidArgument`.
 * - `Input.Object` must exist in the bucket: otherwise 400 `ResourceNotFound` (the CI code for a missing input
 *   resource); the job is not created. An input deleted after submission fails the job instead.
 * - At most `jobs.maxQueued` jobs may wait (all queues together): beyond, 503 `SlowDown` with `Retry-After`, and no
 *   job is created. No CI source documents a "queue full" code; `SlowDown` is COS's refusal-before-processing code,
 *   which clients (the core included) may retry even for a `POST`.
 */
export async function createJob(
  env: EmulatorEnv,
  store: JobStore,
  bucket: BucketConfig,
  request: JobRequest,
): Promise<Job> {
  let templateName: string | undefined;
  let outputExtension = 'mp4';
  if (request.Tag === 'Transcode') {
    const operation = request.Operation;
    const template = env.templates.transcode(operation.TemplateId, bucket.name);
    if (!template) {
      const message = `Operation.TemplateId: the template ${operation.TemplateId} does not exist.`;
      throw serviceError('InvalidArgument', message);
    }
    templateName = template.name;
    outputExtension = template.container;
    for (const id of operation.WatermarkTemplateId ?? []) {
      if (!env.templates.watermark(id, bucket.name)) {
        const message = `Operation.WatermarkTemplateId: the watermark template ${id} does not exist.`;
        throw serviceError('InvalidArgument', message);
      }
    }
    const output = operation.Output;
    if (hasXmlForbiddenCharacter(output.Object)) {
      throw serviceError('InvalidArgument', 'Operation.Output.Object: the key contains characters that are not allowed.');
    }
    const target = env.buckets.get(output.Bucket);
    if (!target || target.region !== output.Region) {
      throw serviceError(
        'InvalidArgument',
        `Operation.Output: the bucket ${output.Bucket} does not exist in region ${output.Region}.`,
      );
    }
  }
  if (request.CallBack !== undefined && request.CallBack !== 'no') {
    const refusal = new CallbackTargetPolicy(env.options.callbackAllow).refusal(request.CallBack);
    if (refusal !== undefined) throw serviceError('InvalidArgument', sanitize(`CallBack ${refusal}.`));
  }
  const queueId = queueIdFor(bucket.name);
  if (request.QueueId !== undefined && request.QueueId !== queueId) {
    const message = `QueueId: the queue ${request.QueueId} does not exist; this bucket's queue is ${queueId}.`;
    throw serviceError('InvalidArgument', message);
  }
  const queueType = request.QueueType ?? 'Common';
  if (!QUEUE_TYPES.has(queueType)) {
    throw serviceError('InvalidArgument', 'QueueType must be Common or SpeedTranscoding.');
  }
  if (!(await env.objects.head(bucket.name, request.Input.Object))) {
    throw serviceError('ResourceNotFound', 'Input.Object: the input object does not exist in the bucket.');
  }
  const { maxQueued, runMs } = env.options.jobs;
  if ((store.counts()['Submitted'] ?? 0) >= maxQueued) {
    throw serviceError('SlowDown', `The job queue is full: ${maxQueued} jobs are waiting. Please try again later.`, {
      'Retry-After': String(Math.max(1, Math.ceil(runMs / 1000))),
    });
  }
  return {
    id: newJobId(),
    bucket: bucket.name,
    region: bucket.region,
    seq: store.nextSeq(),
    request,
    level: request.Operation.JobLevel ?? 0,
    queueId,
    queueType,
    creationTime: env.clock.now(),
    templateName,
    outputExtension,
    state: 'Submitted',
    progress: 0,
    code: 'Success',
    message: '',
    startTime: undefined,
    endTime: undefined,
    result: {},
  };
}
