import * as z from 'zod/mini';
import type { Phase } from '../errors.js';
import { parseCosDocument, type ResponseContext } from './cos-document.js';
import { JobState } from './job-state.js';
import { MediaInfoSchema, MediaResultSchema } from './media-info.js';
import {
  container,
  identifier,
  looseBoolean,
  looseNumber,
  numberInRange,
  oneOrMany,
  optionalText,
  plainRecord,
  requiredOr,
  serviceTime,
  text,
} from './schema-helpers.js';
import { toWireNode } from './wire.js';
import { buildXml } from './xml.js';

/*
 * What CI reports about jobs. Lenient where the service varies (unknown fields dropped, echo fields optional,
 * empty elements empty), strict on what the tracker relies on: JobId (it goes into URLs), Tag, State, Progress.
 */

/** An echoed watermark: the request's fields as the service reports them, kept as text. */
export const WatermarkEchoSchema = container({
  Type: optionalText,
  Pos: optionalText,
  LocMode: optionalText,
  Dx: optionalText,
  Dy: optionalText,
  StartTime: optionalText,
  EndTime: optionalText,
  SlideConfig: z.optional(container({ SlideMode: optionalText, XSlideSpeed: optionalText, YSlideSpeed: optionalText })),
  Image: z.optional(
    container({
      Url: optionalText,
      Mode: optionalText,
      Width: optionalText,
      Height: optionalText,
      Transparency: optionalText,
      Background: optionalText,
    }),
  ),
  Text: z.optional(
    container({
      FontSize: optionalText,
      FontType: optionalText,
      FontColor: optionalText,
      Transparency: optionalText,
      Text: optionalText,
    }),
  ),
});
/** An echoed visible watermark. */
export type WatermarkEcho = z.output<typeof WatermarkEchoSchema>;

/** `Operation.DigitalWatermark` of a job: the request plus the embedding `State` (`Running`, `Success`, `Failed`). */
export const DigitalWatermarkResultSchema = container({
  Type: optionalText,
  Message: optionalText,
  Version: optionalText,
  IgnoreError: looseBoolean,
  State: optionalText,
});
/** The digital watermark of a job and whether it was embedded. */
export type DigitalWatermarkResult = z.output<typeof DigitalWatermarkResultSchema>;

/** `Operation.ExtractDigitalWatermark` of a job: `Message` is the extracted text once the job succeeded. */
export const ExtractDigitalWatermarkResultSchema = container({
  Type: optionalText,
  Version: optionalText,
  Message: optionalText,
});
/** The extraction settings and, when finished, the extracted text. */
export type ExtractDigitalWatermarkResult = z.output<typeof ExtractDigitalWatermarkResultSchema>;

/**
 * An inline `Transcode` block echoed by the service, kept as a plain tree of text (its many codec parameters are
 * only displayed, never interpreted here).
 */
export const TranscodeEchoSchema = z.pipe(
  z.transform((value: unknown) => (typeof value === 'string' && value.trim() === '' ? {} : value)),
  plainRecord('must be an element with children'),
);

/** `JobsDetail.Operation`: the echo of the submitted operation plus, when finished, its results. */
export const JobOperationSchema = container({
  TemplateId: optionalText,
  TemplateName: optionalText,
  WatermarkTemplateId: oneOrMany(text),
  Watermark: oneOrMany(WatermarkEchoSchema),
  Transcode: z.optional(TranscodeEchoSchema),
  RemoveWatermark: z.optional(
    container({ Dx: looseNumber, Dy: looseNumber, Width: looseNumber, Height: looseNumber }),
  ),
  DigitalWatermark: z.optional(DigitalWatermarkResultSchema),
  ExtractDigitalWatermark: z.optional(ExtractDigitalWatermarkResultSchema),
  Output: z.optional(container({ Region: optionalText, Bucket: optionalText, Object: optionalText })),
  UserData: optionalText,
  JobLevel: looseNumber,
  FreeTranscode: looseBoolean,
  MediaInfo: z.optional(MediaInfoSchema),
  MediaResult: z.optional(MediaResultSchema),
});
/** The operation of a job as the service reports it. */
export type JobOperation = z.output<typeof JobOperationSchema>;

/** `JobsDetail.State`, one of the {@link JobState} values. */
export const JobStateSchema = z.enum(JobState, {
  error: requiredOr('must be one of Submitted, Running, Success, Failed, Pause, Cancel'),
});

/** One `JobsDetail`: a job's identity, state, timing, input and operation. */
export const JobsDetailSchema = container({
  /** `Success`, or the failure code when `State` is `Failed`. */
  Code: optionalText,
  /** Free text; meaningful when `State` is `Failed`. */
  Message: optionalText,
  JobId: identifier(/^[A-Za-z0-9_-]{1,128}$/, 'must be a job id (letters, digits, _ or -)'),
  Tag: identifier(/^[A-Za-z0-9_]{1,64}$/, 'must be a job tag such as Transcode'),
  SubTag: optionalText,
  State: JobStateSchema,
  /** Percent, 0..100. */
  Progress: z.optional(
    z.pipe(
      z.transform((value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value)),
      z.optional(numberInRange(0, 100)),
    ),
  ),
  /** `null` when the service reports `-` (not yet). */
  CreationTime: serviceTime,
  StartTime: serviceTime,
  EndTime: serviceTime,
  QueueId: optionalText,
  QueueType: optionalText,
  Input: z.optional(
    container({
      BucketId: optionalText,
      Object: optionalText,
      Region: optionalText,
      Url: optionalText,
      /** Only for jobs a workflow started. */
      CosHeaders: oneOrMany(container({ Key: optionalText, Value: optionalText })),
    }),
  ),
  Operation: z.optional(JobOperationSchema),
  /** Only for jobs a workflow started. */
  Workflow: z.optional(
    container({ RunId: optionalText, WorkflowId: optionalText, WorkflowName: optionalText, Name: optionalText }),
  ),
});
/** A job as the service reports it in API responses and callbacks. */
export type JobsDetail = z.output<typeof JobsDetailSchema>;

/**
 * The `<Response>` of `POST /jobs`, `GET /jobs/<ids>` and `GET /jobs?…`: `JobsDetail` and `NonExistJobIds` are
 * always arrays (empty when absent).
 */
export const JobsResponseSchema = container({
  JobsDetail: oneOrMany(JobsDetailSchema),
  NonExistJobIds: oneOrMany(text),
  NextToken: optionalText,
});
/** A parsed jobs `<Response>`. */
export type JobsResponse = z.output<typeof JobsResponseSchema>;

/**
 * Parses a CI jobs response body. Throws like {@link parseCosDocument}: `service` for an `<Error>` body,
 * `invalid-response` for anything that is not a valid `<Response>`.
 *
 * @example
 * ```ts
 * const { JobsDetail: [job] } = parseJobsResponse(body, 'submit', { operation: 'SubmitJob', requestId });
 * ```
 */
export const parseJobsResponse = (text: string, phase: Phase, context?: ResponseContext): JobsResponse =>
  parseCosDocument(text, 'Response', JobsResponseSchema, phase, { operation: 'Jobs', ...context });

/**
 * Serialises a jobs response the way the service writes it (the emulator's side): times `null` → `-`, numbers
 * and booleans as text, absent fields omitted.
 */
export function buildJobsResponse(response: JobsResponse): string {
  return buildXml({ Response: toWireNode(response) });
}
