import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

const LOOPBACK: readonly LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

/**
 * Name resolution for callbacks: `localhost` and `*.localhost` are loopback by definition (RFC 6761), so they are
 * answered here and never asked of DNS (a resolver answering `evil.localhost` with a LAN address cannot redirect a
 * callback); other names (the hosts of `callbackAllow`) resolve as usual.
 */
export function callbackLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name !== 'localhost' && !name.endsWith('.localhost')) {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) callback(error, []);
      else if (options.all) callback(null, addresses);
      else if (addresses[0]) callback(null, addresses[0].address, addresses[0].family);
      else callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    });
    return;
  }
  const wanted = options.family;
  const family = wanted === 6 || wanted === 'IPv6' ? 6 : wanted === 4 || wanted === 'IPv4' ? 4 : 0;
  const addresses = family === 0 ? LOOPBACK : LOOPBACK.filter((entry) => entry.family === family);
  if (options.all) callback(null, [...addresses]);
  else callback(null, addresses[0]!.address, addresses[0]!.family);
}

/**
 * One `POST` of a callback body, with `node:http` / `node:https` so that name resolution goes through
 * {@link callbackLookup}; resolves with the status of the answer (its body is discarded, redirects never followed),
 * rejects on a network error or when `signal` aborts.
 */
export function postCallback(
  url: URL,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        signal,
        agent: false,
        lookup: callbackLookup,
      },
      (response) => {
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
