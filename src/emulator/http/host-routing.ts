import { BUCKET_PATTERN, REGION_PATTERN } from '../../core/transport/endpoint.js';

/** Which service a request's `Host` names. */
export type Route =
  | { kind: 'cos' | 'ci'; bucket: string; region: string }
  | { kind: 'sts' }
  | { kind: 'base' };

/** A `Host` header's name: lower case, without its port; `undefined` when missing or malformed. */
export function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const name = host
    .trim()
    .toLowerCase()
    .replace(/:\d{1,5}$/, '');
  return /^[a-z0-9.[\]:-]+$/.test(name) ? name : undefined;
}

/** Whether `name` is a loopback name: `localhost`, `*.localhost`, a 127.0.0.0/8 address or `[::1]`. */
export function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (name === '[::1]' || name === '::1') return true;
  const v4 = name.replace(/^\[?::ffff:/, '').replace(/\]$/, '');
  const octets = v4.split('.');
  return (
    octets.length === 4 &&
    octets[0] === '127' &&
    octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255)
  );
}

/**
 * Whether a request's `Host` may be served (the DNS-rebinding guard): its name (the port aside) must be
 * `baseDomain` or one of its subdomains, a loopback name ({@link isLoopbackName}), or one of `allowedHosts`
 * (`*.example.test` for the subdomains of `example.test`). A page on any other name that resolves to the
 * emulator's address gets nothing.
 */
export function hostAllowed(name: string, baseDomain: string, allowedHosts: readonly string[]): boolean {
  const within = (domain: string) => name === domain || name.endsWith(`.${domain}`);
  if (within(baseDomain.toLowerCase()) || isLoopbackName(name)) return true;
  return allowedHosts.some((pattern) => {
    const lower = pattern.toLowerCase();
    return lower.startsWith('*.') ? name.endsWith(lower.slice(1)) : name === lower;
  });
}

/**
 * Routes by `Host`, as the cloud does: `<bucket>.cos.<region>.<any domain>` is COS, `<bucket>.ci.<region>.<any
 * domain>` is CI, `sts.<any domain>` is STS; anything else (`localhost`, `127.0.0.1`) is the emulator's base host,
 * which serves the admin endpoint. Returns `undefined` for a missing or malformed `Host`. Whether the host may be
 * served at all is {@link hostAllowed}'s question, asked first.
 */
export function routeHost(host: string | undefined): Route | undefined {
  const name = hostName(host);
  if (name === undefined) return undefined;
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
