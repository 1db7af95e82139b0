import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { JobCallbackRelay } from '../core/jobs/job-types.js';
import type { GetAuthorization } from '../core/signing/credentials.js';
import { ATTRIBUTE_NAMES, type ElementAttributes, type ElementInput } from './element-input.js';
import { CosBeforeUploadEvent } from './events.js';
import { renderDropZone, renderFile, renderIdleActions, type IdleContext } from './idle-view.js';
import { resolveLang, stringsFor, type Strings } from './localize.js';
import type { SessionSnapshot } from './pipeline.js';
import { SessionController, type ElementPhase } from './session-controller.js';
import { setStates } from './custom-states.js';
import { DropController } from './drop-controller.js';
import { styles } from './styles.js';
import type { WorkContext } from './work-view.js';

/** Phases in which work runs: choosing another file or starting again waits until it ends. */
const BUSY: readonly ElementPhase[] = ['uploading', 'submitting', 'processing'];
const STATES = ['idle', 'uploading', 'paused', 'submitting', 'processing', 'done', 'failed', 'cancelled', 'dragover'];

/**
 * Uploads a video to Tencent Cloud COS and runs a Cloud Infinite media job on it (a transcode, with watermarks and an
 * invisible digital watermark, or the extraction of one), then shows the result playing.
 *
 * `<cos-transcoder bucket region file-key template-id auth-url>` runs with no script at all: a person picks or drops a
 * file, it is uploaded to `file-key`, a Transcode job is submitted and followed, and the output plays in the element.
 * With no file chosen, `start()` (or the Start button of a `manual` element) processes the object already at
 * `file-key`. Every attribute is checked when work starts: a bad one is shown in words and fired as `cos-error`.
 *
 * The protocol core is not part of the first paint: it is loaded with one dynamic `import()` when work starts.
 * `lang` (on the element or an ancestor, else the browser's language) picks English or Simplified Chinese.
 *
 * @summary Upload a video to COS, transcode it with Cloud Infinite, and show the result.
 *
 * @event {CosBeforeUploadEvent} cos-before-upload - Before an upload starts; cancelable (`preventDefault()` vetoes it). Detail: `{ file, key }`.
 * @event {CosUploadStartEvent} cos-upload-start - The upload began. Detail: `{ file, key }`.
 * @event {CosUploadProgressEvent} cos-upload-progress - More of the file was sent. Detail: `{ percent, transferredBytes, totalBytes, bytesPerSecond }`.
 * @event {CosUploadCompleteEvent} cos-upload-complete - The file is stored. Detail: `{ result }` (key, size, ETag, CRC-64).
 * @event {CosJobSubmittedEvent} cos-job-submitted - The media job exists. Detail: `{ jobId, tag }`.
 * @event {CosJobChangeEvent} cos-job-change - The job's state or progress changed. Detail: `{ jobId, status, progress, source }`, source `submit` | `poll` | `callback`.
 * @event {CosJobCompleteEvent} cos-job-complete - The job succeeded. Detail: `{ jobId, tag, outputs, mediaInfo?, extractedMessage?, upload? }`.
 * @event {CosJobFailedEvent} cos-job-failed - The job ended in `Failed`. Detail: `{ jobId, error }`.
 * @event {CosCancelEvent} cos-cancel - The work was cancelled. Detail: `{ phase }`.
 * @event {CosErrorEvent} cos-error - The work failed (bad attribute, refused file, signing, network, service, job). Detail: `{ error }`, a `TranscoderError`.
 *
 * @slot label - The drop zone's heading. Default: "Drop a video here".
 * @slot empty - Shown in the drop zone while no file is chosen. Default: the accepted types and the size limit.
 *
 * @csspart base - The card around everything.
 * @csspart drop-zone - The area a file can be dropped on.
 * @csspart file - The chosen file (or the object at `file-key`): name, size and type.
 * @csspart steps - The steps (upload, process, result) and where the work is.
 * @csspart status - The current phase, its progress bar and details.
 * @csspart progress - The progress track (`role="progressbar"`).
 * @csspart progress-bar - The filled part of the track.
 * @csspart error - The failure, in words, with the service's message and request id.
 * @csspart actions - The row of buttons.
 * @csspart button - Every button; each also has its own part: `choose-button`, `start-button`, `pause-button`, `resume-button`, `cancel-button`, `retry-button`, `reset-button`.
 * @csspart result - The result: preview, media information, outputs, extracted message.
 * @csspart video - The `<video>` playing the output.
 * @csspart media-info - Duration, resolution, codec and size of the output.
 * @csspart outputs - The list of output objects.
 * @csspart message - The message an extraction job found.
 *
 * @cssproperty --cos-accent - Buttons, progress and highlights. Default `#2563eb` (light), `#6ea8fe` (dark).
 * @cssproperty --cos-on-accent - Text on the accent colour.
 * @cssproperty --cos-background - The card's background.
 * @cssproperty --cos-foreground - The text colour.
 * @cssproperty --cos-muted - Secondary text.
 * @cssproperty --cos-subtle - Quiet surfaces (drop zone, tracks, tiles).
 * @cssproperty --cos-border - Borders.
 * @cssproperty --cos-success - Finished steps and results.
 * @cssproperty --cos-danger - Errors.
 * @cssproperty --cos-danger-background - The error box's background.
 * @cssproperty --cos-radius - The card's corner radius. Default `12px`.
 * @cssproperty --cos-progress-height - The progress track's height. Default `8px`.
 * @cssproperty --cos-font - The font shorthand.
 * @cssproperty --cos-focus-ring - The `box-shadow` of focused controls.
 *
 * @cssstate idle - Nothing running yet.
 * @cssstate uploading - The file is being sent.
 * @cssstate paused - The upload is paused.
 * @cssstate submitting - The job is being submitted.
 * @cssstate processing - The job runs.
 * @cssstate done - The job succeeded; the result is shown.
 * @cssstate failed - The work failed; the error is shown.
 * @cssstate cancelled - The work was cancelled.
 * @cssstate dragover - A file is dragged over the drop zone.
 */
export class CosTranscoder extends LitElement {
  static override styles = styles;
  static override properties = {
    bucket: { reflect: true },
    region: { reflect: true },
    fileKey: { attribute: 'file-key', reflect: true },
    templateId: { attribute: 'template-id', reflect: true },
    authUrl: { attribute: 'auth-url', reflect: true },
    outputKey: { attribute: 'output-key', reflect: true },
    outputBucket: { attribute: 'output-bucket', reflect: true },
    outputRegion: { attribute: 'output-region', reflect: true },
    watermarkTemplateIds: { attribute: 'watermark-template-ids', reflect: true },
    digitalWatermark: { attribute: 'digital-watermark', reflect: true },
    userData: { attribute: 'user-data', reflect: true },
    jobLevel: { attribute: 'job-level', reflect: true },
    callbackUrl: { attribute: 'callback-url', reflect: true },
    callbackFormat: { attribute: 'callback-format', reflect: true },
    jobTag: { attribute: 'job-tag', reflect: true },
    accept: { reflect: true },
    maxFileSize: { attribute: 'max-file-size', reflect: true },
    manual: { type: Boolean, reflect: true },
    cosDomain: { attribute: 'cos-domain', reflect: true },
    ciDomain: { attribute: 'ci-domain', reflect: true },
    protocol: { reflect: true },
    eventsUrl: { attribute: 'events-url', reflect: true },
    getAuthorization: { attribute: false },
    subscribe: { attribute: false },
    strings: { attribute: false },
    file: { attribute: false },
  };

  readonly #session = new SessionController(this);
  readonly #internals = this.attachInternals();

  readonly #drop = new DropController(this, { isBusy: () => this.#busy, onDrop: (file) => this.selectFile(file) });

  #styled = false;

  /** Bucket name with its APPID, `examplebucket-1250000000`. Required. */
  declare bucket?: string;
  /** Region of the bucket, `ap-guangzhou`. Required. */
  declare region?: string;
  /** Where the file is uploaded (and the job's input). Required. */
  declare fileKey?: string;
  /** The transcode template. Required for `Transcode`, not for `ExtractDigitalWatermark`. */
  declare templateId?: string;
  /** A URL POSTed each signing request as JSON; it answers STS credentials or a signature. Or set `getAuthorization`. */
  declare authUrl?: string;
  /**
   * The output object. `${ext}` is the template's container extension.
   * @default the file key with `_transcoded.${ext}` in place of its extension (`dir/a.mp4` -> `dir/a_transcoded.${ext}`)
   */
  declare outputKey?: string;
  /** The output's bucket. @default `bucket` */
  declare outputBucket?: string;
  /** The output's region. @default `region` */
  declare outputRegion?: string;
  /** Up to 3 watermark template ids, separated by spaces. */
  declare watermarkTemplateIds?: string;
  /** An invisible text watermark to embed (1-64 Chinese characters, letters, digits, `_`, `-`, `*`). */
  declare digitalWatermark?: string;
  /** `Operation.UserData`, echoed in the result and the callback (printable ASCII, up to 1024). */
  declare userData?: string;
  /** Job priority, `0`, `1` or `2`. @default 0 (the service's) */
  declare jobLevel?: string;
  /** The job's callback URL (the host relays callbacks back through `events-url` or `subscribe`). */
  declare callbackUrl?: string;
  /** The callback body format, `XML` or `JSON`. @default 'XML' (the service's) */
  declare callbackFormat?: string;
  /** `Transcode` or `ExtractDigitalWatermark` (reads the watermark of the file; no template needed). @default 'Transcode' */
  declare jobTag?: string;
  /** Accepted files, as `<input accept>`. @default 'video/*' */
  declare accept?: string;
  /** The largest file accepted, in bytes or with a unit (`500MB`, `2GiB`). */
  declare maxFileSize?: string;
  /** Show a Start button instead of starting as soon as a file is chosen. */
  declare manual: boolean;
  /** COS host template with `{Bucket}` and `{Region}`. @default '{Bucket}.cos.{Region}.myqcloud.com' */
  declare cosDomain?: string;
  /** CI host template with `{Bucket}` and `{Region}`. @default '{Bucket}.ci.{Region}.myqcloud.com' */
  declare ciDomain?: string;
  /** `https` or `http`. @default 'https' */
  declare protocol?: string;
  /** A Server-Sent Events stream of the job's relayed callbacks; `{jobId}` is replaced by the job id. */
  declare eventsUrl?: string;

  /** Signs requests from code instead of `auth-url`: answers credentials or a signature (see the core's contract). */
  declare getAuthorization?: GetAuthorization;
  /**
   * Relays the job's callbacks from code: call `deliver(body)` for each and `status('open' | 'down')` as the relay
   * connects and drops (polling speeds up while it is down), and return an unsubscribe function.
   */
  declare subscribe?: JobCallbackRelay['subscribe'];
  /** Overrides of any built-in string, in the element's language. */
  declare strings?: Partial<Strings>;
  /** The chosen file. Setting it chooses without starting; `selectFile()` does what a person choosing does. */
  declare file?: File | Blob;

  constructor() {
    super();
    this.manual = false;
  }

  /** The session's state: phase, upload, job, result, error. `undefined` before work started. */
  get snapshot(): SessionSnapshot | undefined {
    return this.#session.snapshot;
  }

  // `lang` is the element's own HTML attribute: re-render when it changes.
  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, 'lang'];
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name === 'lang') this.requestUpdate();
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    // The work view's styles arrive with the pipeline chunk; adopt them once, after the element's own.
    const work = this.#session.pipeline;
    const root = this.renderRoot as ShadowRoot;
    if (work && !this.#styled && root.adoptedStyleSheets) {
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, work.workStyles.styleSheet!];
      this.#styled = true;
    }
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    const upload = this.#session.snapshot?.upload?.status;
    const phase = this.#phase === 'uploading' && upload === 'paused' ? 'paused' : this.#phase;
    setStates(this.#internals, STATES, (name) => name === phase || (name === 'dragover' && this.#drop.over));
  }

  get #fileInput(): HTMLInputElement {
    return this.renderRoot.querySelector('input[type=file]')!;
  }

  get #phase(): ElementPhase {
    return this.#session.phase;
  }

  get #busy(): boolean {
    return BUSY.includes(this.#phase) || this.#session.loading;
  }

  /** The key the work is about: the session's once work started (attributes may change meanwhile), else `file-key`. */
  get #workKey(): string {
    return this.#session.snapshot?.key ?? this.fileKey ?? '';
  }

  get #lang(): string {
    return resolveLang(this);
  }

  get #strings(): Strings {
    return stringsFor(this.#lang, this.strings, this.#session.pipeline?.workStrings);
  }

  #input(file = this.file): ElementInput {
    const attributes = Object.fromEntries(ATTRIBUTE_NAMES.map((name) => [name, this.getAttribute(name)]));
    return {
      attributes: attributes as ElementAttributes,
      file,
      getAuthorization: this.getAuthorization,
      subscribe: this.subscribe,
    };
  }

  #handleChoose(): void {
    this.#fileInput.click();
  }

  #handleInput(): void {
    const input = this.#fileInput;
    const file = input.files?.[0];
    input.value = '';
    if (file) this.selectFile(file);
  }

  /**
   * Chooses `file` as a person choosing or dropping it does: it is checked (`accept`, `max-file-size`) and, unless
   * `manual`, uploaded and processed at once.
   */
  selectFile(file: File | Blob): void {
    if (this.#busy) return;
    this.#session.clear();
    this.file = file;
    if (!this.manual) void this.start();
  }

  /**
   * Starts the work: uploads the chosen file to `file-key` and runs the job, or, with no file chosen, runs the job
   * on the object already at `file-key`. Resolves once the work has ended, however it ended (a failure is shown and
   * fired as `cos-error`, not thrown). Does nothing while work runs.
   */
  async start(): Promise<void> {
    if (this.#busy) return;
    await this.updateComplete;
    const file = this.file;
    if (file) {
      const before = new CosBeforeUploadEvent({ file, key: this.fileKey ?? '' });
      this.dispatchEvent(before);
      if (before.defaultPrevented) return;
    }
    await this.#session.start(this.#input(file));
  }

  /** Pauses the upload (parts in flight finish); nothing happens outside the upload. */
  pause(): void {
    this.#session.pause();
  }

  /** Resumes a paused upload. */
  resume(): void {
    this.#session.resume();
  }

  /** Cancels the work: aborts the upload, or cancels the job on the service (a running job is no longer followed). */
  cancel(): Promise<void> {
    return this.#session.cancel();
  }

  /** After a failure: resumes the phase that failed (a failed submission does not upload again). */
  async retry(): Promise<void> {
    await this.updateComplete;
    return this.#session.retry(this.#input());
  }

  /** Back to the drop zone: forgets the file, the result and any error (cancelling work that still runs). */
  reset(): void {
    this.#session.clear();
    this.file = undefined;
  }

  /** Hands the job a relayed callback body (XML or JSON, string or parsed). Returns whether it was for this job. */
  deliver(payload: unknown): boolean {
    return this.#session.deliver(payload);
  }

  override render(): TemplateResult {
    const phase = this.#phase;
    const work = this.#session.pipeline;
    const context = work ? this.#context() : undefined;
    const idle = this.#idleContext();
    return html`<div part="base">
      ${phase === 'idle' && !this.file ? renderDropZone(idle) : renderFile(idle)}
      ${phase === 'idle' ? renderIdleActions(idle) : context ? work!.renderWork(context) : this.#renderBareError()}
      <div class="sr-only" role="status">${context ? work!.announcement(context) : ''}</div>
      <input type="file" hidden accept=${this.accept ?? 'video/*'} @change=${this.#handleInput} />
    </div>`;
  }

  #context(): WorkContext {
    return {
      session: this.#session,
      strings: this.#strings,
      lang: this.#lang,
      file: this.file,
      fileKey: this.#workKey,
      templateId: this.templateId ?? '',
      watermarkTemplateIds: this.watermarkTemplateIds ?? '',
      jobTag: this.jobTag ?? 'Transcode',
      act: this.#act,
    };
  }

  #idleContext(): IdleContext {
    return {
      strings: this.#strings,
      lang: this.#lang,
      file: this.file,
      fileKey: this.#workKey,
      accept: this.accept ?? 'video/*',
      maxFileSize: this.maxFileSize,
      manual: this.manual,
      choose: this.#handleChoose,
      start: () => void this.start(),
      dragOver: this.#drop.dragOver,
      dragLeave: this.#drop.dragLeave,
      drop: this.#drop.drop,
    };
  }

  readonly #act: WorkContext['act'] = {
    pause: () => this.pause(),
    resume: () => this.resume(),
    cancel: () => this.cancel(),
    retry: () => this.retry(),
    reset: () => this.reset(),
  };

  /** A failure the pipeline chunk could not word (it did not load): its message as it is. */
  #renderBareError(): TemplateResult | typeof nothing {
    const error = this.#session.error;
    return error ? html`<div part="error" role="alert">${this.#strings.errOther} ${error.message}</div>` : nothing;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cos-transcoder': CosTranscoder;
  }
}
