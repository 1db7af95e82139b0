// The example host's relay of CI job callbacks, as connect middleware: CI (here the emulator) POSTs each job's
// TaskFinish callback to the host's server, which keeps the last few bodies per job and streams them to the page
// over Server-Sent Events, where the widget's job tracker (`JobCallbackRelay.eventSource`) merges them with its
// polling. A real host does the same behind its own authentication.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJobCallback } from '../../src/core/protocol/callback.js';
import { readBoundedBody, sendJson as json } from './http-io.js';

/** Options of {@link createCallbackRelay}. */
export interface CallbackRelayOptions {
  /** Where the two routes live: `${basePath}/ci-callback` and `${basePath}/job-events`. @default '/api' */
  basePath?: string;
  /** Largest callback body accepted; larger ones are answered 413. @default 1048576 (1 MiB) */
  maxBodyBytes?: number;
  /**
   * `JobsDetail` entries one callback may carry; more are answered 400. CI sends one per callback; the bound keeps
   * one request from filling every job's replay (and evicting the real ones). @default 10
   */
  maxJobsPerCallback?: number;
  /** Callback bodies kept per job for replay to late subscribers, newest kept. @default 8 */
  keepPerJob?: number;
  /** Jobs whose bodies are kept; the job that received a callback the longest ago is forgotten first. @default 1000 */
  maxJobs?: number;
  /**
   * Bytes of kept bodies, all jobs together (a body kept for several jobs counts once per job); beyond, the oldest
   * bodies of the job that received a callback the longest ago are forgotten first. At least `maxBodyBytes`.
   * @default 16777216 (16 MiB)
   */
  maxKeptBytes?: number;
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

/**
 * A stream whose reader falls this many times `keepPerJob` callbacks behind is closed (its `EventSource`
 * reconnects and is replayed what follows its `Last-Event-ID`): a stalled reader must not make the host queue
 * without bound.
 */
const MAX_QUEUED_FACTOR = 2;

interface Kept {
  /** The event id: one number per accepted callback, increasing. */
  seq: number;
  body: string;
  /** UTF-8 length of `body`. */
  bytes: number;
}

/** An open event stream: frames are written as fast as its reader takes them, the rest wait in `queue`. */
interface Stream {
  res: ServerResponse;
  queue: Kept[];
  /** Whether the socket's buffer is full: nothing is written until it drains. */
  waiting: boolean;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < 1) throw new RangeError(`${name} must be a positive integer`);
  return result;
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
 *   URL). The body is read up to `maxBodyBytes` (413 beyond), must parse as a callback with at most
 *   `maxJobsPerCallback` `JobsDetail` (400 with a short JSON error otherwise, which never quotes the body), and is
 *   answered 204. Its raw text is kept under each `JobsDetail`'s `JobId` (the last `keepPerJob` per job, for
 *   `maxJobs` jobs, `maxKeptBytes` in all) and sent to the streams of those jobs.
 * - `GET ${basePath}/job-events?jobId=<id>`: a Server-Sent Events stream of the job's callbacks: first
 *   `retry: 2000`, then the kept bodies the client has not seen (after its `Last-Event-ID`), then each new one as
 *   it arrives. Every callback is one `message` event whose data is the body as received (line breaks
 *   normalised to `\n`) and whose `id` is a number that grows with each callback. Frames are written at the
 *   reader's pace (waiting for `drain`); a reader that falls `2 × keepPerJob` callbacks behind is disconnected (its
 *   `EventSource` reconnects and is replayed what it missed). Comment lines (`: heartbeat`) every `heartbeatMs`.
 *   400 for an invalid job id, 503 beyond `maxSubscribers` streams.
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
  const maxJobsPerCallback = positiveInteger('maxJobsPerCallback', options.maxJobsPerCallback, 10);
  const keepPerJob = positiveInteger('keepPerJob', options.keepPerJob, 8);
  const maxJobs = positiveInteger('maxJobs', options.maxJobs, 1000);
  const maxKeptBytes = positiveInteger('maxKeptBytes', options.maxKeptBytes, 16 * 1024 * 1024);
  if (maxKeptBytes < maxBodyBytes) throw new RangeError('maxKeptBytes must be at least maxBodyBytes');
  const heartbeatMs = positiveInteger('heartbeatMs', options.heartbeatMs, 15_000);
  const maxSubscribers = positiveInteger('maxSubscribers', options.maxSubscribers, 100);
  const callbackPath = `${basePath}/ci-callback`;
  const eventsPath = `${basePath}/job-events`;

  // Map order is the eviction order: a job that receives a callback moves to the end.
  const kept = new Map<string, Kept[]>();
  const streams = new Map<string, Set<Stream>>();
  let keptBytes = 0;
  let streamCount = 0;
  let seq = 0;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let closed = false;

  const usable = (res: ServerResponse): boolean => !res.destroyed && !res.writableEnded;

  /** Writes queued frames until the socket's buffer is full, then again at each `drain`. */
  const flush = (stream: Stream): void => {
    const { res, queue } = stream;
    while (!stream.waiting && queue.length > 0 && usable(res)) {
      const entry = queue.shift()!;
      if (!res.write(frame(entry))) {
        stream.waiting = true;
        res.once('drain', () => {
          stream.waiting = false;
          flush(stream);
        });
      }
    }
  };

  const send = (stream: Stream, entry: Kept): void => {
    if (!usable(stream.res)) return;
    if (stream.queue.length >= MAX_QUEUED_FACTOR * keepPerJob) {
      stream.res.destroy();
      return;
    }
    stream.queue.push(entry);
    flush(stream);
  };

  /** Forgets the oldest kept bodies of `jobId` so that `count` remain. */
  const trim = (jobId: string, entries: Kept[], count: number): void => {
    for (const entry of entries.splice(0, Math.max(0, entries.length - count))) keptBytes -= entry.bytes;
    if (entries.length === 0) kept.delete(jobId);
  };

  const keep = (jobId: string, entry: Kept): void => {
    const entries = kept.get(jobId) ?? [];
    kept.delete(jobId);
    entries.push(entry);
    keptBytes += entry.bytes;
    kept.set(jobId, entries);
    trim(jobId, entries, keepPerJob);
    // Beyond maxJobs, the oldest job goes whole; beyond maxKeptBytes, its oldest bodies go one at a time.
    while (kept.size > maxJobs || keptBytes > maxKeptBytes) {
      const [oldest, list] = kept.entries().next().value!;
      trim(oldest, list, kept.size > maxJobs ? 0 : list.length - 1);
    }
  };

  const accept = (res: ServerResponse, text: string): void => {
    let jobIds: Set<string>;
    try {
      const { JobsDetail } = parseJobCallback(text);
      if (JobsDetail.length > maxJobsPerCallback) {
        return json(res, 400, { error: `A callback may name at most ${maxJobsPerCallback} jobs` });
      }
      jobIds = new Set(JobsDetail.map((detail) => detail.JobId));
    } catch {
      return json(res, 400, { error: 'The body is not a CI job callback' });
    }
    seq += 1;
    const entry: Kept = { seq, body: text, bytes: Buffer.byteLength(text) };
    for (const jobId of jobIds) {
      keep(jobId, entry);
      for (const stream of streams.get(jobId) ?? []) send(stream, entry);
    }
    res.writeHead(204, { 'cache-control': 'no-store' });
    res.end();
  };

  const receive = (req: IncomingMessage, res: ServerResponse): void => {
    readBoundedBody(req, res, maxBodyBytes, `The callback body must be at most ${maxBodyBytes} bytes`).then(
      (text) => {
        if (text !== undefined) accept(res, text);
      },
      () => undefined, // the socket is gone
    );
  };

  const beat = (): void => {
    for (const set of streams.values()) {
      for (const { res, queue, waiting } of set) {
        // A stream with frames to send is not idle: the heartbeat would only queue behind them.
        if (!waiting && queue.length === 0 && usable(res)) res.write(': heartbeat\n\n');
      }
    }
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
    const set = streams.get(jobId) ?? new Set<Stream>();
    streams.set(jobId, set);
    const stream: Stream = { res, queue: [], waiting: false };
    set.add(stream);
    streamCount += 1;
    res.once('close', () => {
      stream.queue.length = 0;
      set.delete(stream);
      if (set.size === 0 && streams.get(jobId) === set) streams.delete(jobId);
      streamCount -= 1;
      if (streamCount === 0 && heartbeat !== undefined) {
        clearInterval(heartbeat);
        heartbeat = undefined;
      }
    });
    res.write(`retry: ${SSE_RETRY_MS}\n\n`);
    // An id from before a restart of the relay is larger than any of ours: the client has seen none of these.
    const seen = after <= seq ? after : 0;
    // The replay goes at the reader's pace, however much larger than the socket's buffers it is.
    stream.queue.push(...(kept.get(jobId) ?? []).filter((entry) => entry.seq > seen));
    flush(stream);
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
    for (const set of [...streams.values()]) for (const stream of [...set]) stream.res.end();
    kept.clear();
    keptBytes = 0;
  };

  return Object.assign(relay, { close });
}
