import { isTranscoderError, type TranscoderError } from '../../src/core/errors.js';
import { SkewCorrectedClock } from '../../src/core/transport/clock.js';
import { ServiceClient, type ServiceClientOptions } from '../../src/core/transport/service-client.js';
import { FakeAuthorizer } from './fake-authorizer.js';
import { FakeTransport, type RecordedRequest } from './fake-transport.js';

export const BUCKET = 'examplebucket-1250000000';
export const REGION = 'ap-guangzhou';
export const COS_HOST = `${BUCKET}.cos.${REGION}.myqcloud.com`;
export const CI_HOST = `${BUCKET}.ci.${REGION}.myqcloud.com`;
/** `POST /jobs`, with nothing said about idempotency (so not idempotent, as every POST). */
export const SUBMIT_JOB = {
  service: 'ci',
  method: 'POST',
  pathname: '/jobs',
  headers: { 'content-type': 'application/xml' },
  body: '<Request><Tag>Transcode</Tag></Request>',
  action: 'name/ci:CreateMediaJobs',
  phase: 'submit',
} as const;

export const NOW = Date.UTC(2024, 4, 16, 6, 45, 51);

/**
 * A client over a scripted transport and a fake authorizer, with a fixed clock (the authorizer's, which the client
 * takes from it) and 1 ms retry delays.
 */
export function setup(
  options: Partial<Omit<ServiceClientOptions, 'authorizer'>> & { authorizer?: FakeAuthorizer } = {},
) {
  const clock = options.clock ?? options.authorizer?.clock ?? new SkewCorrectedClock(() => NOW);
  const transport = new FakeTransport();
  const authorizer = options.authorizer ?? new FakeAuthorizer({ clock });
  const client = new ServiceClient({
    transport,
    bucket: BUCKET,
    region: REGION,
    retry: { delays: [1, 1, 1], jitter: 0 },
    ...options,
    authorizer,
  });
  return { clock, transport, authorizer, client };
}

/** The outcome of a promise, never rejecting. */
export async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: TranscoderError }> {
  try {
    return { value: await promise };
  } catch (error) {
    if (!isTranscoderError(error)) throw error;
    return { error };
  }
}

export const put = { service: 'cos', method: 'PUT', action: 'name/cos:PutObject', phase: 'upload' } as const;

export const received = (req: RecordedRequest) => ({
  method: req.method,
  path: req.path,
  query: req.query,
  headers: req.headers,
});
