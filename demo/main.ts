// The demo page's script. The widgets are configured in the page's HTML; this only adds what a page adds around
// them: the markup shown under each card, the sample-video buttons, and chaining the extraction to a finished
// transcode. Nothing here is needed for the widgets to work.

import type { CosTranscoder } from '../src/index.js';

/** The page's widgets by id. */
const widget = (id: string) => document.getElementById(id) as CosTranscoder | null;

/** The element's markup as written in the page, one attribute a line (read before the element renders). */
function markupOf(element: Element): string {
  const attributes = [...element.attributes]
    .filter((attribute) => attribute.name !== 'id')
    .map(({ name, value }) => (value === '' ? `  ${name}` : `  ${name}="${value}"`));
  return `<cos-transcoder\n${attributes.join('\n')}\n></cos-transcoder>`;
}

for (const code of document.querySelectorAll<HTMLElement>('[data-markup-of]')) {
  const element = widget(code.dataset['markupOf'] ?? '');
  if (element) code.textContent = markupOf(element);
}

/** The sample that ships with the demo (bundled into the static build by Vite). */
const SAMPLE_URL = new URL('../test/fixtures/media/sample-640x360.mp4', import.meta.url);

async function sampleFile(): Promise<File> {
  const response = await fetch(SAMPLE_URL);
  if (!response.ok) throw new Error(`The sample video could not be loaded (HTTP ${response.status})`);
  return new File([await response.blob()], 'sample-640x360.mp4', { type: 'video/mp4' });
}

for (const button of document.querySelectorAll<HTMLButtonElement>('[data-sample-for]')) {
  button.addEventListener('click', () => {
    const element = widget(button.dataset['sampleFor'] ?? '');
    if (!element) return;
    button.disabled = true;
    sampleFile()
      .then((file) => element.selectFile(file))
      .catch((error: unknown) => console.error(error))
      .finally(() => (button.disabled = false));
  });
}

// When a transcode finishes, the extraction widget reads its output (the object already in the bucket). Outputs
// that finish while it is reading another wait their turn: the widget does one job at a time.
const extraction = widget('extract-job');
const waiting: string[] = [];
let extracting = false;
async function extractNext(): Promise<void> {
  const key = waiting.shift();
  if (!extraction || extracting || key === undefined) return;
  extracting = true;
  extraction.setAttribute('file-key', key);
  await extraction.start();
  extracting = false;
  void extractNext();
}
for (const id of ['with-sts', 'with-sign']) {
  widget(id)?.addEventListener('cos-job-complete', (event) => {
    const output = event.detail.outputs[0];
    if (!output) return;
    waiting.push(output.key);
    void extractNext();
  });
}

// The widgets' language: their `lang` attribute (without one, they follow the page's, then the browser's).
const languageButtons = document.querySelectorAll<HTMLButtonElement>('[data-lang]');
for (const button of languageButtons) {
  button.addEventListener('click', () => {
    for (const element of document.querySelectorAll('cos-transcoder')) element.setAttribute('lang', button.dataset['lang']!);
    for (const other of languageButtons) other.setAttribute('aria-pressed', String(other === button));
  });
}

await import('../src/index.js');
