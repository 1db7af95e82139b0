import { setTimeout as sleep } from 'node:timers/promises';
import type { JobNotification } from '../../core/protocol/job-request-schemas.js';
import type { WireValue } from '../../core/protocol/wire.js';
import { buildSafeXml } from '../http/xml-safe.js';
import { postCallback } from './callback-post.js';
import { CallbackTargetPolicy } from './callback-target.js';
import type { JobsDetailNode } from './job-detail.js';

/** How callbacks are delivered (the emulator's `callbacks` options). */
export interface CallbackOptions {
  /** Attempts per callback, the first included. */
  readonly attempts: number;
  /** Milliseconds before the second attempt; doubled for each next one. */
  readonly retryDelayMs: number;
  /** Milliseconds one attempt may take. */
  readonly timeoutMs: number;
}

/** What happened to one job's callback, for the admin endpoint's state. */
export interface CallbackDelivery {
  readonly jobId: string;
  readonly channel: 'Url' | 'TDMQ';
  /** The URL, or `tdmq://<MqRegion>/<MqName>` for a TDMQ callback. */
  readonly target: string;
  readonly format: 'XML' | 'JSON';
  /** `recorded`: a TDMQ callback, which the emulator does not send anywhere. */
  state: 'pending' | 'delivered' | 'failed' | 'cancelled' | 'recorded';
  attempts: number;
  /** HTTP status of the last attempt that got an answer. */
  lastStatus?: number;
  /** Why the last attempt failed without an answer (`timeout`, a network error name). */
  lastError?: string;
}

/** Deliveries kept for the state, newest last. */
const MAX_RECORDS = 100;

/** Drops empty values, as the service's JSON conversion drops empty elements (`<Message/>` has no JSON key). */
function withoutEmpty(value: WireValue): WireValue | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (Array.isArray(value)) {
    const items = value.map(withoutEmpty).filter((item): item is WireValue => item !== undefined);
    return items.length === 0 ? undefined : items;
  }
  const node: Record<string, WireValue> = {};
  for (const [name, child] of Object.entries(value)) {
    const kept = withoutEmpty(child);
    if (kept !== undefined) node[name] = kept;
  }
  return Object.keys(node).length === 0 ? undefined : node;
}

/**
 * The body of a `TaskFinish` callback (section 6): XML `<Response><EventName>TaskFinish</EventName><JobsDetail>…`,
 * or JSON `{"EventName":"TaskFinish","JobsDetail":[{…}]}` with no `Response` wrapper, `JobsDetail` an array of one
 * object, every value text and empty elements dropped. It serialises the same way as the core's
 * `buildJobCallback`, but from the job's wire tree rather than its parsed form, so that media information keeps
 * the service's formatting (`"4.000000"`, which parsing would turn into `4`).
 */
export function callbackBody(detail: JobsDetailNode, format: 'XML' | 'JSON'): string {
  if (format === 'XML') return buildSafeXml({ Response: { EventName: 'TaskFinish', JobsDetail: [detail] } });
  return JSON.stringify({ EventName: 'TaskFinish', JobsDetail: [withoutEmpty(detail) ?? {}] });
}

/**
 * Sends job-completion callbacks (section 6.1).
 *
 * - A job's `CallBack` URL receives a `POST` with {@link callbackBody} in `CallBackFormat` (XML by default) and
 *   `Content-Type: application/xml` or `application/json`. No `CallBack`, or `CallBack=no`, sends nothing: the
 *   emulator's queues have no notification URL of their own.
 * - `CallBackType=TDMQ` is recorded in the state, never sent: the emulator has no message queue.
 * - An attempt fails on a network error, a timeout (`timeoutMs`) or any status other than 2xx (redirects are not
 *   followed: a 3xx is a failure, its `Location` never requested); failed callbacks are retried up to `attempts`
 *   attempts in all, `retryDelayMs` apart, doubling.
 * - Only loopback and the hosts of `callbackAllow` receive callbacks (see `CallbackTargetPolicy`). Submission
 *   refuses other URLs; the sender checks again before sending, and records a refused URL `failed` with
 *   `lastError` `refused` without any request. Callbacks are not signed (the service documents no signature).
 * - {@link close} aborts attempts in flight and pending retries.
 */
export class CallbackSender {
  readonly #options: CallbackOptions;
  readonly #targets: CallbackTargetPolicy;
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #records: CallbackDelivery[] = [];

  /** `allow`: the `callbackAllow` option, the hosts besides loopback that may receive callbacks. */
  constructor(options: CallbackOptions, allow: readonly string[] = []) {
    this.#options = options;
    this.#targets = new CallbackTargetPolicy(allow);
  }

  /** Starts delivering the callback of a job that has ended, as its request asked; returns at once. */
  send(jobId: string, notification: JobNotification, detail: JobsDetailNode): void {
    const url = notification.CallBack;
    if (url === undefined || url === 'no' || this.#abort.signal.aborted) return;
    const format = notification.CallBackFormat ?? 'XML';
    const mq = notification.CallBackMqConfig;
    if (notification.CallBackType === 'TDMQ') {
      const target = `tdmq://${mq?.MqRegion ?? ''}/${mq?.MqName ?? ''}`;
      this.#record({ jobId, channel: 'TDMQ', target, format, state: 'recorded', attempts: 0 });
      return;
    }
    const record: CallbackDelivery = { jobId, channel: 'Url', target: url, format, state: 'pending', attempts: 0 };
    this.#record(record);
    // Checked again here: a job stored by an earlier run may name a host the current allow-list no longer has.
    if (this.#targets.refusal(url) !== undefined) {
      record.state = 'failed';
      record.lastError = 'refused';
      return;
    }
    const delivery = this.#deliver(record, url, callbackBody(detail, format)).finally(() =>
      this.#inFlight.delete(delivery),
    );
    this.#inFlight.add(delivery);
  }

  /** Recent deliveries, newest last, and how many are still going on. */
  state(): { inFlight: number; deliveries: CallbackDelivery[] } {
    return { inFlight: this.#inFlight.size, deliveries: this.#records.map((record) => ({ ...record })) };
  }

  /** Aborts every attempt and retry, and waits for them to stop. */
  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  #record(record: CallbackDelivery): void {
    this.#records.push(record);
    if (this.#records.length > MAX_RECORDS) this.#records.shift();
  }

  async #deliver(record: CallbackDelivery, url: string, body: string): Promise<void> {
    const contentType = record.format === 'JSON' ? 'application/json' : 'application/xml';
    const closed = this.#abort.signal;
    for (let attempt = 1; attempt <= this.#options.attempts; attempt += 1) {
      if (attempt > 1) {
        const delay = this.#options.retryDelayMs * 2 ** (attempt - 2);
        try {
          await sleep(delay, undefined, { signal: closed });
        } catch {
          break;
        }
      }
      if (closed.aborted) break;
      record.attempts = attempt;
      if (await this.#attempt(record, url, body, contentType)) {
        record.state = 'delivered';
        return;
      }
    }
    record.state = closed.aborted ? 'cancelled' : 'failed';
  }

  /** One `POST`; whether the listener answered 2xx. */
  async #attempt(record: CallbackDelivery, url: string, body: string, contentType: string): Promise<boolean> {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    const signal = AbortSignal.any([this.#abort.signal, timeout]);
    try {
      const headers = { 'Content-Type': contentType, 'User-Agent': 'cos-emulator-ci-callback' };
      const status = await postCallback(new URL(url), body, headers, signal);
      record.lastStatus = status;
      delete record.lastError;
      return status >= 200 && status < 300;
    } catch (error) {
      record.lastError = timeout.aborted ? 'timeout' : this.#abort.signal.aborted ? 'aborted' : describeFailure(error);
      return false;
    }
  }
}

/** A network error's code (`ECONNREFUSED`, `ENOTFOUND`), else its name. */
function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return typeof code === 'string' ? code : error.name;
  }
  return 'unknown error';
}
