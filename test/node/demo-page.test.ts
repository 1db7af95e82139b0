// The demo page as a person meets it: `npm start`'s server (Vite with the emulator plugin, on free ports), the page
// in headless Chromium, the sample chosen with its button, progress seen, the transcoded result playing, and the
// extraction reading the embedded message back.
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { createServer, type ViteDevServer } from 'vite';
import { emulatorPlugin } from '../../demo/emulator-plugin.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROME = process.env['CHROME_PATH'] || '/usr/bin/chromium';

/** The text a widget shows, its shadow root included. */
const widgetText = (page: Page, id: string) =>
  page.$eval(`#${id}`, (element) => element.shadowRoot?.textContent ?? '');

describe('the demo page (npm start) in Chromium', function () {
  this.timeout(60_000);
  let server: ViteDevServer;
  let browser: Browser;
  let origin: string;
  const errors: string[] = [];

  before(async () => {
    server = await createServer({
      configFile: false,
      root: ROOT,
      logLevel: 'warn',
      clearScreen: false,
      cacheDir: 'node_modules/.vite-demo-test',
      server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
      plugins: [emulatorPlugin({ emulatorPort: '0' })],
    });
    await server.listen();
    origin = `http://127.0.0.1:${(server.httpServer!.address() as AddressInfo).port}`;
    browser = await puppeteer.launch({
      executablePath: CHROME,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const openPage = async (): Promise<Page> => {
    const page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(error instanceof Error ? error.message : String(error)));
    await page.goto(`${origin}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => customElements.get('cos-transcoder') !== undefined, { timeout: 30_000 });
    return page;
  };

  for (const [id, signing] of [
    ['with-sts', 'STS credentials'],
    ['with-sign', 'server-side signatures'],
  ] as const) {
    it(`should transcode the sample with ${signing}, show progress, then play the output`, async () => {
      const page = await openPage();
      // What a person sees, frame by frame: the progress bar's value and words (in the shadow root), and what the
      // page's own script could listen to: the element's events.
      await page.evaluate((widget) => {
        const seen: string[] = [];
        (window as unknown as { seen: string[] }).seen = seen;
        const element = document.getElementById(widget)!;
        element.addEventListener('cos-upload-progress', (event) => seen.push(`upload ${event.detail.percent}`));
        element.addEventListener('cos-job-change', (event) => seen.push(`job ${event.detail.status}`));
        // An interval, not a named function: the test's compiler would wrap one in a helper the page lacks.
        setInterval(() => {
          const bar = element.shadowRoot?.querySelector('[role="progressbar"]');
          const shown = bar ? `bar ${bar.getAttribute('aria-valuenow')} ${bar.getAttribute('aria-valuetext')}` : '';
          if (shown && !seen.includes(shown)) seen.push(shown);
        }, 5);
      }, id);
      await page.click(`[data-sample-for="${id}"]`);
      // The result plays: the preview's <video> has decoded its first frame.
      await page.waitForFunction(
        (widget) => {
          const video = document.getElementById(widget)?.shadowRoot?.querySelector('video');
          return video !== null && video !== undefined && video.readyState >= 2;
        },
        { timeout: 40_000 },
        id,
      );
      const source = await page.$eval(`#${id}`, (element) => element.shadowRoot?.querySelector('video')?.currentSrc ?? '');
      expect(decodeURIComponent(source)).to.include(`/demo/${id === 'with-sts' ? 'sts' : 'sign'}/output.mp4`);
      const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
      const bars = seen.filter((line) => line.startsWith('bar '));
      expect(seen).to.include.members(['upload 1', 'job Submitted', 'job Success']);
      // The bar went from the upload (with its bytes) through the job; once done, the bar gives way to the result.
      expect(bars.some((line) => /^bar \d+ Uploading/.test(line)), bars.join('\n')).to.equal(true);
      expect(bars.some((line) => line.includes('Job j')), bars.join('\n')).to.equal(true);
      const done = await page.$eval(`#${id}`, (element) => ({
        state: element.matches(':state(done)'),
        status: element.shadowRoot?.querySelector('[part~="status"]')?.textContent ?? '',
        bar: element.shadowRoot?.querySelector('[role="progressbar"]') !== null,
      }));
      expect(done.state).to.equal(true);
      expect(done.status).to.include('Done');
      expect(done.bar).to.equal(false);
      expect(errors).to.deep.equal([]);
      await page.close();
    });
  }

  it('should read the digital watermark back from the transcoded output', async () => {
    const page = await openPage();
    await page.click('[data-sample-for="with-sts"]');
    await page.waitForFunction(
      () => (document.getElementById('extract-job')?.shadowRoot?.textContent ?? '').includes('cos-transcoder-sts'),
      { timeout: 50_000 },
    );
    expect(await widgetText(page, 'extract-job')).to.include('cos-transcoder-sts');
    await page.close();
  });
});
