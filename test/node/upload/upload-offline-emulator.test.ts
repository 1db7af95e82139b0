import { expect } from 'chai';
import { isTranscoderError } from '../../../src/core/errors.js';
import type { MultipartUploadOptions } from '../../../src/core/upload/upload-options.js';
import type { Emulator } from '../../../src/emulator/index.js';
import { rejection } from '../../helpers/expect-error.js';
import {
  MiB,
  browserOffline,
  emulatorUpload,
  pendingUploads,
  until,
  useEmulator,
  within,
} from './upload-emulator-setup.js';

describe('MultipartUpload against the emulator: a browser that says it is offline', function () {
  this.timeout(20_000);
  let emulator: Emulator;
  let offline: ReturnType<typeof browserOffline> | undefined;
  useEmulator((started) => (emulator = started));
  afterEach(() => {
    offline?.restore();
    offline = undefined;
  });

  /** An upload of 3 parts, one at a time, under a prefix of its own, that records its snapshots. */
  function setup(options: Partial<MultipartUploadOptions> = {}) {
    return emulatorUpload(emulator, { concurrency: 1, storage: false, offlineRecheckMs: 100, ...options });
  }

  it('should finish when onLine stays false on a working network, trying again without the online event', async () => {
    const { prefix, transport, client, upload, snapshots } = setup();
    // The connection drops three times in a row (every attempt at part 1), then the network works; the browser
    // keeps saying it is offline and never fires `online`.
    emulator.faults.update({ rules: [{ operations: ['UploadPart'], keyPrefix: prefix, dropBeforeRate: 1, limit: 3 }] });
    offline = browserOffline();
    const result = await within(upload.start(), 'the upload', 5000);
    expect(result).to.include({ size: 3 * MiB, verified: true });
    expect(transport.of('UploadPart').map((sent) => sent.error ?? sent.status)).to.deep.equal([
      'network',
      'network',
      'network',
      200,
      200,
      200,
    ]);
    expect(snapshots.some((snapshot) => snapshot.waitingFor === 'network'), 'it said it waited for the network').to.equal(true);
    expect(snapshots.at(-1)).to.include({ status: 'done' });
    expect(snapshots.at(-1)?.waitingFor).to.equal(undefined);
    expect(await pendingUploads(client, prefix)).to.deep.equal([]);
  });

  it('should fail with a network error saying the device stayed offline once offlineWaitMs has passed', async () => {
    const { prefix, transport, upload } = setup({ offlineWaitMs: 600 });
    emulator.faults.update({ rules: [{ keyPrefix: prefix, dropBeforeRate: 1, limit: 1_000_000 }] });
    offline = browserOffline();
    const started = performance.now();
    const error = await within(rejection(upload.start()), 'the upload', 5000);
    const elapsed = performance.now() - started;
    expect(isTranscoderError(error)).to.equal(true);
    expect(error).to.include({ code: 'network', phase: 'upload', retryable: true });
    expect(error.message).to.match(/stayed offline/);
    expect(upload.snapshot.status).to.equal('failed');
    expect(elapsed, 'not before the limit').to.be.at.least(550);
    // It tried again on its own meanwhile: every 100 ms, three attempts each.
    expect(transport.of('InitiateMultipartUpload').length).to.be.at.least(9);
  });

  it('should go on at once at the online event', async () => {
    const { prefix, upload, snapshots } = setup({ offlineRecheckMs: 60_000 });
    emulator.faults.update({ rules: [{ operations: ['UploadPart'], keyPrefix: prefix, dropBeforeRate: 1, limit: 3 }] });
    offline = browserOffline();
    const done = upload.start();
    const browser = offline;
    const waiting = () => snapshots.some((snapshot) => snapshot.waitingFor === 'network');
    await until(waiting, 'the wait for the network');
    browser.online();
    expect(await within(done, 'the upload', 3000)).to.include({ size: 3 * MiB });
  });
});
