/**
 * The CI template API of a bucket's CI host, for transcode and watermark templates:
 *
 * - `POST /template` (CreateMediaTemplate): body as in `template-request.ts`; answers
 *   `<Response><Template>…</Template></Response>` with `TemplateId` (`t1` + 32 hex), `Tag`, `Name`, `BucketId`,
 *   `Category` (`Custom`), `CreateTime`, `UpdateTime` and the parameters: `Watermark` for a watermark template,
 *   `TransTpl{Container, Video, Audio}` for a transcode template.
 * - `GET /template` (DescribeMediaTemplates): filters `tag` (Watermark, Transcode; absent: both), `category`
 *   (`Official`: the emulator's built-in templates, `Custom`: the `--templates` file's and the created ones), `ids`
 *   (comma list; unknown ids in `NonExistTIDs.TemplateId`), `name` (a prefix), paged by `pageNumber` (from 1) and
 *   `pageSize` (1..100, 10 by default); answers `RequestId`, `TotalCount`, `PageNumber`, `PageSize`,
 *   `TemplateList*` (same fields as `Template`), in the order built-in, file, created.
 * - `PUT /template/<id>` (UpdateMediaTemplate): the create body; answers like create. Only created templates of
 *   the bucket, with the same `Tag`.
 * - `DELETE /template/<id>` (DeleteMediaTemplate): answers `<Response><RequestId/><TemplateId/></Response>`.
 *   Jobs already submitted with the template fail when they run (`InvalidInput`).
 *
 * Emulator choices where the service is silent: at most {@link MAX_TEMPLATES_PER_BUCKET} created templates per
 * bucket, then 400 `InvalidArgument`; updating or deleting a built-in, file or unknown template is 400
 * `InvalidArgument`; built-in and file templates show the emulator's start as their times.
 *
 * @module
 */

import type { IncomingMessage } from 'node:http';
import { formatServiceTime } from '../clock.js';
import type { EmulatorEnv, Handler } from '../env.js';
import { serviceError } from '../errors.js';
import { replyXml } from '../http/reply.js';
import { queryParam, type RequestContext } from '../http/request-context.js';
import { watermarkToWire } from '../../core/protocol/watermark.js';
import { toWireNode } from '../../core/protocol/wire.js';
import { parseTemplateRequest } from './template-request.js';
import { MAX_TEMPLATES_PER_BUCKET, newTemplateId, type CreatedTemplate, type TemplateStore } from './template-store.js';
import { isBuiltInTemplateId, type TranscodeTemplate, type WatermarkTemplate } from './templates.js';

/** Largest template request body: 64 KiB (a template is a few hundred bytes). */
export const MAX_TEMPLATE_REQUEST_BYTES = 64 * 1024;

const invalid = (message: string) => serviceError('InvalidArgument', message);

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_TEMPLATE_REQUEST_BYTES) {
      const message = `The template request body must be at most ${MAX_TEMPLATE_REQUEST_BYTES} bytes.`;
      throw serviceError('EntityTooLarge', message);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw serviceError('MissingContent', 'The template request has no body.');
  return text;
}

/** One template as the service renders it (in the documented element order). */
interface Listed {
  readonly spec:
    | { readonly kind: 'transcode'; readonly template: TranscodeTemplate }
    | { readonly kind: 'watermark'; readonly template: WatermarkTemplate };
  readonly category: 'Official' | 'Custom';
  readonly createTime: number;
  readonly updateTime: number;
}

function transcodeToWire(template: TranscodeTemplate): Record<string, unknown> {
  const { video, audio } = template;
  return {
    Container: { Format: template.container },
    Video: {
      Codec: video.codec,
      Width: video.width,
      Height: video.height,
      Bitrate: video.bitrate,
      Crf: video.crf,
      Fps: video.fps,
    },
    Audio: { Codec: audio.codec, Samplerate: audio.samplerate, Bitrate: audio.bitrate, Channels: audio.channels },
  };
}

function templateNode(listed: Listed, bucket: string): Record<string, unknown> {
  const { spec } = listed;
  const template = spec.template;
  return toWireNode({
    TemplateId: template.id,
    Tag: spec.kind === 'watermark' ? 'Watermark' : 'Transcode',
    Name: template.name,
    BucketId: bucket,
    Category: listed.category,
    Watermark: spec.kind === 'watermark' ? watermarkToWire(spec.template.watermark) : undefined,
    TransTpl: spec.kind === 'transcode' ? transcodeToWire(spec.template) : undefined,
    CreateTime: formatServiceTime(listed.createTime),
    UpdateTime: formatServiceTime(listed.updateTime),
  });
}

const createdListed = (created: CreatedTemplate): Listed => ({ ...created, category: 'Custom' });

/** The template id after `/template/`, or a 400 naming the path. */
function idOf(ctx: RequestContext): string {
  const id = ctx.pathname.slice('/template/'.length).replace(/\/+$/, '');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw invalid('The template id in the path is not a template id.');
  return id;
}

function pageParam(ctx: RequestContext, name: string, fallback: number, max: number): number {
  const text = queryParam(ctx, name) || String(fallback);
  const value = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= max)) throw invalid(`${name} must be an integer from 1 to ${max}.`);
  return value;
}

/** The handlers of the template API; `loaded` resolves once the data folder's templates are in `store`. */
export function createTemplateHandlers(
  env: EmulatorEnv,
  store: TemplateStore,
  loaded: Promise<void>,
): Record<'CreateMediaTemplate' | 'DescribeMediaTemplates' | 'UpdateMediaTemplate' | 'DeleteMediaTemplate', Handler> {
  const startedAt = env.clock.now();
  const bucketOf = (ctx: RequestContext): string => {
    if (!ctx.bucket) throw serviceError('NoSuchBucket', 'The specified bucket does not exist.');
    return ctx.bucket.name;
  };
  /** Every template `bucket` sees, in listing order. */
  const visible = (bucket: string): Listed[] => {
    const { transcode, watermark } = env.templates.list();
    const all = [
      ...transcode.map((template) => ({ kind: 'transcode' as const, template })),
      ...watermark.map((template) => ({ kind: 'watermark' as const, template })),
    ];
    return all.flatMap((spec): Listed[] => {
      if (spec.template.bucket !== undefined) {
        const created = store.get(bucket, spec.template.id);
        return created ? [createdListed(created)] : [];
      }
      const category = isBuiltInTemplateId(spec.template.id) ? 'Official' : 'Custom';
      return [{ spec, category, createTime: startedAt, updateTime: startedAt }];
    });
  };
  const answer = (ctx: RequestContext, created: CreatedTemplate, bucket: string) =>
    replyXml(ctx, 200, { Response: { Template: templateNode(createdListed(created), bucket) } });

  return {
    CreateMediaTemplate: async (ctx) => {
      await loaded;
      const bucket = bucketOf(ctx);
      const spec = parseTemplateRequest(await readBody(ctx.req), newTemplateId(), bucket);
      if (store.count(bucket) >= MAX_TEMPLATES_PER_BUCKET) {
        throw invalid(`The bucket has reached the limit of ${MAX_TEMPLATES_PER_BUCKET} templates; delete some first.`);
      }
      const now = env.clock.now();
      const created: CreatedTemplate = { spec, bucket, createTime: now, updateTime: now };
      await store.save(created);
      await answer(ctx, created, bucket);
    },

    UpdateMediaTemplate: async (ctx) => {
      await loaded;
      const bucket = bucketOf(ctx);
      const id = idOf(ctx);
      const existing = store.get(bucket, id);
      if (!existing) {
        throw invalid(`The template ${id} does not exist or cannot be modified (built-in or --templates).`);
      }
      const spec = parseTemplateRequest(await readBody(ctx.req), id, bucket);
      if (spec.kind !== existing.spec.kind) throw invalid(`Tag must stay ${existing.spec.kind === 'watermark' ? 'Watermark' : 'Transcode'}.`);
      const updated: CreatedTemplate = { ...existing, spec, updateTime: env.clock.now() };
      await store.save(updated);
      await answer(ctx, updated, bucket);
    },

    DeleteMediaTemplate: async (ctx) => {
      await loaded;
      const bucket = bucketOf(ctx);
      const id = idOf(ctx);
      if (!store.get(bucket, id)) {
        throw invalid(`The template ${id} does not exist or cannot be deleted (built-in or --templates).`);
      }
      await store.remove(id);
      await replyXml(ctx, 200, { Response: { RequestId: ctx.requestId, TemplateId: id } });
    },

    DescribeMediaTemplates: async (ctx) => {
      await loaded;
      const bucket = bucketOf(ctx);
      const tag = queryParam(ctx, 'tag') || undefined;
      if (tag !== undefined && !/^[A-Za-z]{1,64}$/.test(tag)) {
        throw invalid('tag must be a template tag such as Watermark.');
      }
      const category = queryParam(ctx, 'category') || undefined;
      if (category !== undefined && category !== 'Official' && category !== 'Custom') {
        throw invalid('category must be Official or Custom.');
      }
      const ids = (queryParam(ctx, 'ids') ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
      if (ids.length > 100) throw invalid('ids may name at most 100 templates.');
      const name = queryParam(ctx, 'name') || '';
      const pageNumber = pageParam(ctx, 'pageNumber', 1, 100000);
      const pageSize = pageParam(ctx, 'pageSize', 10, 100);
      const matching = visible(bucket).filter(
        (listed) =>
          (tag === undefined || tag.toLowerCase() === listed.spec.kind) &&
          (category === undefined || category === listed.category) &&
          (ids.length === 0 || ids.includes(listed.spec.template.id)) &&
          listed.spec.template.name.startsWith(name),
      );
      const page = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
      const known = new Set(visible(bucket).map((listed) => listed.spec.template.id));
      const missing = [...new Set(ids)]
        .filter((id) => !known.has(id))
        .map((id) => id.replace(/[^\x20-\x7E]/g, '').slice(0, 64));
      const fields: Record<string, unknown> = {
        RequestId: ctx.requestId,
        TotalCount: String(matching.length),
        PageNumber: String(pageNumber),
        PageSize: String(pageSize),
      };
      if (page.length > 0) fields['TemplateList'] = page.map((listed) => templateNode(listed, bucket));
      if (missing.length > 0) fields['NonExistTIDs'] = { TemplateId: missing };
      await replyXml(ctx, 200, { Response: fields });
    },
  };
}
