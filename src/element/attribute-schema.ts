// The checks of <cos-transcoder>'s attributes, run when work starts (in the lazily loaded pipeline chunk). Each
// issue names the attribute, so the element can show "template-id: is required for a Transcode job".
import * as z from 'zod/mini';
import { parseSize } from './size.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
type Rule = readonly [pattern: RegExp, error: string];

const ruled = ([pattern, error]: Rule) => z.regex(pattern, { error });
/** A present attribute: not absent, not empty, and following `rule`. */
const required = (rule: Rule) =>
  z.string({ error: 'is required' }).check(z.minLength(1, { error: 'is required' }), ruled(rule));
/** An attribute that may be absent (`null`), or a string `test` accepts. */
const absentOr = (test: (value: string) => boolean, error = 'must be text') =>
  z.custom<string | null>((value) => value === null || (typeof value === 'string' && test(value)), { error });
/** An attribute that may be absent, but follows `rule` when present. */
const optional = ([pattern, error]: Rule) => absentOr((value) => pattern.test(value), error);

const bucket: Rule = [/^[a-z0-9][a-z0-9-]{0,48}-\d{1,20}$/, 'must be a bucket name with its APPID, like examplebucket-1250000000'];
const region: Rule = [/^[a-z]{2,}(?:-[a-z0-9]+){1,3}$/, 'must be a region, like ap-guangzhou'];
const key: Rule = [/^[^/\u0000-\u001f\u007f][^\u0000-\u001f\u007f]*$/, "must be an object key, not starting with '/'"];
const domain: Rule = [/^[A-Za-z0-9.{}_-]+(?::\d{1,5})?$/, 'must be a host name template, like {Bucket}.cos.{Region}.myqcloud.com'];
const url: Rule = [/^(?:https?:\/\/|\/|\.{1,2}\/)[\x21-\x7E]*$/, 'must be an http(s) URL or a path on this site'];

/** The attributes as written, checked. */
export const AttributesSchema = z
  .object({
    bucket: required(bucket),
    region: required(region),
    'file-key': required(key),
    'template-id': optional([ID, 'must be a template id (letters, digits, _ or -)']),
    'auth-url': optional(url),
    'output-key': optional(key),
    'output-bucket': optional(bucket),
    'output-region': optional(region),
    'watermark-template-ids': optional(
      [/^\s*(?:[A-Za-z0-9_-]{1,64}(?:\s+|$)){1,3}$/, 'must be up to 3 template ids, separated by spaces'],
    ),
    'digital-watermark': optional(
      [/^[\p{Script=Han}A-Za-z0-9_*-]{1,64}$/u, 'must be 1 to 64 Chinese characters, letters, digits, _, - or *'],
    ),
    'user-data': optional([/^[\x20-\x7E]{0,1024}$/, 'must be at most 1024 printable ASCII characters']),
    'job-level': optional([/^[012]$/, 'must be 0, 1 or 2']),
    'callback-url': optional([/^https?:\/\/[\x21-\x7E]{1,1024}$/, 'must be an http(s) URL']),
    'callback-format': optional([/^(JSON|XML)$/, 'must be JSON or XML']),
    'job-tag': optional([/^(Transcode|ExtractDigitalWatermark)$/, 'must be Transcode or ExtractDigitalWatermark']),
    accept: absentOr(() => true),
    'max-file-size': absentOr((value) => parseSize(value) !== undefined, 'must be a size, like 500MB or 2GiB'),
    'cos-domain': optional(domain),
    'ci-domain': optional(domain),
    protocol: optional([/^https?$/, 'must be https or http']),
    'events-url': optional(url),
  })
  .check(
    z.superRefine((value, ctx) => {
      const extract = value['job-tag'] === 'ExtractDigitalWatermark';
      if (!extract && !value['template-id']) {
        ctx.issues.push({ code: 'custom', message: 'is required for a Transcode job', input: null, path: ['template-id'] });
      }
    }),
  );

/** Checked attributes. */
export type Attributes = z.output<typeof AttributesSchema>;
