import * as z from 'zod/mini';
import { container, numeric, oneOrMany, requiredOr } from './schema-helpers.js';
import {
  DigitalWatermarkSchema,
  ExtractDigitalWatermarkSchema,
  RemoveWatermarkSchema,
  WatermarkSchema,
} from './watermark.js';

/*
 * Schemas of `POST /jobs` request bodies. Field names are the service's own (PascalCase), so every field can be
 * looked up in the CI documentation. The same schemas validate a caller's typed input before a body is built
 * and parse a submitted body back (the emulator's side), so they accept the wire's strings ("0", "false") as well
 * as numbers and booleans. Unknown fields are dropped.
 */

const encoder = new TextEncoder();
const MAX_KEY_BYTES = 850;

const ruled = (rule: string, test: (value: string) => boolean) => z.refine<string>(test, { error: rule, abort: true });

const requiredString = () => z.string({ error: requiredOr('must be text') });

/**
 * An object key in the bound bucket. A leading `/` is rejected rather than stripped: every documented example
 * has none, and silently changing the key would hide a caller's mistake.
 */
const objectKey = (placeholders: boolean) =>
  requiredString().check(
    ruled('must not be empty', (value) => value.length > 0),
    ruled("must not start with '/'", (value) => !value.startsWith('/')),
    ruled('must not contain control characters', (value) => !/[\u0000-\u001f\u007f]/.test(value)),
    ruled(`must be at most ${MAX_KEY_BYTES} bytes of UTF-8`, (value) => encoder.encode(value).length <= MAX_KEY_BYTES),
    ruled(
      placeholders ? 'may only use the placeholders ${ext} and ${jobid}' : 'must not contain ${...} placeholders',
      (value) => !(placeholders ? value.replace(/\$\{(?:ext|jobid)\}/g, '') : value).includes('${'),
    ),
  );

const token = (rule: string, pattern: RegExp) => requiredString().check(ruled(rule, (value) => pattern.test(value)));

/** A template id (`t1` + 32 hex in the documentation). */
export const TemplateIdSchema = token('must be a template id (letters, digits, _ or -)', /^[A-Za-z0-9_-]{1,64}$/);

/** `Input` of a job: the object in the bucket bound to CI. */
export const JobInputSchema = container({ Object: objectKey(false) });
/** The input object of a job. */
export type JobInput = z.output<typeof JobInputSchema>;

/** `Operation.Output`: where the result goes; `Object` may contain `${ext}` and `${jobid}`. */
export const JobOutputSchema = container({
  Region: token('must be a region such as ap-chongqing', /^[a-z]{2,}(?:-[a-z0-9]+){1,3}$/),
  Bucket: token('must be a bucket such as examplebucket-1250000000', /^[a-z0-9][a-z0-9-]{0,48}-\d{1,20}$/),
  Object: objectKey(true),
});
/** Where a job writes its result. */
export type JobOutput = z.output<typeof JobOutputSchema>;

/** `Operation.UserData`: passed through to the result and the callback; printable ASCII, at most 1024 characters. */
export const UserDataSchema = requiredString().check(
  z.maxLength(1024, { error: 'must be at most 1024 characters' }),
  ruled('must be printable ASCII (0x20-0x7E)', (value) => /^[\x20-\x7E]*$/.test(value)),
);

/** `Operation.JobLevel`: priority 0 (default), 1 or 2. */
export const JobLevelSchema = z.pipe(
  numeric,
  z.custom<0 | 1 | 2>((value) => value === 0 || value === 1 || value === 2, { error: 'must be 0, 1 or 2' }),
);
/** A job priority. */
export type JobLevel = z.output<typeof JobLevelSchema>;

/** `CallBackMqConfig`: the TDMQ queue or topic that receives the callback. */
export const CallBackMqConfigSchema = container({
  MqRegion: z.enum(['sh', 'bj', 'gz', 'cd', 'hk'], { error: requiredOr('must be one of sh, bj, gz, cd, hk') }),
  MqMode: z.optional(z.enum(['Queue', 'Topic'], { error: 'must be one of Queue, Topic' })),
  MqName: token('must be a queue or topic name (letters, digits, _, . or -)', /^[A-Za-z0-9_.-]{1,128}$/),
});
/** Where a TDMQ callback goes. */
export type CallBackMqConfig = z.output<typeof CallBackMqConfigSchema>;

/** Queue and callback fields shared by every job request, in the documented element order. */
const notificationShape = {
  QueueId: z.optional(token('must be a queue id (letters, digits, _ or -)', /^[A-Za-z0-9_-]{1,64}$/)),
  QueueType: z.optional(token('must be a queue type such as SpeedTranscoding', /^[A-Za-z]{1,64}$/)),
  CallBack: z.optional(
    token('must be an http(s) URL of printable ASCII without spaces, or no', /^(?:no|https?:\/\/[\x21-\x7E]{1,1024})$/),
  ),
  CallBackFormat: z.optional(z.enum(['JSON', 'XML'], { error: 'must be one of JSON, XML' })),
  CallBackType: z.optional(z.enum(['Url', 'TDMQ'], { error: 'must be one of Url, TDMQ' })),
  CallBackMqConfig: z.optional(CallBackMqConfigSchema),
};

/** Queue and callback fields shared by every job request. */
export interface JobNotification {
  /** The queue to run in; the bucket's default queue when absent. */
  QueueId?: string | undefined;
  /** `SpeedTranscoding` for speed transcoding. */
  QueueType?: string | undefined;
  /** Callback URL, overriding the queue's; `no` suppresses the queue's callback. */
  CallBack?: string | undefined;
  /** Callback body format. @default 'XML' */
  CallBackFormat?: 'JSON' | 'XML' | undefined;
  /** Callback channel. @default 'Url' */
  CallBackType?: 'Url' | 'TDMQ' | undefined;
  /** Required when `CallBackType` is `TDMQ`. */
  CallBackMqConfig?: CallBackMqConfig | undefined;
}

const requireMqConfig = z.superRefine((request: JobNotification, ctx) => {
  if (request.CallBackType === 'TDMQ' && request.CallBackMqConfig === undefined) {
    const message = 'is required when CallBackType is TDMQ';
    ctx.issues.push({ code: 'custom', message, input: request, path: ['CallBackMqConfig'] });
  }
});

/**
 * A `Tag=Transcode` job: transcode `Input.Object` with template `Operation.TemplateId`, optionally with up to three
 * watermark templates, up to three inline watermarks, a removed watermark and an invisible digital watermark.
 */
export const TranscodeJobInputSchema = container({
  Tag: z.optional(z.enum(['Transcode'], { error: 'must be Transcode' })),
  Input: JobInputSchema,
  Operation: container({
    TemplateId: TemplateIdSchema,
    Watermark: z.optional(oneOrMany(WatermarkSchema).check(z.maxLength(3, { error: 'must have at most 3 items' }))),
    WatermarkTemplateId: z.optional(
      oneOrMany(TemplateIdSchema).check(z.maxLength(3, { error: 'must have at most 3 items' })),
    ),
    RemoveWatermark: z.optional(RemoveWatermarkSchema),
    DigitalWatermark: z.optional(DigitalWatermarkSchema),
    Output: JobOutputSchema,
    UserData: z.optional(UserDataSchema),
    JobLevel: z.optional(JobLevelSchema),
  }),
  ...notificationShape,
}).check(requireMqConfig);
/** A transcode job, as {@link buildTranscodeJobRequest} takes it (and as the emulator reads a submitted one back). */
export type TranscodeJobInput = z.output<typeof TranscodeJobInputSchema>;

/**
 * A `Tag=ExtractDigitalWatermark` job: read the invisible watermark of `Input.Object`; the result is in
 * `Operation.ExtractDigitalWatermark.Message` of the finished job.
 */
export const ExtractDigitalWatermarkJobInputSchema = container({
  Tag: z.optional(z.enum(['ExtractDigitalWatermark'], { error: 'must be ExtractDigitalWatermark' })),
  Input: JobInputSchema,
  Operation: container({
    ExtractDigitalWatermark: ExtractDigitalWatermarkSchema,
    UserData: z.optional(UserDataSchema),
    JobLevel: z.optional(JobLevelSchema),
  }),
  ...notificationShape,
}).check(requireMqConfig);
/** A digital-watermark extraction job. */
export type ExtractDigitalWatermarkJobInput = z.output<typeof ExtractDigitalWatermarkJobInputSchema>;

/** A parsed `POST /jobs` body, discriminated by `Tag`. */
export type JobRequest =
  | (TranscodeJobInput & { Tag: 'Transcode' })
  | (ExtractDigitalWatermarkJobInput & { Tag: 'ExtractDigitalWatermark' });
