// The example host's relay of CI job callbacks, as connect middleware: CI (here the emulator) POSTs each job's
// TaskFinish callback to the host's server, which keeps the last few bodies per job and streams them to the page
// over Server-Sent Events, where the widget's job tracker (`JobCallbackRelay.eventSource`) merges them with its
// polling. A real host does the same behind its own authentication.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJobCallback } from '../../src/core/protocol/callback.js';

/** Options of {@link createCallbackRelay}. */
export interface CallbackRelayOptions {
  /** Where the two routes live: `${basePath}/ci-callback` and `${basePath}/job-events`. @default '/api' */
  basePath?: string;
  /** Largest callback body accepted; larger ones are answered 413. @default 1048576 (1 MiB) */
  maxBodyBytes?: number;
  /** Callback bodies kept per job for replay to late subscribers, newest kept. @default 8 */
  keepPerJob?: number;
  /** Jobs whose bodies are kept; the job that received a callback the longest ago is forgotten first. @default 1000 */
  maxJobs?: number;
  /**
   * Milliseconds between heartbeat comments on open event streams (they keep proxies from closing idle ones).
   * @default 15000
   */
  heartbeatMs?: number;
  /** Event streams open at once; more are answered 503. @default 100 */
  maxSubscribers?: number;
}

/** A connect-style middleware serving the relay's two routes, and a way to end its streams. */
export interface CallbackRelay {
  (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  /** Ends every open event stream, stops the heartbeat and forgets the kept bodies; later requests get 503. */
  close(): void;
}

/** What an event stream's client is told to wait before reconnecting, in milliseconds. */
export const SSE_RETRY_MS = 2000;

/** Job ids the relay accepts: those the service issues (the core's `JobsDetail.JobId` rule). */
const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** A client that reads no faster than this many bytes behind the stream is disconnected. */
const MAX_BUFFERED_FACTOR = 4;

interface Kept {
  /** The event id: one number per accepted callback, increasing. */
  seq: number;
  body: string;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < 1) throw new RangeError(`${name} must be a positive integer`);
  return result;
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(value));
}

/**
 * One callback as one SSE `message` event: each line of the body becomes a `data:` line (the browser joins them
 * with `\n`), preceded by its `id:`.
 */
function frame(entry: Kept): string {
  const data = entry.body
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');
  return `id: ${entry.seq}\n${data}\n`;
}

/** The id a reconnecting `EventSource` sends, or 0 (replay everything) when absent or not an id of ours. */
function lastEventId(req: IncomingMessage): number {
  const value = req.headers['last-event-id'];
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : 0;
}

/**
 * Creates the callback relay.
 *
 * - `POST ${basePath}/ci-callback`: a CI job callback (XML or JSON, as the service sends it to a job's `CallBack`
 *   URL). The body is read up to `maxBodyBytes` (413 beyond), must parse as a callback (400 with a short JSON error
 *   otherwise, which never quotes the body), and is answered 204. Its raw text is kept under each `JobsDetail`'s
 *   `JobId` (the last `keepPerJob` per job, for `maxJobs` jobs) and sent to the streams of those jobs.
 * - `GET ${basePath}/job-events?jobId=<id>`: a Server-Sent Events stream of the job's callbacks: first
 *   `retry: 2000`, then the kept bodies the client has not seen (after its `Last-Event-ID`), then each new one as
 *   it arrives. Every callback is one `message` event whose data is the body as received (line breaks
 *   normalised to `\n`) and whose `id` is a number that grows with each callback. Comment lines (`: heartbeat`)
 *   every `heartbeatMs`. 400 for an invalid job id, 503 beyond `maxSubscribers` streams.
 * - Other methods on these paths: 405. Every other path goes to `next()`.
 *
 * Nothing here authenticates the caller: a real host checks that the page may see the job and, if it can, that
 * the callback came from CI (for example with a secret in the `CallBack` URL).
 *
 * @example
 * const relay = createCallbackRelay({ basePath: '/api' });
 * server.middlewares.use(relay);
 * // submit jobs with CallBack: 'https://host.example/api/ci-callback', then in the page:
 * // new EventSource(`/api/job-events?jobId=${encodeURIComponent(jobId)}`).onmessage = (e) => deliver(e.data);
 * server.httpServer?.once('close', () => relay.close());
 */
export function createCallbackRelay(options: CallbackRelayOptions = {}): CallbackRelay {
  const basePath = (options.basePath ?? '/api').replace(/\/+$/, '');
  const maxBodyBytes = positiveInteger('maxBodyBytes', options.maxBodyBytes, 1024 * 1024);
  const keepPerJob = positiveInteger('keepPerJob', options.keepPerJob, 8);
  const maxJobs = positiveInteger('maxJobs', options.maxJobs, 1000);
  const heartbeatMs = positiveInteger('heartbeatMs', options.heartbeatMs, 15_000);
  const maxSubscribers = positiveInteger('maxSubscribers', options.maxSubscribers, 100);
  const callbackPath = `${basePath}/ci-callback`;
  const eventsPath = `${basePath}/job-events`;

  // Map order is the eviction order: a job that receives a callback moves to the end.
  const kept = new Map<string, Kept[]>();
  const streams = new Map<string, Set<ServerResponse>>();
  let streamCount = 0;
  let seq = 0;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let closed = false;

  const write = (res: ServerResponse, text: string): void => {
    if (res.destroyed || res.writableEnded) return;
    res.write(text);
    // A stalled reader must not make the host buffer without bound.
    if (res.writableLength > MAX_BUFFERED_FACTOR * maxBodyBytes) res.destroy();
  };

  const keep = (jobId: string, entry: Kept): void => {
    const entries = kept.get(jobId) ?? [];
    kept.delete(jobId);
    entries.push(entry);
    if (entries.length > keepPerJob) entries.splice(0, entries.length - keepPerJob);
    kept.set(jobId, entries);
    while (kept.size > maxJobs) {
      const oldest = kept.keys().next().value;
      if (oldest === undefined) break;
      kept.delete(oldest);
    }
  };

  const accept = (res: ServerResponse, text: string): void => {
    let jobIds: Set<string>;
    try {
      jobIds = new Set(parseJobCallback(text).JobsDetail.map((detail) => detail.JobId));
    } catch {
      return json(res, 400, { error: 'The body is not a CI job callback' });
    }
    seq += 1;
    const entry: Kept = { seq, body: text };
    for (const jobId of jobIds) {
      keep(jobId, entry);
      for (const stream of streams.get(jobId) ?? []) write(stream, frame(entry));
    }
    res.writeHead(204, { 'cache-control': 'no-store' });
    res.end();
  };

  const receive = (req: IncomingMessage, res: ServerResponse): void => {
    const tooLarge = (): void =>
      // `connection: close`: the rest of an oversized body is not worth reading.
      json(res, 413, { error: `The callback body must be at most ${maxBodyBytes} bytes` }, { connection: 'close' });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      req.resume();
      return tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let answered = false;
    req.on('data', (chunk: Buffer) => {
      if (answered) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        answered = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (answered) return;
      answered = true;
      accept(res, Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => {
      answered = true;
      res.destroy();
    });
  };

  const beat = (): void => {
    for (const set of streams.values()) for (const stream of set) write(stream, ': heartbeat\n\n');
  };

  const subscribe = (req: IncomingMessage, res: ServerResponse, jobId: string): void => {
    if (streamCount >= maxSubscribers) {
      return json(res, 503, { error: 'Too many event streams are open' }, { 'retry-after': '5' });
    }
    const after = lastEventId(req);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    const set = streams.get(jobId) ?? new Set<ServerResponse>();
    streams.set(jobId, set);
    set.add(res);
    streamCount += 1;
    res.once('close', () => {
      set.delete(res);
      if (set.size === 0 && streams.get(jobId) === set) streams.delete(jobId);
      streamCount -= 1;
      if (streamCount === 0 && heartbeat !== undefined) {
        clearInterval(heartbeat);
        heartbeat = undefined;
      }
    });
    write(res, `retry: ${SSE_RETRY_MS}\n\n`);
    // An id from before a restart of the relay is larger than any of ours: the client has seen none of these.
    const seen = after <= seq ? after : 0;
    for (const entry of kept.get(jobId) ?? []) if (entry.seq > seen) write(res, frame(entry));
    if (heartbeat === undefined) {
      heartbeat = setInterval(beat, heartbeatMs);
      heartbeat.unref();
    }
  };

  const relay = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    if (url.pathname !== callbackPath && url.pathname !== eventsPath) return next();
    const method = url.pathname === callbackPath ? 'POST' : 'GET';
    if (req.method !== method) {
      req.resume();
      return json(res, 405, { error: `Use ${method}` }, { allow: method });
    }
    if (closed) {
      req.resume();
      return json(res, 503, { error: 'The callback relay is closed' });
    }
    if (method === 'POST') return receive(req, res);
    const jobId = url.searchParams.get('jobId') ?? '';
    if (!JOB_ID.test(jobId)) {
      return json(res, 400, { error: 'jobId must be 1 to 128 letters, digits, _ or -' });
    }
    subscribe(req, res, jobId);
  };

  const close = (): void => {
    closed = true;
    if (heartbeat !== undefined) clearInterval(heartbeat);
    heartbeat = undefined;
    for (const set of [...streams.values()]) for (const stream of [...set]) stream.end();
    kept.clear();
  };

  return Object.assign(relay, { close });
}
