import type { Operation } from '../faults/fault-config.js';
import type { Route } from './host-routing.js';
import { hasQueryParam, type RequestContext } from './request-context.js';

/** The CAM action name of each operation, as policies name it. */
export const ACTIONS: Readonly<Record<Operation, string>> = {
  PutObject: 'name/cos:PutObject',
  GetObject: 'name/cos:GetObject',
  HeadObject: 'name/cos:HeadObject',
  DeleteObject: 'name/cos:DeleteObject',
  InitiateMultipartUpload: 'name/cos:InitiateMultipartUpload',
  UploadPart: 'name/cos:UploadPart',
  ListParts: 'name/cos:ListParts',
  ListMultipartUploads: 'name/cos:ListMultipartUploads',
  CompleteMultipartUpload: 'name/cos:CompleteMultipartUpload',
  AbortMultipartUpload: 'name/cos:AbortMultipartUpload',
  CreateMediaJobs: 'name/ci:CreateMediaJobs',
  DescribeMediaJob: 'name/ci:DescribeMediaJob',
  DescribeMediaJobs: 'name/ci:DescribeMediaJobs',
  CancelMediaJob: 'name/ci:CancelMediaJob',
  CreateMediaTemplate: 'name/ci:CreateMediaTemplate',
  DescribeMediaTemplates: 'name/ci:DescribeMediaTemplates',
  UpdateMediaTemplate: 'name/ci:UpdateMediaTemplate',
  DeleteMediaTemplate: 'name/ci:DeleteMediaTemplate',
  GetFederationToken: 'name/sts:GetFederationToken',
};

type Request = Pick<RequestContext, 'method' | 'pathname' | 'query'> & { route: Route };

function cosOperation(ctx: Request): Operation | undefined {
  const onObject = ctx.pathname.length > 1;
  const uploadId = hasQueryParam(ctx, 'uploadId');
  switch (ctx.method) {
    case 'PUT':
      if (!onObject) return undefined;
      return uploadId || hasQueryParam(ctx, 'partNumber') ? 'UploadPart' : 'PutObject';
    case 'GET':
      if (!onObject) return hasQueryParam(ctx, 'uploads') ? 'ListMultipartUploads' : undefined;
      return uploadId ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return onObject ? 'HeadObject' : undefined;
    case 'DELETE':
      if (!onObject) return undefined;
      return uploadId ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (!onObject) return undefined;
      if (hasQueryParam(ctx, 'uploads')) return 'InitiateMultipartUpload';
      return uploadId ? 'CompleteMultipartUpload' : undefined;
    default:
      return undefined;
  }
}

function ciOperation(ctx: Request): Operation | undefined {
  const path = ctx.pathname.replace(/\/+$/, '');
  if (path === '/template') {
    if (ctx.method === 'POST') return 'CreateMediaTemplate';
    if (ctx.method === 'GET') return 'DescribeMediaTemplates';
    return undefined;
  }
  if (path.startsWith('/template/')) {
    if (ctx.method === 'PUT') return 'UpdateMediaTemplate';
    if (ctx.method === 'DELETE') return 'DeleteMediaTemplate';
    return undefined;
  }
  if (path === '/jobs') {
    if (ctx.method === 'POST') return 'CreateMediaJobs';
    if (ctx.method === 'GET') return 'DescribeMediaJobs';
    return undefined;
  }
  if (!path.startsWith('/jobs/')) return undefined;
  if (ctx.method === 'GET') return 'DescribeMediaJob';
  if (ctx.method === 'PUT' && hasQueryParam(ctx, 'cancel')) return 'CancelMediaJob';
  return undefined;
}

/** The operation a routed request asks for, or `undefined` when the emulator does not serve it. */
export function identifyOperation(ctx: Request): Operation | undefined {
  switch (ctx.route.kind) {
    case 'cos':
      return cosOperation(ctx);
    case 'ci':
      return ciOperation(ctx);
    case 'sts':
      return ctx.method === 'POST' || ctx.method === 'GET' ? 'GetFederationToken' : undefined;
    default:
      return undefined;
  }
}

/**
 * The CAM resource a request acts on. Bucket-level listings are checked against the listed `prefix`, so that a
 * policy limited to `input/*` may list the uploads under `input/` (emulator choice). CI requests name
 * `bucket/<bucket>/job/<id or *>` or `bucket/<bucket>/template/<id or *>`.
 */
export function resourceOf(
  ctx: Request,
  route: { kind: 'cos' | 'ci'; bucket: string; region: string },
  appId: string,
  operation: Operation,
): string {
  if (route.kind === 'ci') {
    const [kind, prefix] = ctx.pathname.startsWith('/template') ? ['template', '/template/'] : ['job', '/jobs/'];
    const id = ctx.pathname.startsWith(prefix) ? ctx.pathname.slice(prefix.length) : '*';
    return `qcs::ci:${route.region}:uid/${appId}:bucket/${route.bucket}/${kind}/${id}`;
  }
  const key = operation === 'ListMultipartUploads' ? (ctx.query.get('prefix') ?? '') : ctx.pathname.slice(1);
  return `qcs::cos:${route.region}:uid/${appId}:${route.bucket}/${key}`;
}
