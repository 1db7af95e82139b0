/**
 * Where the emulator may send a job's callback: loopback (`127.0.0.0/8`, `::1`, `localhost`, `*.localhost`) and the
 * hosts the user lists in `callbackAllow` (`--callback-allow host[:port]`). Anything else, the user's own network
 * (`10.x`, `192.168.x`, `169.254.169.254`) or a public name, is refused, as the cloud refuses intranet callback
 * addresses: a job request from a web page must not make the emulator a proxy into the developer's network.
 */

/** One `callbackAllow` entry: a canonical host name (IPv6 in brackets), and its port when the entry names one. */
interface AllowEntry {
  readonly host: string;
  readonly port: number | undefined;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/** A host as the URL parser writes it (lower case, IPv4 in dotted decimal, IPv6 compressed), without a final dot. */
function canonicalHost(host: string): string | undefined {
  try {
    return new URL(`http://${host}/`).hostname.replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

/** Parses `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; `undefined` when it is none of them. */
function parseEntry(entry: string): AllowEntry | undefined {
  const text = entry.trim();
  let host = text;
  let port: string | undefined;
  const bracketed = /^(\[[^\]]+\])(?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    [host, port] = text.split(':') as [string, string];
  } else if (text.includes(':')) {
    host = `[${text}]`;
  }
  const canonical = host === '' ? undefined : canonicalHost(host);
  if (canonical === undefined) return undefined;
  if (port === undefined) return { host: canonical, port: undefined };
  const number = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  return number >= 1 && number <= 65_535 ? { host: canonical, port: number } : undefined;
}

/** Whether a canonical host is a loopback address or name. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '[::1]') return true;
  // ::ffff:127.x.y.z, which the URL parser writes in hex: [::ffff:7f00:1].
  if (/^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)) return true;
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return octets !== null && octets[1] === '127';
}

/** Checks callback URLs against loopback and the user's allow-list. */
export class CallbackTargetPolicy {
  readonly #allow: readonly AllowEntry[];

  /** `allow`: the `callbackAllow` option; entries that cannot be parsed allow nothing. */
  constructor(allow: readonly string[]) {
    this.#allow = allow.map(parseEntry).filter((entry): entry is AllowEntry => entry !== undefined);
  }

  /**
   * Why `url` may not receive a callback, or `undefined` when it may: it must be an `http:` or `https:` URL whose
   * host is loopback or matches an allow-list entry (`host` for any port, `host:port` for that port; host names
   * compared case-insensitively, addresses in their canonical form).
   */
  refusal(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'is not a valid URL';
    }
    const defaultPort = DEFAULT_PORTS[parsed.protocol];
    if (defaultPort === undefined) return 'must be an http or https URL';
    const host = parsed.hostname.replace(/\.$/, '');
    if (isLoopbackHost(host)) return undefined;
    const port = parsed.port === '' ? defaultPort : Number(parsed.port);
    const allowed = this.#allow.some((entry) => entry.host === host && (entry.port === undefined || entry.port === port));
    if (allowed) return undefined;
    return (
      `names the host ${host}, which is neither loopback nor allowed: the emulator sends callbacks only to ` +
      'loopback and to the hosts --callback-allow host[:port] lists'
    );
  }
}
