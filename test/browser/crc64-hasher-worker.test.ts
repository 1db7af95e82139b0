import { expect } from 'chai';
import { crc64, formatCrc64 } from '../../src/core/upload/crc64.js';
import { createCrc64Hasher, type Crc64Hasher } from '../../src/core/upload/crc64-hasher.js';
import {
  crc64WorkerSource,
  crc64WorkerUrl,
  type Crc64Reply,
  type Crc64Request,
} from '../../src/core/upload/crc64-worker.js';
import { rejection } from '../helpers/expect-error.js';
import { completeReply, crcOf, initiateReply, nextParts, partEtag, uploadSetup } from '../helpers/upload-setup.js';
import { scripted } from './scripted-server.js';
import { randomBytes } from '../helpers/random-bytes.js';

const MiB = 1024 * 1024;
/** The worker's script, as the hasher starts it: a classic worker from a `blob:` URL. */
const workerUrl = crc64WorkerUrl();


/**
 * Counts the Blob reads (`arrayBuffer()`) made in this realm (the page's main thread), and their sizes, until
 * `restore()`: hashing on the main thread reads the bytes here, hashing in the worker does not.
 */
function countMainThreadUpdates(): { readonly calls: number; readonly sizes: number[]; restore(): void } {
  const read = Blob.prototype.arrayBuffer;
  let calls = 0;
  const sizes: number[] = [];
  Blob.prototype.arrayBuffer = function (this: Blob) {
    calls += 1;
    sizes.push(this.size);
    return read.call(this);
  };
  return {
    get calls() {
      return calls;
    },
    sizes,
    restore() {
      Blob.prototype.arrayBuffer = read;
    },
  };
}

/** The next `count` replies of `worker`, failing after `ms`. */
function replies(worker: Worker, count: number, ms = 5000): Promise<Crc64Reply[]> {
  return new Promise((resolve, reject) => {
    const received: Crc64Reply[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${count} replies`)), ms);
    worker.addEventListener('message', (event: MessageEvent<Crc64Reply | { ready: true } | { read: number }>) => {
      // The worker says it loaded first, and may say it is still reading; only job replies are counted.
      if (!('crc' in event.data || 'error' in event.data)) return;
      received.push(event.data);
      if (received.length === count) {
        clearTimeout(timer);
        resolve(received);
      }
    });
  });
}

let hashers: Crc64Hasher[] = [];
let workers: Worker[] = [];
let counter: ReturnType<typeof countMainThreadUpdates> | undefined;
const hasherOf = (...args: Parameters<typeof createCrc64Hasher>): Crc64Hasher => {
  const hasher = createCrc64Hasher(...args);
  hashers.push(hasher);
  return hasher;
};
/** A `blob:` URL of a worker script made of `lines` (revoke it once its workers are started). */
const scriptUrl = (...lines: string[]): string =>
  URL.createObjectURL(new Blob([lines.join('\n')], { type: 'text/javascript' }));
const workerAt = (url: URL | string, options?: WorkerOptions): Worker => {
  const worker = new Worker(url, options);
  workers.push(worker);
  return worker;
};

afterEach(() => {
  counter?.restore();
  counter = undefined;
  for (const hasher of hashers) hasher.close();
  for (const worker of workers) worker.terminate();
  hashers = [];
  workers = [];
});

describe('createCrc64Hasher in a browser', () => {
  it('should hash in its worker, computing nothing on the main thread', async () => {
    const hasher = hasherOf();
    counter = countMainThreadUpdates();
    const bytes = randomBytes(4 * MiB + 1, 1);
    const crc = await hasher.hash(new Blob([bytes]));
    expect(counter.calls).to.equal(0);
    counter.restore();
    expect(crc).to.equal(crc64(bytes));
    expect(hasher.offMainThread).to.equal(true);
  });

  it('should start a new worker for a hash after close()', async () => {
    let started = 0;
    const hasher = hasherOf({
      createWorker: () => {
        started += 1;
        return workerAt(workerUrl);
      },
    });
    await hasher.hash(new Blob(['first']));
    hasher.close();
    expect(hasher.offMainThread).to.equal(false);
    expect(await hasher.hash(new Blob(['123456789']))).to.equal(11051210869376104954n);
    expect(hasher.offMainThread).to.equal(true);
    expect(started).to.equal(2);
  });

  it('should fall back to the main thread when the worker cannot be created', async () => {
    let attempts = 0;
    const hasher = hasherOf({
      createWorker: () => {
        attempts += 1;
        // A worker script on another origin: the constructor throws a SecurityError, as under a strict CSP.
        return workerAt(scripted({ text: '' }, 'worker.js'), { type: 'module' });
      },
    });
    counter = countMainThreadUpdates();
    expect(await hasher.hash(new Blob(['123456789']))).to.equal(11051210869376104954n);
    expect(await hasher.hash(new Blob(['123456789']))).to.equal(11051210869376104954n);
    expect(counter.calls).to.be.greaterThan(0);
    expect(hasher.offMainThread).to.equal(false);
    expect(attempts).to.equal(1);
  });

  it('should answer every pending hash on the main thread when the worker fails to load', async () => {
    let attempts = 0;
    const hasher = hasherOf({
      createWorker: () => {
        attempts += 1;
        // What a single-page app's server sends for a file it does not have: its HTML page, which no worker runs.
        const page = new URLSearchParams({ text: '<!doctype html><title>App</title>', 'h.content-type': 'text/html' });
        return workerAt(new URL(`/__scripted/crc64-worker.js?${page}`, location.href), { type: 'module' });
      },
    });
    const parts = [2 * MiB, 7, 0].map((size, i) => randomBytes(size, 20 + i));
    const crcs = await Promise.all(parts.map((part) => hasher.hash(new Blob([part]))));
    expect(crcs).to.deep.equal(parts.map((part) => crc64(part)));
    expect(hasher.offMainThread).to.equal(false);
    expect(await hasher.hash(new Blob(['123456789']))).to.equal(11051210869376104954n);
    expect(attempts).to.equal(1);
  });

  it('should answer on the main thread the hashes of a worker that crashes', async () => {
    const crashing = scriptUrl('onmessage = () => { throw new Error("boom"); };');
    const hasher = hasherOf({ createWorker: () => workerAt(crashing) });
    const parts = [MiB + 3, 5].map((size, i) => randomBytes(size, 30 + i));
    const crcs = await Promise.all(parts.map((part) => hasher.hash(new Blob([part]))));
    URL.revokeObjectURL(crashing);
    expect(crcs).to.deep.equal(parts.map((part) => crc64(part)));
    expect(hasher.offMainThread).to.equal(false);
  });

  it('should fall back to the main thread when the worker never says it loaded', async () => {
    const silent = scriptUrl('/* never answers */');
    const hasher = hasherOf({ createWorker: () => new Worker(silent), readyTimeout: 100 });
    const crc = await hasher.hash(new Blob(['123456789']));
    URL.revokeObjectURL(silent);
    expect(crc).to.equal(11051210869376104954n);
    expect(hasher.offMainThread).to.equal(false);
  });

  it('should finish on the main thread the hashes of a worker that goes silent, then try one more worker', async () => {
    // A worker that loads and then never answers: what a Blob read that never settles looks like from the page.
    const stuck = scriptUrl('postMessage({ ready: true, wasm: false }); onmessage = () => {};');
    let started = 0;
    const hasher = hasherOf({
      createWorker: () => {
        started += 1;
        return workerAt(stuck);
      },
      stallTimeout: 150,
    });
    const check = '123456789';
    const first = await Promise.all([hasher.hash(new Blob([check])), hasher.hash(new Blob(['']))]);
    expect(first).to.deep.equal([11051210869376104954n, 0n]);
    expect([started, hasher.offMainThread]).to.deep.equal([1, false]);
    // The second stuck worker is the last: from then on the main thread hashes without waiting for one.
    expect(await hasher.hash(new Blob([check]))).to.equal(11051210869376104954n);
    expect(started).to.equal(2);
    const before = performance.now();
    expect(await hasher.hash(new Blob([check]))).to.equal(11051210869376104954n);
    expect(performance.now() - before).to.be.below(150);
    expect(started).to.equal(2);
    URL.revokeObjectURL(stuck);
  });

  it('should count only stuck workers in a row: one that answered in between keeps workers on', async () => {
    const stuck = scriptUrl('postMessage({ ready: true, wasm: false }); onmessage = () => {};');
    // Answers a made-up CRC, so that an answer from a worker cannot pass for one from the main thread.
    const answering = scriptUrl(
      'postMessage({ ready: true, wasm: false });',
      'onmessage = ({ data }) => postMessage({ id: data.id, crc: "42" });',
    );
    let started = 0;
    const hasher = hasherOf({
      createWorker: () => {
        started += 1;
        return workerAt(started % 2 === 1 ? stuck : answering);
      },
      stallTimeout: 150,
    });
    const check = new Blob(['123456789']);
    const answers = [await hasher.hash(check), await hasher.hash(check)];
    // close() ends the answering worker, so that the next hash starts a third, stuck one.
    hasher.close();
    answers.push(await hasher.hash(check), await hasher.hash(check));
    URL.revokeObjectURL(stuck);
    URL.revokeObjectURL(answering);
    expect(answers).to.deep.equal([11051210869376104954n, 42n, 11051210869376104954n, 42n]);
    expect(started).to.equal(4);
  });

  it('should wait for a worker that reads slowly but says so', async () => {
    // Says it is still reading every 40 ms, past the stall timeout, then answers: the answer must be the worker's.
    const slow = scriptUrl(
      'postMessage({ ready: true, wasm: false });',
      'onmessage = ({ data }) => {',
      '  const beat = setInterval(() => postMessage({ id: data.id, read: 1 }), 40);',
      '  setTimeout(() => { clearInterval(beat); postMessage({ id: data.id, crc: "42" }); }, 600);',
      '};',
    );
    const hasher = hasherOf({ createWorker: () => workerAt(slow), stallTimeout: 150 });
    expect(await hasher.hash(new Blob(['123456789']))).to.equal(42n);
    expect(hasher.offMainThread).to.equal(true);
    URL.revokeObjectURL(slow);
  });

  it('should tell the worker to cancel a hash whose signal aborts', async () => {
    const sent: Crc64Request[] = [];
    const hasher = hasherOf({
      createWorker: () => {
        const worker = workerAt(workerUrl);
        const post = worker.postMessage.bind(worker) as (message: unknown) => void;
        worker.postMessage = (message: Crc64Request) => {
          sent.push(message);
          post(message);
        };
        return worker;
      },
    });
    const controller = new AbortController();
    const aborted = rejection(hasher.hash(new Blob([randomBytes(8 * MiB, 2)]), controller.signal));
    controller.abort();
    expect((await aborted).code).to.equal('aborted');
    const transcript = sent.map((message) => ('cancel' in message ? `cancel ${message.cancel}` : `job ${message.id}`));
    expect(transcript).to.deep.equal(['job 1', 'cancel 1']);
    expect(await hasher.hash(new Blob(['123456789']))).to.equal(11051210869376104954n);
  });
});

describe('crc64-worker', () => {
  it('should say it is ready once loaded', async () => {
    const worker = workerAt(workerUrl);
    const first = await new Promise<unknown>((resolve) =>
      worker.addEventListener('message', (event) => resolve(event.data), { once: true }),
    );
    worker.terminate();
    expect(first).to.deep.equal({ ready: true, wasm: true });
  });

  it('should hash with JavaScript, and say so, where the worker has no WebAssembly', async () => {
    const url = scriptUrl('self.WebAssembly = undefined;', crc64WorkerSource());
    const worker = workerAt(url);
    URL.revokeObjectURL(url);
    const messages: unknown[] = [];
    worker.addEventListener('message', (event) => messages.push(event.data));
    const bytes = randomBytes(8 * MiB + 21, 50);
    const answered = replies(worker, 1, 20_000);
    worker.postMessage({ id: 1, blob: new Blob([bytes]) } satisfies Crc64Request);
    expect(await answered).to.deep.equal([{ id: 1, crc: formatCrc64(crc64(bytes)) }]);
    expect(messages[0]).to.deep.equal({ ready: true, wasm: false });
  });

  it('should answer jobs in the order posted, with decimal CRCs', async () => {
    const worker = workerAt(workerUrl);
    const parts = [3 * MiB, 10, 0].map((size, i) => randomBytes(size, 40 + i));
    const answered = replies(worker, parts.length);
    parts.forEach((part, i) => worker.postMessage({ id: 100 + i, blob: new Blob([part]) } satisfies Crc64Request));
    expect(await answered).to.deep.equal(parts.map((part, i) => ({ id: 100 + i, crc: formatCrc64(crc64(part)) })));
  });

  it('should not answer a cancelled job, and go on with the next', async () => {
    const worker = workerAt(workerUrl);
    const answered = replies(worker, 2);
    const post = (request: Crc64Request): void => worker.postMessage(request);
    post({ id: 1, blob: new Blob([randomBytes(16 * MiB, 3)]) });
    post({ id: 2, blob: new Blob([randomBytes(MiB, 4)]) });
    post({ id: 3, blob: new Blob(['123456789']) });
    post({ cancel: 1 });
    post({ cancel: 2 });
    post({ id: 4, blob: new Blob(['']) });
    expect(await answered).to.deep.equal([
      { id: 3, crc: '11051210869376104954' },
      { id: 4, crc: '0' },
    ]);
  });
});

describe('MultipartUpload hashing in a browser', () => {
  /**
   * Uploads 3 parts of 1 MiB with `hasher` (the upload's own when undefined), the answers computed before it starts;
   * `mainThreadUpdates` counts the part-sized CRC updates made on the main thread.
   */
  async function uploadWith(hasher: Crc64Hasher | undefined) {
    const { transport, upload, data } = uploadSetup({ size: 3 * MiB, hasher });
    const partCrcs = [0, 1, 2].map((i) => crcOf(data.subarray(i * MiB, (i + 1) * MiB)));
    const complete = completeReply(data, 3);
    counter = countMainThreadUpdates();
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    for (const part of await nextParts(transport, 3)) {
      const n = Number(part.query['partNumber']);
      part.respondWith({ status: 200, headers: { etag: partEtag(n), 'x-cos-hash-crc64ecma': partCrcs[n - 1]! } });
    }
    (await transport.nextRequest()).respondWith(complete);
    const result = await done;
    counter.restore();
    // The resume record's fingerprint samples 64 KiB at each end of the file on the main thread, by design; the
    // parts' CRCs are 1 MiB each, and on the main thread they are read 1 MiB at a time.
    const mainThreadUpdates = counter.sizes.filter((size) => size >= MiB).length;
    return { result, mainThreadUpdates };
  }

  it("should compute every CRC in its worker, none on the main thread, and report hashing 'worker'", async () => {
    const { result, mainThreadUpdates } = await uploadWith(undefined);
    expect([result.hashing, result.verified, mainThreadUpdates]).to.deep.equal(['worker', true, 0]);
  });

  it("should report hashing 'main-thread' when the worker is refused (a CSP without blob:)", async () => {
    const refused = hasherOf({
      createWorker: () => {
        throw new DOMException('Refused by the Content-Security-Policy', 'SecurityError');
      },
    });
    const { result, mainThreadUpdates } = await uploadWith(refused);
    expect([result.hashing, result.verified]).to.deep.equal(['main-thread', true]);
    expect(mainThreadUpdates).to.be.greaterThan(0);
  });
});
