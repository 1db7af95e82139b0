import type { EventSourceLike, TrackerEnvironment } from '../../src/core/jobs/job-types.js';

/**
 * A scripted `EventSource`: nothing happens until the test calls {@link open}, {@link message} or {@link fail}.
 * Every instance made is recorded in {@link FakeEventSource.instances} (reset it in `beforeEach`).
 */
export class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readonly url: string;
  readonly withCredentials: boolean;
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  /** Whether `close()` was called. */
  closed = false;

  constructor(url: string, init?: { withCredentials?: boolean }) {
    this.url = url;
    this.withCredentials = init?.withCredentials === true;
    FakeEventSource.instances.push(this);
  }

  /** The latest instance made. */
  static get last(): FakeEventSource {
    const last = FakeEventSource.instances.at(-1);
    if (!last) throw new Error('FakeEventSource: none was made');
    return last;
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }

  /** The stream connected (again). */
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** A `message` event carrying `data`. */
  message(data: unknown): void {
    this.onmessage?.({ data });
  }

  /** The connection dropped: reconnecting (`readyState` 0), or gone for good (`closed`: 2). */
  fail(closed = false): void {
    this.readyState = closed ? 2 : 0;
    this.onerror?.({});
  }
}

/**
 * A page for a job tracker: `hidden` and `online` toggled by the test (`setHidden` fires `visibilitychange`,
 * `setOnline(true)` and `goOnline()` fire `online`), and {@link FakeEventSource}. Counts the listeners still
 * registered.
 */
export class FakeEnvironment implements TrackerEnvironment {
  hidden = false;
  online = true;
  readonly EventSource = FakeEventSource;
  readonly #visibility = new Set<() => void>();
  readonly #online = new Set<() => void>();

  isHidden(): boolean {
    return this.hidden;
  }

  isOnline(): boolean {
    return this.online;
  }

  onVisibilityChange(listener: () => void): () => void {
    const entry = () => listener();
    this.#visibility.add(entry);
    return () => this.#visibility.delete(entry);
  }

  onOnline(listener: () => void): () => void {
    const entry = () => listener();
    this.#online.add(entry);
    return () => this.#online.delete(entry);
  }

  /** Hides or shows the page, firing `visibilitychange`. */
  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    for (const listener of [...this.#visibility]) listener();
  }

  /** The network goes down (no event, as browsers fire `offline`, which a tracker does not watch) or comes back. */
  setOnline(online: boolean): void {
    this.online = online;
    if (online) this.goOnline();
  }

  /** Fires `online` (the network may have been up all along: browsers fire it after any reconnection). */
  goOnline(): void {
    this.online = true;
    for (const listener of [...this.#online]) listener();
  }

  /** Page listeners still registered. */
  get listeners(): number {
    return this.#visibility.size + this.#online.size;
  }
}
