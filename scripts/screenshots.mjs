// Screenshots of <cos-transcoder> in each state, light and dark, English and Chinese, as a person sees them:
// `node scripts/screenshots.mjs [outdir]` (default /tmp/cos-transcoder-shots). It starts its own emulator and the
// example host backend, serves the element bundled by esbuild on a tiny page, and drives headless Chromium
// (CHROME_PATH, default /usr/bin/chromium) through idle, drag-over, uploading, paused, processing, done (the output
// playing), failed and an extraction. Nothing here is part of the package.
import { createServer } from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { build } from 'esbuild';
import puppeteer from 'puppeteer-core';
import { tsImport } from 'tsx/esm/api';

const outdir = process.argv[2] ?? '/tmp/cos-transcoder-shots';
const TEMPLATE = 't1460606b9752148c4ab182f55163ba7cd';
const WATERMARK = 't1318c5f428d474afba1797f84091cbe22';

const { spawnEmulator } = await tsImport('../demo/host/emulator-process.ts', import.meta.url);
const { createHostMiddleware } = await tsImport('../demo/host/host-middleware.ts', import.meta.url);

const server = createServer();
await new Promise((listening) => server.listen(0, '127.0.0.1', listening));
const port = server.address().port;
const origin = `http://localhost:${port}`;
const emulator = await spawnEmulator(['--port', '0', '--bucket', 'examplebucket-1250000000', '--cors-origin', origin,
  '--job-queue-ms', '800', '--job-run-ms', '5000']);
const host = createHostMiddleware({ endpoints: emulator.endpoints });

const bundle = await build({
  entryPoints: ['src/index.ts'],
  bundle: true,
  splitting: true,
  format: 'esm',
  outdir: '/bundle',
  write: false,
  minify: true,
});
const files = new Map(bundle.outputFiles.map((file) => [`/bundle/${file.path.split('/').pop()}`, file.contents]));
const sample = await readFile('test/fixtures/media/sample-640x360.mp4');

const page = (query) => `<!doctype html>
<html lang="${query.get('lang') ?? 'en'}"><head><meta charset="utf-8"><title>cos-transcoder</title>
<style>
  body { margin: 0; padding: 24px; font: 14px system-ui; background: #eef1f5; }
  @media (prefers-color-scheme: dark) { body { background: #0d0f13; } }
  cos-transcoder { max-width: 560px; }
</style></head>
<body><cos-transcoder></cos-transcoder>
<script type="module">
  import '/bundle/index.js';
  const config = await (await fetch('/api/config')).json();
  const element = document.querySelector('cos-transcoder');
  const attributes = {
    bucket: config.bucket, region: config.region, protocol: config.protocol,
    'cos-domain': config.domains.cos, 'ci-domain': config.domains.ci, 'auth-url': '/api/sts',
    'callback-url': config.callbackUrl, 'events-url': config.jobEventsUrl,
    'template-id': '${TEMPLATE}', 'watermark-template-ids': '${WATERMARK}', 'digital-watermark': 'cos-transcoder-demo',
    'max-file-size': '2GB', ...JSON.parse(decodeURIComponent(${JSON.stringify(query.get('attributes') ?? '%7B%7D')})),
  };
  for (const [name, value] of Object.entries(attributes)) if (value !== null) element.setAttribute(name, value);
  window.sample = async (name = 'lecture-week-3.mp4') =>
    new File([await (await fetch('/sample.mp4')).blob()], name, { type: 'video/mp4' });
  window.ready = true;
</script></body></html>`;

server.on('request', (req, res) => {
  const url = new URL(req.url, origin);
  if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(page(url.searchParams));
  }
  if (files.has(url.pathname)) {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    return res.end(files.get(url.pathname));
  }
  if (url.pathname === '/sample.mp4') {
    res.writeHead(200, { 'content-type': 'video/mp4' });
    return res.end(sample);
  }
  host(req, res, () => {
    res.writeHead(404);
    res.end();
  });
});

const admin = (method, body) =>
  fetch(new URL('faults', emulator.endpoints.admin), {
    method,
    headers: {
      'x-emulator-admin-token': emulator.endpoints.adminToken,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
});
await mkdir(outdir, { recursive: true });
let count = 0;
const unique = (name) => `shots/${Date.now().toString(36)}-${count++}/${name}`;

/** Opens the page with `attributes`, in `scheme` and `lang`. */
async function open({ scheme = 'light', lang = 'en', attributes = {} } = {}) {
  const tab = await browser.newPage();
  await tab.setViewport({ width: 620, height: 900, deviceScaleFactor: 1 });
  await tab.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
  const query = new URLSearchParams({ lang, attributes: encodeURIComponent(JSON.stringify(attributes)) });
  await tab.goto(`${origin}/?${query}`);
  await tab.waitForFunction(() => window.ready === true);
  return tab;
}

const shoot = async (tab, name) => {
  const element = await tab.$('cos-transcoder');
  await element.screenshot({ path: `${outdir}/${name}.png` });
  console.log(`${outdir}/${name}.png`);
};
const phase = (tab, name, timeout = 20000) =>
  tab.waitForFunction((state) => document.querySelector('cos-transcoder').matches(`:state(${state})`), { timeout }, name);

async function idle(options, name) {
  const tab = await open(options);
  await shoot(tab, name);
  return tab;
}

async function dragover(options, name) {
  const tab = await open(options);
  await tab.evaluate(() => {
    const zone = document.querySelector('cos-transcoder').shadowRoot.querySelector('[part~="drop-zone"]');
    const data = new DataTransfer();
    data.items.add(new File(['x'], 'a.mp4', { type: 'video/mp4' }));
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await phase(tab, 'dragover');
  await shoot(tab, name);
  await tab.close();
}

/** The same large file in every tab (same name, size and time: the same resume record). */
const selectLargeFile = () => {
  const big = new File([new Uint8Array(24 * 1024 * 1024)], 'lecture-week-3 (full).mp4', { type: 'video/mp4', lastModified: 1e12 });
  document.querySelector('cos-transcoder').selectFile(big);
};

/** Uploading (a large file, slowed), a second tab waiting for it, paused, then cancelled. */
async function upload(options, prefix) {
  const key = unique('lecture.mp4');
  await admin('PUT', { rules: [{ keyPrefix: key, bandwidth: 1024 * 1024 }] });
  const tab = await open({ ...options, attributes: { 'file-key': key, ...options.attributes } });
  await tab.evaluate(selectLargeFile);
  await tab.waitForFunction(() => (document.querySelector('cos-transcoder').snapshot?.upload?.progress.percent ?? 0) > 0.3, { timeout: 60000 });
  await new Promise((done) => setTimeout(done, 1200));
  await shoot(tab, `${prefix}uploading`);
  const other = await open({ ...options, attributes: { 'file-key': key, ...options.attributes } });
  await other.evaluate(selectLargeFile);
  await other.waitForFunction(() => document.querySelector('cos-transcoder').snapshot?.upload?.waitingFor === 'other-upload', { timeout: 20000 });
  await shoot(other, `${prefix}waiting-other-tab`);
  await other.close();
  await tab.evaluate(() => document.querySelector('cos-transcoder').pause());
  await phase(tab, 'paused');
  await shoot(tab, `${prefix}paused`);
  await tab.evaluate(() => document.querySelector('cos-transcoder').cancel());
  await phase(tab, 'cancelled');
  await shoot(tab, `${prefix}cancelled`);
  await admin('DELETE');
  await tab.close();
}

/** Processing (followed by polls, which see Running), then done with the output playing. */
async function run(options, prefix) {
  const key = unique('lecture.mp4');
  const tab = await open({ ...options, attributes: { 'file-key': key, 'events-url': null, 'callback-url': null, ...options.attributes } });
  await tab.evaluate(async () => document.querySelector('cos-transcoder').selectFile(await window.sample()));
  // A real encode of the sample takes about a second: shot as soon as the element shows the job.
  await phase(tab, 'processing');
  await shoot(tab, `${prefix}processing`);
  await phase(tab, 'done');
  await tab.waitForFunction(() => {
    const video = document.querySelector('cos-transcoder').shadowRoot.querySelector('video');
    return video && video.readyState >= 2;
  });
  await tab.evaluate(async () => {
    const video = document.querySelector('cos-transcoder').shadowRoot.querySelector('video');
    video.currentTime = 1;
    await new Promise((done) => video.addEventListener('seeked', done, { once: true }));
  });
  await shoot(tab, `${prefix}done`);
  const output = await tab.evaluate(() => document.querySelector('cos-transcoder').snapshot.result.outputs[0].key);
  await tab.close();
  return output;
}

async function failed(options, name) {
  const tab = await open({ ...options, attributes: { 'file-key': unique('a.mp4'), 'template-id': 't1000000000000000000000000000000ff', ...options.attributes } });
  await tab.evaluate(async () => document.querySelector('cos-transcoder').selectFile(await window.sample('holiday <clip>.mp4')));
  await phase(tab, 'failed');
  await shoot(tab, name);
  await tab.close();
}

async function extraction(options, key, name) {
  const tab = await open({ ...options, attributes: { 'file-key': key, 'template-id': null, 'job-tag': 'ExtractDigitalWatermark', manual: '' } });
  await shoot(tab, `${name}-idle`);
  await tab.evaluate(() => document.querySelector('cos-transcoder').start());
  await phase(tab, 'done');
  await shoot(tab, name);
  await tab.close();
}

try {
  await (await idle({}, 'idle')).close();
  await dragover({}, 'dragover');
  await upload({}, '');
  const output = await run({}, '');
  await failed({}, 'failed');
  await extraction({}, output, 'extraction');
  await (await idle({ lang: 'zh-CN' }, 'zh-idle')).close();
  await upload({ lang: 'zh-CN' }, 'zh-');
  await run({ lang: 'zh-CN' }, 'zh-');
  await failed({ lang: 'zh-CN' }, 'zh-failed');
  await (await idle({ scheme: 'dark' }, 'dark-idle')).close();
  await dragover({ scheme: 'dark' }, 'dark-dragover');
  await upload({ scheme: 'dark' }, 'dark-');
  await run({ scheme: 'dark' }, 'dark-');
  await failed({ scheme: 'dark' }, 'dark-failed');
  await extraction({ scheme: 'dark' }, output, 'dark-extraction');
} finally {
  await browser.close();
  host.close();
  await emulator.stop();
  server.close();
}
