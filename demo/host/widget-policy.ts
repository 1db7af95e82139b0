// What the widget may do, said once: the CAM actions it sends, the STS policy that grants exactly those on one
// bucket and key prefix, and the same rule checked on a single request before the host signs it with its permanent
// key. A real host copies this file and narrows the prefix per user.
import type { AuthorizationRequest } from '../../src/core/signing/types.js';

/** The CAM actions `<cos-transcoder>` sends (the core's `action` of each request), COS then CI. */
export const WIDGET_ACTIONS = {
  cos: [
    'name/cos:PutObject',
    'name/cos:InitiateMultipartUpload',
    'name/cos:UploadPart',
    'name/cos:ListParts',
    'name/cos:CompleteMultipartUpload',
    'name/cos:AbortMultipartUpload',
    'name/cos:HeadObject',
    'name/cos:GetObject',
  ],
  ci: ['name/ci:CreateMediaJobs', 'name/ci:DescribeMediaJob', 'name/ci:DescribeMediaJobs', 'name/ci:CancelMediaJob'],
} as const;

/** Where the widget may act. */
export interface WidgetScope {
  /** Account id (APPID), the bucket name's suffix. */
  appId: string;
  bucket: string;
  region: string;
  /** Object keys the widget may write and read start with it; `''` is the whole bucket. */
  prefix: string;
}

/**
 * The STS policy for {@link WIDGET_ACTIONS}: objects under `prefix` in the bucket, and the bucket's media jobs.
 * `extraCosActions` adds COS actions on the same objects (the test host's `/credentials` adds
 * `name/cos:ListMultipartUploads`, which tests use to see pending uploads and the widget never sends).
 *
 * CAM cannot see inside a `POST /jobs` body: a job may read and write any object of the bucket. A host that must
 * prevent that submits jobs itself (server side) instead of granting `ci:CreateMediaJobs` to the page.
 */
export function widgetPolicy(
  { appId, bucket, region, prefix }: WidgetScope,
  extraCosActions: readonly string[] = [],
): object {
  return {
    version: '2.0',
    statement: [
      {
        effect: 'allow',
        action: [...WIDGET_ACTIONS.cos, ...extraCosActions],
        resource: [`qcs::cos:${region}:uid/${appId}:${bucket}/${prefix}*`],
      },
      {
        effect: 'allow',
        action: [...WIDGET_ACTIONS.ci],
        resource: [`qcs::ci:${region}:uid/${appId}:bucket/${bucket}/job/*`],
      },
    ],
  };
}

/** The CAM action a COS or CI request performs, from its method, path and query (never from what it claims). */
export function actionOf(request: Pick<AuthorizationRequest, 'service' | 'method' | 'pathname' | 'query'>): string | undefined {
  const { method, pathname, query } = request;
  const has = (name: string) => Object.keys(query).some((param) => param.toLowerCase() === name.toLowerCase());
  if (request.service === 'ci') {
    if (pathname === '/jobs') return method === 'POST' ? 'name/ci:CreateMediaJobs' : method === 'GET' ? 'name/ci:DescribeMediaJobs' : undefined;
    if (!/^\/jobs\/[^/]+$/.test(pathname)) return undefined;
    if (method === 'GET') return 'name/ci:DescribeMediaJob';
    return method === 'PUT' && has('cancel') ? 'name/ci:CancelMediaJob' : undefined;
  }
  if (pathname.length < 2) return undefined; // bucket-level operations: none of the widget's
  switch (method) {
    case 'PUT':
      return has('uploadId') || has('partNumber') ? 'name/cos:UploadPart' : 'name/cos:PutObject';
    case 'GET':
      return has('uploadId') ? 'name/cos:ListParts' : 'name/cos:GetObject';
    case 'HEAD':
      return 'name/cos:HeadObject';
    case 'DELETE':
      return has('uploadId') ? 'name/cos:AbortMultipartUpload' : 'name/cos:DeleteObject';
    case 'POST':
      return has('uploads') ? 'name/cos:InitiateMultipartUpload' : has('uploadId') ? 'name/cos:CompleteMultipartUpload' : undefined;
    default:
      return undefined;
  }
}

/**
 * Headers the host refuses to sign even on an allowed action: a copy source reads an object the policy does not
 * cover, and ACL grants would publish the object.
 */
const REFUSED_HEADERS = /^(x-cos-copy-source.*|x-cos-acl|x-cos-grant-.*)$/;

/**
 * Whether the host may sign `request` for the page: the request's own method, path and query make one of
 * {@link WIDGET_ACTIONS} (the same as its `action`), on the scope's bucket and region, at the service's host
 * (`hosts`), on a key under the prefix, without refused headers. Returns why not, or `undefined` when allowed.
 */
export function refusal(
  request: AuthorizationRequest,
  scope: WidgetScope,
  hosts: { cos: string; ci: string },
): string | undefined {
  if (request.bucket !== scope.bucket || request.region !== scope.region) return 'The bucket or region is not the one this host signs for';
  const expectedHost = hosts[request.service].toLowerCase();
  const signedHost = request.headers['host']?.toLowerCase();
  if (request.host.toLowerCase() !== expectedHost || signedHost !== expectedHost) return 'The request is not for the bucket host';
  const action = actionOf(request);
  const allowed: readonly string[] = WIDGET_ACTIONS[request.service];
  if (action === undefined || !allowed.includes(action)) return 'The widget does not need this operation';
  if (action !== request.action) return 'The request does not match its action';
  if (Object.keys(request.headers).some((name) => REFUSED_HEADERS.test(name.toLowerCase()))) {
    return 'The request carries a header the host does not sign';
  }
  if (request.service === 'cos') {
    const key = request.pathname.slice(1);
    if (request.key !== undefined && request.key !== key) return 'The request does not match its key';
    // COS keys are literal, but proxies and CDNs in front of a bucket may not treat dot segments so.
    if (key.split('/').some((segment) => segment === '.' || segment === '..')) return 'The key has dot segments';
    if (!key.startsWith(scope.prefix)) return `The key is outside ${scope.prefix}`;
  }
  return undefined;
}
