// Shared setup of the element tests in Chromium (test/element/): the element configured for the emulator the test
// runner spawned (another origin, real HTTP), signing through the example host's /api/sts, shadow-root queries,
// the MP4 fixture as a File, and axe-core loaded into the page.
import { expect } from 'chai';
import { fixture } from '@open-wc/testing-helpers';
import '../../src/element/define.js';
import type { CosTranscoder } from '../../src/element/cos-transcoder.js';
import { config } from '../e2e/host-config.js';

export { config } from '../e2e/host-config.js';
export { waitFor } from '../e2e/upload-support.js';

/** The emulator's transcode template (the seed's). */
export const TEMPLATE = 't1460606b9752148c4ab182f55163ba7cd';
/** The emulator's watermark template (the seed's). */
export const WATERMARK_TEMPLATE = 't1318c5f428d474afba1797f84091cbe22';

/** A key prefix no other test uses (sessions keep records per key: a reused key would re-attach). */
export const uniqueKey = (name = 'input.mp4'): string =>
  `element/${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}/${name}`;

/** The attributes that point the element at the emulator, signing through the example host's STS route. */
export function emulatorAttributes(overrides: Record<string, string | null> = {}): Record<string, string> {
  const attributes: Record<string, string | null> = {
    bucket: config.bucket,
    region: config.region,
    protocol: config.protocol,
    'cos-domain': config.domains.cos,
    'ci-domain': config.domains.ci,
    'auth-url': '/api/sts',
    'file-key': uniqueKey(),
    'template-id': TEMPLATE,
    // Jobs report through the host's callback relay (an event stream), as a hidden test tab does not poll.
    ...(config.callbackUrl ? { 'callback-url': config.callbackUrl } : {}),
    'events-url': config.jobEventsUrl,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(attributes).filter((entry): entry is [string, string] => entry[1] !== null));
}

/** A `<cos-transcoder>` with `attributes` (set before it connects), in the test's fixture container. */
export async function transcoder(attributes: Record<string, string> = emulatorAttributes()): Promise<CosTranscoder> {
  const element = document.createElement('cos-transcoder');
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return fixture<CosTranscoder>(element);
}

/** The first element matching `selector` in the element's shadow root (fails the test when there is none). */
export function part<T extends Element = HTMLElement>(element: CosTranscoder, selector: string): T {
  const found = element.shadowRoot!.querySelector<T>(selector);
  expect(found, `no ${selector} in the shadow root`).to.not.equal(null);
  return found!;
}

/** The shadow root's visible text, whitespace collapsed. */
export const textOf = (element: CosTranscoder): string =>
  (element.shadowRoot!.querySelector('[part~="base"]')?.textContent ?? '').replace(/\s+/g, ' ').trim();

let video: Promise<File> | undefined;

/** The 640x360 MP4 fixture as a `File` named `name`. */
export async function sampleFile(name = 'sample-640x360.mp4'): Promise<File> {
  video ??= fetch('/test/fixtures/media/sample-640x360.mp4').then(async (response) => {
    expect(response.status).to.equal(200);
    return new File([await response.arrayBuffer()], 'sample.mp4', { type: 'video/mp4' });
  });
  const file = await video;
  return new File([file], name, { type: 'video/mp4' });
}

/** Resolves once the element reaches `phase` (its `snapshot`, or `failed` for a failure before any session). */
export async function untilPhase(element: CosTranscoder, phase: string, timeoutMs = 15000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (currentPhase(element) !== phase) {
    if (performance.now() > deadline) expect.fail(`timed out waiting for ${phase}; the element is ${currentPhase(element)}`);
    await new Promise((done) => setTimeout(done, 20));
  }
  await element.updateComplete;
}

/** The phase the element shows, read from its custom states. */
export function currentPhase(element: CosTranscoder): string {
  for (const name of ['idle', 'uploading', 'paused', 'submitting', 'processing', 'done', 'failed', 'cancelled']) {
    if (element.matches(`:state(${name})`)) return name;
  }
  return 'unknown';
}

interface AxeResults {
  violations: { id: string; help: string; nodes: { target: unknown; failureSummary?: string }[] }[];
}
declare global {
  interface Window {
    axe?: { run(context: Element, options?: object): Promise<AxeResults> };
  }
}

let axeLoaded: Promise<void> | undefined;

/** Fails the test with axe-core's violations in `element` (its shadow root included). */
export async function expectAccessible(element: Element): Promise<void> {
  axeLoaded ??= new Promise<void>((loaded, failed) => {
    const script = document.createElement('script');
    script.src = '/node_modules/axe-core/axe.min.js';
    script.onload = () => loaded();
    script.onerror = () => failed(new Error('axe-core did not load'));
    document.head.append(script);
  });
  await axeLoaded;
  const results = await window.axe!.run(element, { resultTypes: ['violations'] });
  const summary = results.violations.map(
    (violation) => `${violation.id}: ${violation.help}\n  ${violation.nodes.map((node) => `${JSON.stringify(node.target)} ${node.failureSummary ?? ''}`).join('\n  ')}`,
  );
  expect(summary, summary.join('\n')).to.deep.equal([]);
}
