import * as z from 'zod/mini';

/** The operations faults and policies name, in the service's own words. */
export const OPERATIONS = [
  'PutObject',
  'GetObject',
  'HeadObject',
  'DeleteObject',
  'InitiateMultipartUpload',
  'UploadPart',
  'ListParts',
  'ListMultipartUploads',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'CreateMediaJobs',
  'DescribeMediaJob',
  'DescribeMediaJobs',
  'CancelMediaJob',
  'CreateMediaTemplate',
  'DescribeMediaTemplates',
  'UpdateMediaTemplate',
  'DeleteMediaTemplate',
  'GetFederationToken',
] as const;

/** One operation the emulator serves. */
export type Operation = (typeof OPERATIONS)[number];

const rate = z.number().check(z.gte(0), z.lte(1));

/**
 * One fault rule. Each injection is decided per request with the rule's rates; a rule stops injecting after `limit`
 * injections, so that every fault loop is bounded.
 */
export const FaultRuleSchema = z.object({
  /** Operations the rule applies to. @default every operation */
  operations: z.optional(z.array(z.enum(OPERATIONS))),
  /**
   * Only requests whose key starts with this, so that concurrent tests under other keys are left alone. The key is
   * a COS request's decoded object key (for `ListMultipartUploads`, its `prefix` query parameter), a
   * `CreateMediaJobs`' `Input.Object` (a body that does not parse has none), and a `DescribeMediaJobs`'
   * `inputObject` query parameter (a listing without it has none); other CI requests and STS requests have none,
   * and never match a rule that names a `keyPrefix`. @default every key
   */
  keyPrefix: z.optional(z.string().check(z.maxLength(1024))),
  /** Share of requests answered with `error` instead of being processed. */
  errorRate: z.optional(rate),
  /** The injected error: 500 `InternalError` or 503 `SlowDown` (with `Retry-After: 1`). @default 'InternalError' */
  error: z.optional(z.enum(['InternalError', 'SlowDown'])),
  /** Share of requests whose connection is closed before they are processed (nothing happens on the server). */
  dropBeforeRate: z.optional(rate),
  /**
   * Share of requests processed in full whose connection is then closed instead of answered (the reply is lost).
   * Note that a browser resends a request on its own when a reused keep-alive connection closes before the first
   * byte of the answer (it takes it for a connection the server had closed while idle), so from a page this can
   * process a `POST` twice; see `cutReplyRate` for a lost answer the page does see.
   */
  dropAfterRate: z.optional(rate),
  /**
   * Share of requests processed in full whose reply is cut: the status line, the headers and half of the body are
   * sent, then the connection is closed. The client gets a network error and no usable answer; browsers do not
   * resend such a request. A reply without a body is dropped whole, as with `dropAfterRate`.
   */
  cutReplyRate: z.optional(rate),
  /**
   * Share of successful replies carrying `x-cos-hash-crc64ecma` (PUT / GET / HEAD Object, UploadPart, Complete) whose
   * CRC is wrong; other operations never draw it.
   */
  corruptCrcRate: z.optional(rate),
  /** Milliseconds added before each request is processed. */
  latencyMs: z.optional(z.int().check(z.gte(0), z.lte(60_000))),
  /**
   * Bytes per second for request and response bodies, shared by the concurrent requests the rule covers (one token
   * bucket per rule; a single wait is capped at 10 s).
   */
  bandwidth: z.optional(z.int().check(z.gte(1024))),
  /**
   * Injections (errors, drops, corruptions) after which the rule stops injecting; `latencyMs` and `bandwidth` apply
   * to every request and never use it up. @default 1000
   */
  limit: z.optional(z.int().check(z.gte(0), z.lte(1_000_000))),
});
/** One fault rule, as given. */
export type FaultRule = z.output<typeof FaultRuleSchema>;

/** Jobs forced to fail. */
export const JobFailureSchema = z.object({
  /** Share of jobs that fail. @default 1 */
  rate: z.optional(rate),
  /** Jobs that may still be failed. @default 1000 */
  limit: z.optional(z.int().check(z.gte(0), z.lte(1_000_000))),
  /** `JobsDetail.Code` of a failed job. @default 'InternalError' */
  code: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.]{1,64}$/))),
  /** `JobsDetail.Message` of a failed job. @default 'Injected failure' */
  message: z.optional(z.string().check(z.maxLength(512))),
});

/** Every fault the emulator can inject; all off by default. */
export const FaultConfigSchema = z.object({
  rules: z.optional(z.array(FaultRuleSchema).check(z.maxLength(64))),
  /** Seconds added to the emulator's clock (its `Date` header, signature windows, STS expiry and job times). */
  clockOffsetSeconds: z.optional(z.int().check(z.gte(-86_400 * 365), z.lte(86_400 * 365))),
  /** Jobs that end `Failed`. */
  failJobs: z.optional(JobFailureSchema),
  /** Seed of the pseudo-random decisions, so that a run can be replayed. @default 1 */
  seed: z.optional(z.int()),
});
/** The emulator's faults, as given. */
export type FaultConfig = z.output<typeof FaultConfigSchema>;
