// A Server-Sent Events client over node:http for Node tests: it parses the stream as the HTML standard's
// EventSource does (fields, `data:` lines joined with \n, comments, `retry:`), keeps the raw text for framing
// assertions, and bounds every wait.
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** One dispatched event. */
export interface SseEvent {
  /** `message` unless the stream named another type. */
  event: string;
  data: string;
  /** The last event id in force when it was dispatched. */
  id: string;
}

/** An open (or refused) event stream. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  /** `retry:` values, in order. */
  readonly retries: number[] = [];
  /** Everything received, as text. */
  raw = '';
  ended = false;
  #buffer = '';
  #data: string[] = [];
  #type = '';
  #lastId = '';

  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly response: IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (text: string) => this.#receive(text));
    const end = () => {
      this.ended = true;
    };
    response.on('end', end);
    response.on('close', end);
    response.on('error', end);
  }

  /** Opens `url` (GET) with `headers`; resolves once the status line and headers arrived (bounded). */
  static open(url: string, headers: Record<string, string> = {}, timeoutMs = 3000): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (response) => {
        clearTimeout(timer);
        resolve(new SseClient(response.statusCode ?? 0, response.headers, response));
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`No answer from ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end();
    });
  }

  /** Waits until at least `count` events arrived; returns them all. */
  async waitForEvents(count: number, timeoutMs = 3000): Promise<SseEvent[]> {
    await this.#until(() => this.events.length >= count, timeoutMs, () => `${this.events.length} of ${count} events`);
    return this.events;
  }

  /** Waits until a comment line arrived. */
  async waitForComment(timeoutMs = 3000): Promise<string> {
    await this.#until(() => this.comments.length > 0, timeoutMs, () => 'no comment');
    return this.comments[0]!;
  }

  /** Waits until `text` is part of the raw stream. */
  async waitForRaw(text: string, timeoutMs = 3000): Promise<void> {
    await this.#until(() => this.raw.includes(text), timeoutMs, () => `no ${JSON.stringify(text)} in the stream`);
  }

  /** Waits until the server ended the stream. */
  async waitForEnd(timeoutMs = 3000): Promise<void> {
    await this.#until(() => this.ended, timeoutMs, () => 'the stream is still open');
  }

  /** The body of a refused stream (400, 503...), read to its end (bounded). */
  async text(timeoutMs = 3000): Promise<string> {
    await this.waitForEnd(timeoutMs);
    return this.raw;
  }

  /** Closes the connection from the client's side. */
  close(): void {
    this.response.destroy();
  }

  async #until(done: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${describe()}`);
      await sleep(5);
    }
  }

  #receive(text: string): void {
    this.raw += text;
    this.#buffer += text;
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    // The last piece has no line break yet (a lone \r at the end may still be half of \r\n: the relay sends \n).
    this.#buffer = lines.pop() ?? '';
    for (const line of lines) this.#line(line);
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) {
        this.events.push({ event: this.#type || 'message', data: this.#data.join('\n'), id: this.#lastId });
      }
      this.#data = [];
      this.#type = '';
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#type = value;
    else if (field === 'id' && !value.includes('\0')) this.#lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retries.push(Number(value));
  }
}
