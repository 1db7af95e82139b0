// What the element shows before work starts: the drop zone, the chosen file, and the Start row. Part of the first
// paint (no core import). Listeners are bound by Lit to the element that renders these templates.
import { html, nothing, type TemplateResult } from 'lit';
import { fileIcon, uploadIcon } from './icons.js';
import { fill, formatBytes, type Strings } from './localize.js';
import { parseSize } from './size.js';

/** What the idle view reads from the element. */
export interface IdleContext {
  strings: Strings;
  lang: string;
  file: File | Blob | undefined;
  fileKey: string;
  accept: string;
  maxFileSize: string | undefined;
  manual: boolean;
  choose: () => void;
  start: () => void;
  dragOver: (event: DragEvent) => void;
  dragLeave: (event: DragEvent) => void;
  drop: (event: DragEvent) => void;
}

/** The drop zone with its file button and the accepted types and size. */
export function renderDropZone(context: IdleContext): TemplateResult {
  const { strings: s, accept, lang } = context;
  const max = context.maxFileSize ? parseSize(context.maxFileSize) : undefined;
  const limits = max ? fill(s.limits, { accept, size: formatBytes(max, lang) }) : accept || s.anyType;
  return html`<div
    part="drop-zone"
    @dragenter=${context.dragOver}
    @dragover=${context.dragOver}
    @dragleave=${context.dragLeave}
    @drop=${context.drop}
  >
    ${uploadIcon}
    <div class="label"><slot name="label">${s.dropLabel}</slot></div>
    <div class="hint">${s.or}</div>
    <button class="primary" part="button choose-button" @click=${context.choose}>${s.choose}</button>
    <div class="hint"><slot name="empty">${limits}</slot></div>
  </div>`;
}

/** The chosen file (name, size, type), or the object at `file-key` when none was chosen. */
export function renderFile({ strings: s, lang, file, fileKey }: IdleContext): TemplateResult {
  const meta = file ? [formatBytes(file.size, lang), file.type].filter(Boolean).join(' · ') : s.inBucket;
  return html`<div part="file">
    ${fileIcon}
    <div>
      <div class="name">${file ? (file as File).name || 'blob' : fileKey}</div>
      <div class="meta">${meta}</div>
    </div>
  </div>`;
}

/** Start (and choose another) for a chosen file; for a `manual` element without one, the object already in the bucket. */
export function renderIdleActions(context: IdleContext): TemplateResult | typeof nothing {
  const { strings: s } = context;
  if (context.file) {
    return html`<div part="actions">
      <button part="button start-button" class="primary" @click=${context.start}>${s.start}</button>
      <button part="button choose-button" @click=${context.choose}>${s.chooseOther}</button>
    </div>`;
  }
  if (!context.manual) return nothing;
  return html`<div part="actions" class="existing">
    <span class="hint">${fill(s.existing, { key: context.fileKey })}</span>
    <button part="button start-button" class="primary" @click=${context.start}>${s.start}</button>
  </div>`;
}
