// Adapts a headless transcode session to <cos-transcoder>: loads the pipeline chunk when work starts, follows the
// session while the element is connected, turns each change of its snapshot into the element's events, and fetches
// the signed preview URL of a finished transcode. Moving the element in the DOM only pauses listening: the work
// goes on, and the events missed meanwhile are fired when it is connected again.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { TranscoderError } from '../core/errors.js';
import type { ElementInput } from './element-input.js';
import { CosErrorEvent } from './events.js';
import type { SessionSnapshot, TranscodeSession } from './pipeline.js';

type Pipeline = typeof import('./pipeline.js');
type Host = ReactiveControllerHost & HTMLElement;

/** The phase the element shows: the session's, or `failed` for a failure before there was one. */
export type ElementPhase = SessionSnapshot['phase'];

let pipeline: Promise<Pipeline> | undefined;
/** The pipeline chunk, loaded once per page. */
export const loadPipeline = (): Promise<Pipeline> => (pipeline ??= import('./pipeline.js'));

/** Runs one session at a time for its host element. */
export class SessionController implements ReactiveController {
  readonly #host: Host;
  #session: TranscodeSession | undefined;
  #unsubscribe: (() => void) | undefined;
  /** The snapshot events were last fired for. */
  #seen: SessionSnapshot | undefined;
  /** A failure before any session existed: a bad attribute, a refused file, the chunk not loading. */
  #failure: TranscoderError | undefined;
  #loading = false;
  #file: File | Blob | undefined;
  /** A short-lived signed GET URL of the finished transcode's output. */
  previewUrl: string | undefined;
  /** The pipeline chunk, once loaded: it also renders the work and fires the events. */
  pipeline: Pipeline | undefined;

  constructor(host: Host) {
    this.#host = host;
    host.addController(this);
  }

  /** The session's snapshot, `undefined` before work started. */
  get snapshot(): SessionSnapshot | undefined {
    return this.#session?.snapshot;
  }

  /** What the element shows. */
  get phase(): ElementPhase {
    if (this.#failure) return 'failed';
    return this.#session?.snapshot.phase ?? (this.#loading ? (this.#file ? 'uploading' : 'submitting') : 'idle');
  }

  /** Whether the pipeline is being loaded (between `start()` and the first snapshot). */
  get loading(): boolean {
    return this.#loading;
  }

  /** The failure while `phase` is `failed`. */
  get error(): TranscoderError | undefined {
    return this.#failure ?? this.#session?.snapshot.error;
  }

  hostConnected(): void {
    if (this.#session && !this.#unsubscribe) this.#follow(this.#session);
  }

  hostDisconnected(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Checks the input, builds a session and runs it. Failures end in the `failed` phase and a `cos-error`. */
  async start(input: ElementInput): Promise<void> {
    this.clear();
    this.#loading = true;
    this.#file = input.file;
    this.#host.requestUpdate();
    let session: TranscodeSession;
    try {
      this.pipeline = await loadPipeline();
      session = this.pipeline.createSession(input);
    } catch (error) {
      this.#loading = false;
      await this.fail(error);
      return;
    }
    this.#loading = false;
    this.#session = session;
    if (this.#host.isConnected) this.#follow(session);
    await session.start().catch(() => undefined); // the failure arrives as a snapshot
  }

  /** Shows `error` (anything thrown) as the failure and fires `cos-error`. */
  async fail(error: unknown): Promise<void> {
    this.pipeline ??= await loadPipeline().catch(() => undefined);
    this.#failure = this.pipeline ? this.pipeline.toTranscoderError(error) : (error as TranscoderError);
    this.#host.requestUpdate();
    this.#host.dispatchEvent(new CosErrorEvent({ error: this.#failure }));
  }

  pause(): void {
    this.#session?.pause();
  }

  resume(): void {
    this.#session?.resume();
  }

  async cancel(): Promise<void> {
    await this.#session?.cancel();
  }

  /** Resumes the failed phase; a failure before any session starts over with `input`. */
  async retry(input: ElementInput): Promise<void> {
    const session = this.#session;
    if (!session || this.#failure || !session.snapshot.failedPhase) return this.start(input);
    await session.retry().catch(() => undefined);
  }

  deliver(payload: unknown): boolean {
    return this.#session?.deliver(payload) ?? false;
  }

  /** Forgets the session (cancelling its work if it runs) and any failure: back to idle. */
  clear(): void {
    const session = this.#session;
    if (session && !['done', 'failed', 'cancelled', 'idle'].includes(session.snapshot.phase)) void session.cancel();
    this.hostDisconnected();
    this.#session = undefined;
    this.#seen = undefined;
    this.#failure = undefined;
    this.previewUrl = undefined;
    this.#host.requestUpdate();
  }

  #follow(session: TranscodeSession): void {
    this.#unsubscribe = session.subscribe((snapshot) => this.#changed(session, snapshot));
    this.#changed(session, session.snapshot);
  }

  /** Fires the events between the last snapshot seen and `now` (the pipeline chunk knows how). */
  #changed(session: TranscodeSession, now: SessionSnapshot): void {
    if (session !== this.#session) return;
    const before = this.#seen;
    this.#seen = now;
    this.#host.requestUpdate();
    if (before === now || !this.pipeline) return;
    this.pipeline.fireChanges(this.#host, before, now, this.#file);
    if (now.phase === 'done' && before?.phase !== 'done') void this.#preview(session, now);
  }

  /** Signs a short-lived GET URL of the transcode's output, for the `<video>` preview. */
  async #preview(session: TranscodeSession, snapshot: SessionSnapshot): Promise<void> {
    const output = snapshot.result?.outputs[0];
    if (!output || snapshot.result?.job.tag === 'ExtractDigitalWatermark') return;
    try {
      const url = await session.presignObjectUrl(output, { expiresSeconds: 900 });
      if (session === this.#session) {
        this.previewUrl = url;
        this.#host.requestUpdate();
      }
    } catch {
      // No preview: the links and media information are still shown.
    }
  }
}
