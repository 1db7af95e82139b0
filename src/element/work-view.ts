// What <cos-transcoder> shows once work has started: the steps, the phase with its progress bar, the error in words,
// the result, the buttons that fit the phase, and what the live region says. It is part of the pipeline chunk (no
// work, no need for it), and brings its own styles, adopted next to the element's when the chunk arrives.
import { css, html, nothing, type TemplateResult } from 'lit';
import { errorText } from './error-text.js';
import { fill, formatBytes, formatDuration, formatPercent, type Strings } from './localize.js';
import { renderResult } from './result-view.js';
import type { ElementPhase, SessionController } from './session-controller.js';

/** What the view reads from its element at each render. */
export interface WorkContext {
  readonly session: SessionController;
  readonly strings: Strings;
  readonly lang: string;
  readonly file: File | Blob | undefined;
  readonly fileKey: string;
  readonly templateId: string;
  readonly watermarkTemplateIds: string;
  readonly jobTag: string;
  /** The element's methods, for the buttons. */
  readonly act: {
    pause(): void;
    resume(): void;
    cancel(): unknown;
    retry(): unknown;
    reset(): void;
  };
}

/** Phases in which work runs. */
const BUSY: readonly ElementPhase[] = ['uploading', 'submitting', 'processing'];

/** The steps, the status, the error, the result and the buttons, after the file (or key) row. */
export function renderWork(context: WorkContext): TemplateResult {
  return html`${renderSteps(context)} ${renderStatus(context)} ${renderError(context)}
  ${renderResult(context.session, context.strings, context.lang)} ${renderActions(context)}`;
}

function renderSteps({ session, strings: s, file }: WorkContext): TemplateResult | typeof nothing {
  const phase = session.phase;
  if (phase === 'idle' || phase === 'cancelled') return nothing;
  const steps = file ? [s.stepUpload, s.stepJob, s.stepDone] : [s.stepJob, s.stepDone];
  const failedAt = session.snapshot?.failedPhase;
  const at =
    phase === 'failed'
      ? failedAt === 'uploading'
        ? 0
        : 1
      : phase === 'uploading'
        ? 0
        : phase === 'done'
          ? 2
          : 1;
  const now = file ? at : Math.max(0, at - 1);
  return html`<ol part="steps">
    ${steps.map(
      (step, index) =>
        html`<li
          class=${index < now || phase === 'done' ? 'past' : index === now ? (phase === 'failed' ? 'failed' : 'now') : ''}
          aria-current=${index === now && phase !== 'done' ? 'step' : nothing}
        >
          ${step}
        </li>`,
    )}
  </ol>`;
}

/** The phase's label, its progress (`undefined`: not known yet), the line under the bar, and the bar's name. */
interface ProgressView {
  label: string;
  percent?: number;
  sub: string;
  name: string;
}

function progressView({ session, strings: s, lang, jobTag }: WorkContext): ProgressView | undefined {
  const snapshot = session.snapshot;
  const phase = session.phase;
  if (phase === 'uploading' || (phase === 'failed' && snapshot?.failedPhase === 'uploading')) {
    const progress = snapshot?.upload?.progress;
    const paused = snapshot?.upload?.status === 'paused';
    const waiting = snapshot?.upload?.waitingFor;
    const label = paused
      ? s.paused
      : phase === 'failed'
        ? s.failed
        : waiting === 'other-upload'
          ? s.waitingTab
          : waiting === 'network'
            ? s.waitingNetwork
            : s.uploading;
    if (!progress) return { label, sub: '', name: s.uploadProgress };
    const { transferredBytes: done, totalBytes: total, bytesPerSecond: rate } = progress;
    const sub = [fill(s.ofBytes, { done: formatBytes(done, lang), total: formatBytes(total, lang) })];
    if (rate > 0 && !paused && phase === 'uploading') {
      sub.push(fill(s.perSecond, { size: formatBytes(rate, lang) }));
      // Time left rounds up (never "0 sec left" while bytes remain) and is not shown once every byte is sent.
      if (done < total) sub.push(fill(s.left, { time: formatDuration(Math.ceil((total - done) / rate), lang) }));
    }
    return { label, percent: progress.percent, sub: sub.join(' · '), name: s.uploadProgress };
  }
  if (phase === 'submitting') return { label: s.submitting, sub: '', name: s.jobProgress };
  if (phase !== 'processing' && phase !== 'done') return undefined;
  const job = snapshot?.job;
  const extract = (job?.tag || jobTag) === 'ExtractDigitalWatermark';
  const label =
    phase === 'done' ? s.done : job?.status === 'Submitted' ? s.queued : extract ? s.extracting : s.transcoding;
  const sub = job ? fill(s.job, { id: job.jobId }) : '';
  if (phase === 'done') return { label, percent: 1, sub, name: s.jobProgress };
  // Running at 0 % says nothing yet: the bar moves (indeterminate) until the service reports a share.
  return job?.status === 'Running' && job.progress.percent > 0
    ? { label, percent: job.progress.percent, sub, name: s.jobProgress }
    : { label, sub, name: s.jobProgress };
}

function renderStatus(context: WorkContext): TemplateResult | typeof nothing {
  const view = progressView(context);
  if (!view) {
    return context.session.phase === 'cancelled'
      ? html`<div part="status"><span class="phase">${context.strings.cancelled}</span></div>`
      : nothing;
  }
  const { lang } = context;
  const percent = view.percent;
  const shown = percent === undefined ? '' : formatPercent(percent, lang);
  if (context.session.phase === 'done') {
    return html`<div part="status"><div class="row"><span class="phase">${view.label}</span><span class="sub">${view.sub}</span></div></div>`;
  }
  return html`<div part="status">
    <div class="row">
      <span class="phase">${view.label}</span>
      <span>${shown}</span>
    </div>
    <div
      part="progress"
      class=${percent === undefined ? 'indeterminate' : ''}
      role="progressbar"
      aria-label=${view.name}
      aria-valuemin="0"
      aria-valuemax="100"
      aria-valuenow=${percent === undefined ? nothing : Math.round(percent * 100)}
      aria-valuetext=${[view.label, shown, view.sub].filter(Boolean).join(', ')}
    >
      <div part="progress-bar" style="width: ${Math.round((percent ?? 0) * 1000) / 10}%"></div>
    </div>
    <div class="sub">${view.sub}</div>
  </div>`;
}

function renderError(context: WorkContext): TemplateResult | typeof nothing {
  const { session, strings: s, fileKey, templateId, watermarkTemplateIds, lang } = context;
  const error = session.phase === 'failed' ? session.error : undefined;
  if (!error) return nothing;
  const words = errorText(error, s, { key: fileKey, templateId, watermarkTemplateIds, lang });
  return html`<div part="error" role="alert">
    <strong>${s.errTitle}</strong>
    <span>${words.text}</span>
    ${words.detail || words.requestId
      ? html`<details>
          <summary>${s.details}</summary>
          ${words.detail ? html`<p class="detail">${words.detail}</p>` : nothing}
          ${words.requestId ? html`<p class="detail">${fill(s.requestId, { id: words.requestId })}</p>` : nothing}
        </details>`
      : nothing}
  </div>`;
}

function renderActions({ session, strings: s, act }: WorkContext): TemplateResult | typeof nothing {
  const phase = session.phase;
  const button = (name: string, label: string, click: () => unknown, primary = false) =>
    html`<button part="button ${name}-button" class=${primary ? 'primary' : ''} @click=${click}>${label}</button>`;
  const buttons: TemplateResult[] = [];
  if (phase === 'uploading') {
    const paused = session.snapshot?.upload?.status === 'paused';
    buttons.push(paused ? button('resume', s.resume, act.resume, true) : button('pause', s.pause, act.pause));
  }
  if (BUSY.includes(phase) && !session.loading) buttons.push(button('cancel', s.cancel, act.cancel));
  // After a failure Retry resumes what failed; after a cancel nothing is left to resume: the same work runs afresh.
  if (phase === 'failed') buttons.push(button('retry', s.retry, act.retry, true));
  if (phase === 'cancelled') buttons.push(button('retry', s.again, act.retry, true));
  if (phase === 'failed' || phase === 'cancelled' || phase === 'done') buttons.push(button('reset', s.reset, act.reset));
  return buttons.length ? html`<div part="actions">${buttons}</div>` : nothing;
}

/** What the live region says: the phase, and the progress in steps of 25 % (not every percent). */
export function announcement(context: WorkContext): string {
  const view = progressView(context);
  const phase = context.session.phase;
  const label = view?.label ?? context.strings[phase];
  if (view?.percent === undefined || phase === 'done') return label;
  return `${label} ${formatPercent(Math.floor(view.percent * 4) / 4, context.lang)}`;
}

/** The styles of the work view. */
export const workStyles = css`
  [part~='steps'] {
    display: flex;
    gap: 6px;
    margin: 0;
    padding: 0;
    list-style: none;
    font-size: 0.85em;
    color: var(--_muted);
  }
  [part~='steps'] li {
    flex: 1;
    padding-top: 6px;
    border-top: 3px solid var(--_border);
  }
  [part~='steps'] .now {
    color: var(--_fg);
    font-weight: 600;
    border-color: var(--_accent);
  }
  [part~='steps'] .past {
    border-color: var(--_success);
  }
  [part~='steps'] .failed {
    color: var(--_danger);
    font-weight: 600;
    border-color: var(--_danger);
  }
  [part~='status'] {
    display: grid;
    gap: 6px;
  }
  .row {
    display: flex;
    justify-content: space-between;
    gap: 12px;
    flex-wrap: wrap;
  }
  .phase {
    font-weight: 600;
  }
  [part~='progress'] {
    height: var(--_bar);
    overflow: hidden;
    background: var(--_subtle);
    border: 1px solid var(--_border);
    border-radius: 999px;
  }
  [part~='progress-bar'] {
    height: 100%;
    background: var(--_accent);
    border-radius: inherit;
    transition: width 0.3s ease-out;
  }
  :host(:state(paused)) [part~='progress-bar'] {
    background: var(--_muted);
  }
  :host(:state(done)) [part~='progress-bar'] {
    background: var(--_success);
  }
  .indeterminate [part~='progress-bar'] {
    width: 30% !important;
    animation: slide 1.2s ease-in-out infinite;
  }
  @keyframes slide {
    from {
      transform: translateX(-100%);
    }
    to {
      transform: translateX(340%);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .indeterminate [part~='progress-bar'] {
      animation: none;
      width: 100% !important;
      opacity: 0.5;
    }
  }
  [part~='error'] {
    display: grid;
    gap: 4px;
    padding: 12px 14px;
    background: var(--_danger-bg);
    border: 1px solid color-mix(in srgb, var(--_danger) 40%, transparent);
    border-left: 4px solid var(--_danger);
    border-radius: 8px;
  }
  [part~='error'] strong {
    color: var(--_danger);
  }
  summary {
    width: fit-content;
    color: var(--_muted);
    font-size: 0.9em;
    cursor: pointer;
  }
  summary:focus-visible {
    outline: none;
    box-shadow: var(--_focus);
    border-radius: 4px;
  }
  .detail {
    margin: 6px 0 0;
    font: 0.85em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    color: var(--_muted);
    overflow-wrap: anywhere;
  }
  [part~='result'] {
    display: grid;
    gap: 12px;
  }
  [part~='video'] {
    display: block;
    width: 100%;
    max-height: 360px;
    background: #000;
    border-radius: 8px;
  }
  [part~='media-info'] {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(110px, 1fr));
    gap: 8px;
    margin: 0;
  }
  [part~='media-info'] div {
    padding: 8px 10px;
    background: var(--_subtle);
    border-radius: 8px;
  }
  dt {
    color: var(--_muted);
    font-size: 0.8em;
  }
  dd {
    margin: 0;
    font-weight: 600;
  }
  [part~='outputs'] {
    margin: 0;
    padding: 0;
    list-style: none;
  }
  [part~='outputs'] li {
    display: flex;
    gap: 8px;
    align-items: baseline;
    overflow-wrap: anywhere;
  }
  a {
    color: var(--_accent);
  }
  [part~='message'] {
    padding: 14px 16px;
    font-size: 1.25em;
    font-weight: 700;
    overflow-wrap: anywhere;
    background: color-mix(in srgb, var(--_success) 12%, var(--_bg));
    border: 1px solid color-mix(in srgb, var(--_success) 45%, transparent);
    border-radius: 8px;
  }
  [part~='message'] small {
    display: block;
    font-size: 0.65em;
    font-weight: 500;
    color: var(--_muted);
  }
`;
