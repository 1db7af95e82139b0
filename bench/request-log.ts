// Requests the page sent while a body ran, as Chromium's network stack saw them (CDP Network events): CORS
// preflights apart, to the emulator (COS and CI hosts) and to the host backend (credentials). Counting at the
// browser, not in the uploader, counts what each contender really sends, retries and preflights included.
import type { CDPSession } from 'puppeteer-core';
import type { Protocol } from 'puppeteer-core';

/** Requests counted during one body. */
export interface RequestCounts {
  /** Requests to the emulator's COS / CI hosts, preflights not included. */
  service: number;
  /** CORS preflights (`OPTIONS`) to those hosts. */
  preflights: number;
  /** Requests to the host backend's `/api/credentials` (STS credentials). */
  credentials: number;
  /** Other requests to the page's own origin (`/api/config`, scripts). */
  host: number;
  /** `METHOD` -> count of the service requests, with the query's action named (`PUT ?partNumber`). */
  byKind: Record<string, number>;
}

/** `PUT ?partNumber`, `POST ?uploads`, `GET /?uploads`: the method and what tells the operation apart. */
function kindOf(method: string, url: URL): string {
  const names = [...url.searchParams.keys()].filter((name) => !name.startsWith('q-') && name !== 'x-cos-security-token');
  const action = names.find((name) => ['partNumber', 'uploads', 'uploadId'].includes(name)) ?? names[0];
  const where = url.pathname === '/' ? '/' : '';
  return `${method} ${where}${action ? `?${action}` : ''}`.trim();
}

/**
 * Runs `body` with the Network domain enabled on `session` and counts the requests sent meanwhile; `serviceHost`
 * tells the emulator's hosts (`*.localhost:<port>`) from the page's.
 */
export async function countRequests<T>(
  session: CDPSession,
  serviceHost: (host: string) => boolean,
  body: () => Promise<T>,
): Promise<{ result: T; counts: RequestCounts }> {
  const counts: RequestCounts = { service: 0, preflights: 0, credentials: 0, host: 0, byKind: {} };
  const onRequest = ({ request, type }: Protocol.Network.RequestWillBeSentEvent) => {
    const url = new URL(request.url);
    // blob: and data: URLs (the CRC-64 worker's script) never reach the network.
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return;
    if (!serviceHost(url.host)) {
      if (url.pathname.endsWith('/credentials')) counts.credentials += 1;
      else counts.host += 1;
    } else if (request.method === 'OPTIONS' || type === 'Preflight') {
      counts.preflights += 1;
    } else {
      counts.service += 1;
      const kind = kindOf(request.method, url);
      counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
    }
  };
  session.on('Network.requestWillBeSent', onRequest);
  // No request bodies in the events: a part's bytes must not be copied into the protocol's messages.
  await session.send('Network.enable', { maxPostDataSize: 0, maxTotalBufferSize: 0, maxResourceBufferSize: 0 });
  try {
    const result = await body();
    return { result, counts };
  } finally {
    await session.send('Network.disable');
    session.off('Network.requestWillBeSent', onRequest);
  }
}
