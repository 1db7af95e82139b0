/**
 * A @web/dev-server middleware that answers requests under `/__scripted/` as the query string says, so browser
 * tests can drive `XhrTransport` over real HTTP. Query parameters (all optional):
 *
 * - `status=503`: the reply's status (default 200).
 * - `id=abc&statuses=503,200`: the n-th request with this id gets the n-th status (the last one repeats).
 * - `delay=50`: milliseconds to wait before replying, at most 2000.
 * - `drop=1`: destroy the connection instead of replying (a network error for the client).
 * - `body=echo`: reply with the request as JSON `{ method, url, headers, bytes }`; `body=html`: a large proxy error
 *   page; `text=...`: this text.
 * - `h.<name>=<value>`: a response header. `expose=a,b`: `Access-Control-Expose-Headers`.
 *
 * Requests from another origin get CORS headers (preflights are answered), so a test page on `localhost` can
 * call `127.0.0.1` and see exactly what a cross-origin page sees.
 */
export function scriptedReplies() {
  const counters = new Map();
  const proxyPage =
    '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
    '<p>upstream failed</p>\r\n'.repeat(2000) +
    '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

  return async function scripted(ctx, next) {
    if (!ctx.path.startsWith('/__scripted/')) return next();
    // The reply is written by hand: the test runner's own middleware would otherwise add a year-long
    // Cache-Control to any path with an extension, and the browser would answer retries from its cache.
    ctx.respond = false;
    const query = ctx.query;
    const headers = { 'cache-control': 'no-store' };
    const origin = ctx.get('origin');
    if (origin) {
      headers['access-control-allow-origin'] = origin;
      headers.vary = 'origin';
    }
    if (ctx.method === 'OPTIONS') {
      headers['access-control-allow-methods'] = 'GET, HEAD, PUT, POST, DELETE';
      headers['access-control-allow-headers'] = ctx.get('access-control-request-headers') || '*';
      ctx.res.writeHead(204, headers).end();
      return;
    }
    let bytes = 0;
    for await (const chunk of ctx.req) bytes += chunk.length;
    const wait = Math.min(Number(query.delay) || 0, 2000);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (query.drop) {
      ctx.req.socket.destroy();
      return;
    }
    let status = Number(query.status) || 200;
    if (typeof query.id === 'string' && typeof query.statuses === 'string') {
      const statuses = query.statuses.split(',').map(Number);
      const seen = counters.get(query.id) ?? 0;
      counters.set(query.id, seen + 1);
      status = statuses[Math.min(seen, statuses.length - 1)];
    }
    for (const [name, value] of Object.entries(query)) {
      if (name.startsWith('h.') && typeof value === 'string') headers[name.slice(2).toLowerCase()] = value;
    }
    if (typeof query.expose === 'string') headers['access-control-expose-headers'] = query.expose;
    let body = '';
    if (query.body === 'echo') {
      headers['content-type'] = 'application/json';
      body = JSON.stringify({ method: ctx.method, url: ctx.req.url, headers: ctx.req.headers, bytes });
    } else if (query.body === 'html') {
      headers['content-type'] = 'text/html';
      body = proxyPage;
    } else if (typeof query.text === 'string') {
      headers['content-type'] = 'application/xml';
      body = query.text;
    }
    if (ctx.req.socket.destroyed) return;
    ctx.res.writeHead(status, headers).end(ctx.method === 'HEAD' ? undefined : body);
  };
}
