import { BUCKET_PATTERN, REGION_PATTERN } from '../../core/transport/endpoint.js';

/** Which service a request's `Host` names. */
export type Route =
  | { kind: 'cos' | 'ci'; bucket: string; region: string }
  | { kind: 'sts' }
  | { kind: 'base' };

/**
 * Routes by `Host`, as the cloud does: `<bucket>.cos.<region>.<any domain>` is COS, `<bucket>.ci.<region>.<any
 * domain>` is CI, `sts.<any domain>` is STS; anything else (`localhost`, `127.0.0.1`) is the emulator's base host,
 * which serves the admin endpoint. Returns `undefined` for a missing or malformed `Host`.
 */
export function routeHost(host: string | undefined): Route | undefined {
  if (!host) return undefined;
  const name = host
    .trim()
    .toLowerCase()
    .replace(/:\d{1,5}$/, '');
  if (!/^[a-z0-9.[\]:-]+$/.test(name)) return undefined;
  const labels = name.split('.');
  const [bucket, service, region] = labels;
  if (
    labels.length >= 4 &&
    (service === 'cos' || service === 'ci') &&
    bucket !== undefined &&
    BUCKET_PATTERN.test(bucket) &&
    region !== undefined &&
    REGION_PATTERN.test(region)
  ) {
    return { kind: service, bucket, region };
  }
  if (labels.length >= 2 && labels[0] === 'sts') return { kind: 'sts' };
  return { kind: 'base' };
}
