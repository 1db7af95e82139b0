import { svg } from 'lit';

const icon = (path: ReturnType<typeof svg>) =>
  svg`<svg class="icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${path}</svg>`;

/** A cloud with an arrow: the drop zone. */
export const uploadIcon = icon(svg`<path d="M7 18a4.5 4.5 0 0 1-.6-8.96A6 6 0 0 1 18 8.5a4 4 0 0 1 0 9.5"/><path d="M12 12v8m-3.5-4.5L12 12l3.5 3.5"/>`);

/** A film strip: the chosen file. */
export const fileIcon = icon(svg`<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M7 4v16M17 4v16M3 9h4m10 0h4M3 15h4m10 0h4"/>`);
