import type { JobsDetail } from '../protocol/ci-schemas.js';
import { parseJobCallback } from '../protocol/callback.js';
import type { EventSourceLike, JobCallbackRelay, RelayStatus, TrackerEnvironment } from './job-types.js';

/** `EventSource.CLOSED`: the browser gave up reconnecting (or the stream was refused); it never reopens. */
const EVENT_SOURCE_CLOSED = 2;

/** What a {@link CallbackChannel} needs. */
export interface CallbackChannelOptions {
  /** The job whose callbacks are wanted. */
  jobId: string;
  relay: JobCallbackRelay;
  /** The `EventSource` constructor, needed when `relay.eventSource` is set. */
  EventSource?: TrackerEnvironment['EventSource'];
  /** Receives every body the relay delivers, unparsed. Must not throw. */
  onBody: (body: unknown) => void;
  /** Called when the channel as a whole opens or closes (not for repeats). */
  onChange: (open: boolean) => void;
  /** Receives a failure of the host's side (its `subscribe` threw, the `EventSource` could not be made). */
  onError: (error: unknown) => void;
  /**
   * Called when the event stream opens again after an error (the browser reconnected), or the subscription reports
   * `open` again after `down`, not at their first open: callbacks may have come while it was down.
   */
  onReopen?: () => void;
}

/** The URL of a job's event stream: `{jobId}` in `template` replaced by the URL-encoded id. */
export const eventSourceUrl = (template: string, jobId: string): string =>
  template.replaceAll('{jobId}', encodeURIComponent(jobId));

/**
 * The reports a relayed callback body carries about `jobId`: `undefined` for a body that is not a job callback
 * (XML or JSON, as text, bytes or a parsed object), an empty array for a callback about other jobs only. Never
 * throws: a bad body from the host's relay must not break the host's code that delivered it.
 *
 * @example
 * ```ts
 * const reports = callbackReports(event.data, 'j8d121820f5e411ec926ef19d53ba9c6f');
 * ```
 */
export function callbackReports(body: unknown, jobId: string): JobsDetail[] | undefined {
  if (typeof body !== 'string' && (typeof body !== 'object' || body === null)) return undefined;
  try {
    return parseJobCallback(body).JobsDetail.filter((detail) => detail.JobId === jobId);
  } catch {
    return undefined;
  }
}

/**
 * The host's relay of CI callbacks for one job, opened and closed as one channel: the host's `subscribe` (open
 * from the moment it is called until stopped, except while it reports its status `down`) and a Server-Sent Events
 * stream (open from its `open` event until an `error`; the browser reconnects by itself, and a stream in `CLOSED`
 * state is gone for good). The channel is open while either is, which is when polling can slow down to a safety
 * net.
 *
 * Nothing the host's code does (a `subscribe` that throws, a `deliver` call after `stop()`) throws back into it. A
 * `subscribe` may deliver before it returns; when that ends the channel, the unsubscribe function it returns is
 * called at once.
 *
 * @example
 * ```ts
 * const channel = new CallbackChannel({ jobId, relay, EventSource, onBody, onChange: reschedule, onError });
 * channel.start();
 * // ...
 * channel.stop();
 * ```
 */
export class CallbackChannel {
  readonly #options: CallbackChannelOptions;
  #unsubscribe: (() => void) | undefined;
  #subscribed = false;
  /** The subscription's last reported status (`open` until it reports otherwise). */
  #subscriptionUp = true;
  /** Whether the subscription has been up once: a later `open` is a reconnection. */
  #subscriptionWasUp = false;
  #source: EventSourceLike | undefined;
  #sourceOpen = false;
  /** Whether the event stream has opened before: a later `open` is a reconnection. */
  #sourceOpened = false;
  #open = false;
  #started = false;
  #stopped = false;

  constructor(options: CallbackChannelOptions) {
    this.#options = options;
  }

  /** Whether callbacks can arrive now. */
  get open(): boolean {
    return this.#open;
  }

  /** Whether an `EventSource` is still held (not yet closed). */
  get holdsEventSource(): boolean {
    return this.#source !== undefined;
  }

  /** Subscribes through the host's function and opens the event stream. Only the first call does anything. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    const { relay, jobId } = this.#options;
    if (relay.subscribe) this.#subscribe(relay.subscribe, jobId);
    // A delivery made inside `subscribe` may have ended everything already.
    if (this.#stopped) return;
    if (relay.eventSource !== undefined) this.#connect(eventSourceUrl(relay.eventSource, jobId));
    this.#update();
  }

  /** Unsubscribes and closes the event stream; later deliveries are dropped. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    this.#subscribed = false;
    this.#closeSource();
    this.#open = false;
    if (unsubscribe) this.#unsubscribeSafely(unsubscribe);
  }

  #unsubscribeSafely(unsubscribe: () => void): void {
    try {
      unsubscribe();
    } catch (error) {
      this.#options.onError(error);
    }
  }

  #subscribe(subscribe: NonNullable<JobCallbackRelay['subscribe']>, jobId: string): void {
    const deliver = (body: unknown): void => {
      if (!this.#stopped) this.#options.onBody(body);
    };
    let returned = false;
    const status = (state: RelayStatus): void => {
      if (this.#stopped || (state !== 'open' && state !== 'down')) return;
      const up = state === 'open';
      if (up === this.#subscriptionUp) return;
      this.#subscriptionUp = up;
      // Before `subscribe` returns, the channel is not counted open yet: `start()` settles it.
      if (!returned) return;
      const reopened = up && this.#subscriptionWasUp;
      if (up) this.#subscriptionWasUp = true;
      this.#update();
      if (reopened && !this.#stopped) this.#options.onReopen?.();
    };
    let unsubscribe: (() => void) | void;
    try {
      unsubscribe = subscribe(jobId, deliver, status);
    } catch (error) {
      this.#options.onError(error);
      return;
    } finally {
      returned = true;
    }
    const stop = typeof unsubscribe === 'function' ? unsubscribe : undefined;
    if (this.#stopped) {
      if (stop) this.#unsubscribeSafely(stop);
      return;
    }
    this.#unsubscribe = stop;
    this.#subscribed = true;
    this.#subscriptionWasUp = this.#subscriptionUp;
  }

  #connect(url: string): void {
    const { EventSource: Source, relay } = this.#options;
    if (!Source) return;
    let source: EventSourceLike;
    try {
      source = new Source(url, { withCredentials: relay.withCredentials === true });
    } catch (error) {
      this.#options.onError(error);
      return;
    }
    this.#source = source;
    source.onopen = () => {
      if (this.#source !== source) return;
      const reopened = this.#sourceOpened && !this.#sourceOpen;
      this.#sourceOpened = true;
      this.#sourceOpen = true;
      this.#update();
      if (reopened && this.#source === source) this.#options.onReopen?.();
    };
    source.onerror = () => {
      if (this.#source !== source) return;
      this.#sourceOpen = false;
      if (source.readyState === EVENT_SOURCE_CLOSED) this.#closeSource();
      this.#update();
    };
    source.onmessage = (event) => {
      if (this.#source === source && !this.#stopped) this.#options.onBody(event?.data);
    };
  }

  #closeSource(): void {
    const source = this.#source;
    this.#source = undefined;
    this.#sourceOpen = false;
    if (!source) return;
    source.onopen = null;
    source.onerror = null;
    source.onmessage = null;
    try {
      source.close();
    } catch (error) {
      this.#options.onError(error);
    }
  }

  #update(): void {
    if (this.#stopped) return;
    const open = (this.#subscribed && this.#subscriptionUp) || this.#sourceOpen;
    if (open === this.#open) return;
    this.#open = open;
    this.#options.onChange(open);
  }
}
