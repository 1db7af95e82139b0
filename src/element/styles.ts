import { css } from 'lit';

/** <cos-transcoder>'s styles: a card, light and dark, every colour and size a `--cos-*` custom property. */
export const styles = css`
  :host {
    --_accent: var(--cos-accent, #2563eb);
    --_on-accent: var(--cos-on-accent, #fff);
    --_bg: var(--cos-background, #fff);
    --_fg: var(--cos-foreground, #1b1f24);
    --_muted: var(--cos-muted, #566070);
    --_subtle: var(--cos-subtle, #f4f6f9);
    --_border: var(--cos-border, #d5dbe3);
    --_success: var(--cos-success, #157f3c);
    --_danger: var(--cos-danger, #b42318);
    --_danger-bg: var(--cos-danger-background, #fef3f2);
    --_radius: var(--cos-radius, 12px);
    --_bar: var(--cos-progress-height, 8px);
    --_focus: var(--cos-focus-ring, 0 0 0 3px color-mix(in srgb, var(--_accent) 45%, transparent));
    display: block;
    color-scheme: light dark;
    container-type: inline-size;
    font: var(--cos-font, 14px/1.45 system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', sans-serif);
    color: var(--_fg);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_accent: var(--cos-accent, #6ea8fe);
      --_on-accent: var(--cos-on-accent, #0b1424);
      --_bg: var(--cos-background, #171a20);
      --_fg: var(--cos-foreground, #e7eaee);
      --_muted: var(--cos-muted, #a0a9b6);
      --_subtle: var(--cos-subtle, #1f242c);
      --_border: var(--cos-border, #343b46);
      --_success: var(--cos-success, #4ade80);
      --_danger: var(--cos-danger, #ff8a80);
      --_danger-bg: var(--cos-danger-background, #2a1715);
    }
  }
  :host([hidden]) {
    display: none;
  }
  * {
    box-sizing: border-box;
  }
  [part~='base'] {
    display: grid;
    gap: 16px;
    padding: 20px;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  [part~='drop-zone'] {
    display: grid;
    justify-items: center;
    gap: 8px;
    padding: 28px 16px;
    text-align: center;
    background: var(--_subtle);
    border: 2px dashed var(--_border);
    border-radius: calc(var(--_radius) - 4px);
    transition: border-color 0.15s, background-color 0.15s;
  }
  :host(:state(dragover)) [part~='drop-zone'] {
    border-color: var(--_accent);
    background: color-mix(in srgb, var(--_accent) 10%, var(--_bg));
  }
  .icon {
    width: 36px;
    height: 36px;
    color: var(--_accent);
  }
  .label {
    font-size: 1.1em;
    font-weight: 600;
  }
  .hint,
  .meta,
  .sub {
    color: var(--_muted);
    font-size: 0.9em;
  }
  [part~='file'] {
    display: flex;
    align-items: center;
    gap: 12px;
    min-width: 0;
  }
  [part~='file'] .icon {
    flex: none;
    width: 28px;
    height: 28px;
  }
  .name {
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  [part~='actions'] {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px;
  }
  .existing {
    justify-content: space-between;
    overflow-wrap: anywhere;
  }
  .existing .hint {
    flex: 1 1 200px;
  }
  button {
    font: inherit;
    font-weight: 600;
    padding: 7px 16px;
    color: var(--_fg);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: 8px;
    cursor: pointer;
  }
  button:hover {
    background: var(--_subtle);
  }
  button.primary {
    color: var(--_on-accent);
    background: var(--_accent);
    border-color: var(--_accent);
  }
  button.primary:hover {
    background: color-mix(in srgb, var(--_accent) 88%, var(--_fg));
  }
  button.link {
    padding: 2px 4px;
    font-weight: 500;
    color: var(--_accent);
    background: none;
    border: none;
    text-decoration: underline;
  }
  button:focus-visible,
  a:focus-visible,
  video:focus-visible {
    outline: none;
    box-shadow: var(--_focus);
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;
