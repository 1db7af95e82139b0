// The finished job as a person sees it: the output playing, its duration, resolution, codecs and size, the
// objects written, and for an extraction the message it found. Everything is bound as text or as attributes.
import { html, nothing, type TemplateResult } from 'lit';
import { formatBytes, formatDuration, type Strings } from './localize.js';
import type { SessionController } from './session-controller.js';

/** The result section, or nothing before the job is done. */
export function renderResult(session: SessionController, s: Strings, lang: string): TemplateResult | typeof nothing {
  const result = session.phase === 'done' ? session.snapshot?.result : undefined;
  if (!result) return nothing;
  if (result.job.tag === 'ExtractDigitalWatermark') {
    const message = result.extractedMessage;
    return html`<section part="result" aria-label=${s.result}>
      <div part="message"><small>${s.extracted}</small>${message || s.noMessage}</div>
    </section>`;
  }
  const format = result.mediaInfo?.Format;
  const video = result.mediaInfo?.Stream?.Video?.[0];
  const audio = result.mediaInfo?.Stream?.Audio?.[0];
  const facts: [string, string | undefined][] = [
    [s.duration, format?.Duration !== undefined ? formatDuration(format.Duration, lang) : undefined],
    [s.resolution, video?.Width && video.Height ? `${video.Width} × ${video.Height}` : undefined],
    [s.codec, [video?.CodecName, audio?.CodecName].filter(Boolean).join(' / ') || undefined],
    [s.size, format?.Size !== undefined ? formatBytes(format.Size, lang) : undefined],
  ];
  const url = session.previewUrl;
  return html`<section part="result" aria-label=${s.result}>
    ${url ? html`<video part="video" controls playsinline preload="metadata" src=${url} aria-label=${s.preview}></video>` : nothing}
    <dl part="media-info">
      ${facts.filter(([, value]) => value).map(([name, value]) => html`<div><dt>${name}</dt><dd>${value}</dd></div>`)}
    </dl>
    <ul part="outputs" aria-label=${s.output}>
      ${result.outputs.map(
        (output, index) => html`<li>
          <span>${output.key}</span>
          ${index === 0 && url ? html`<a href=${url} target="_blank" rel="noopener">${s.open}</a>` : nothing}
        </li>`,
      )}
    </ul>
  </section>`;
}
