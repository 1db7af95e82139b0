// The CRC worker as a page meets it after any bundler: src/core/index.ts bundled by esbuild with no plugin and no
// worker handling (what a plain ESM build on a CDN is), served as one file by a bare HTTP server, and run in
// headless Chromium. The worker must load from the bundle alone, and an upload must say where its CRC was computed.
import { expect } from 'chai';
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';

const ENTRY = fileURLToPath(new URL('../../src/core/index.ts', import.meta.url));
const CHROME = process.env['CHROME_PATH'] || '/usr/bin/chromium';

/** What the page does with the bundle: one hash through a hasher, one upload through a transport that says 200. */
const PAGE_SCRIPT = `
import { MultipartUpload, ServiceClient, createCrc64Hasher } from './core.js';
const hasher = createCrc64Hasher();
const crc = await hasher.hash(new Blob(['123456789']));
const offMainThread = hasher.offMainThread;
hasher.close();
const client = new ServiceClient({
  bucket: 'examplebucket-1250000000',
  region: 'ap-guangzhou',
  authorizer: { authorize: async () => ({ authorization: 'signed' }), invalidate: () => {} },
  transport: { send: async () => ({ status: 200, headers: { etag: '"e"' }, body: '' }) },
});
const upload = new MultipartUpload({ client, file: new Blob(['123456789']), key: 'a.txt', storage: false });
const { hashing, crc64 } = await upload.start();
window.outcome = { crc: String(crc), offMainThread, hashing, crc64 };
`;

/** What the page finds when hashing ran `where`: the CRC-64/XZ check value of "123456789" either way. */
const hashedIn = (where: 'worker' | 'main-thread') => ({
  crc: '11051210869376104954',
  offMainThread: where === 'worker',
  hashing: where,
  crc64: '11051210869376104954',
});

describe('the core bundled by esbuild, in Chromium', function () {
  this.timeout(60_000);
  let bundle: string;
  let server: Server;
  let browser: Browser;
  let origin: string;
  /** The Content-Security-Policy the page is served with, per test. */
  let policy = '';

  before(async () => {
    const built = await build({ entryPoints: [ENTRY], bundle: true, format: 'esm', write: false, logLevel: 'silent' });
    bundle = built.outputFiles[0]!.text;
    server = createServer((request, response) => {
      const headers: Record<string, string> = policy === '' ? {} : { 'content-security-policy': policy };
      if (request.url === '/core.js') {
        response.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(bundle);
      } else if (request.url === '/main.js') {
        response.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(PAGE_SCRIPT);
      } else {
        const page = '<!doctype html><title>core</title><script type="module" src="/main.js"></script>';
        response.writeHead(200, { ...headers, 'content-type': 'text/html' }).end(page);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const args = ['--no-sandbox', '--disable-gpu'];
    browser = await puppeteer.launch({ executablePath: CHROME, headless: true, args });
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** Opens the page and returns what its script found. */
  async function outcome(): Promise<Record<string, unknown>> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    try {
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => 'outcome' in window, { timeout: 20_000 });
      expect(errors).to.deep.equal([]);
      return await page.evaluate(() => (window as unknown as { outcome: Record<string, unknown> }).outcome);
    } finally {
      await page.close();
    }
  }

  it('should hold no worker file reference for a bundler to resolve', () => {
    expect(bundle).not.to.match(/new URL\([^)]*import\.meta\.url/);
    expect(bundle).not.to.match(/new Worker\(new URL/);
    expect(bundle).to.contain('URL.createObjectURL(new Blob(');
  });

  it('should hash in a worker made from the bundle, and the upload should say so', async () => {
    policy = '';
    expect(await outcome()).to.deep.equal(hashedIn('worker'));
  });

  const variants: [string, { minify?: boolean; keepNames?: boolean }][] = [
    ['minified (names mangled)', { minify: true }],
    ['built with keepNames (functions wrapped in a bundle helper)', { keepNames: true }],
  ];
  for (const [name, options] of variants) {
    it(`should still hash in a worker when the bundle is ${name}`, async () => {
      policy = '';
      const plain = bundle;
      const built = await build({ entryPoints: [ENTRY], bundle: true, format: 'esm', write: false, ...options });
      bundle = built.outputFiles[0]!.text;
      try {
        expect(await outcome()).to.deep.equal(hashedIn('worker'));
      } finally {
        bundle = plain;
      }
    });
  }

  it('should hash on the main thread where the page refuses blob: workers, and the upload should say so', async () => {
    policy = "worker-src 'self'";
    expect(await outcome()).to.deep.equal(hashedIn('main-thread'));
  });
});
