// Two "tabs" in one realm (Node has no `navigator.locks`: the lock's in-realm queue), each with its own client,
// transport and LocalStorageResumeStore over one shared Web Storage, uploading the same file to the same key.
import { expect } from 'chai';
import { crc64, formatCrc64 } from '../../../src/core/upload/crc64.js';
import { LocalStorageResumeStore } from '../../../src/core/upload/resume-store.js';
import type { Emulator } from '../../../src/emulator/index.js';
import { MapStorage } from '../../helpers/map-storage.js';
import {
  MiB,
  emulatorClient,
  emulatorUpload,
  fileOf,
  pendingUploads,
  uniquePrefix,
  until,
  useEmulator,
  within,
} from './upload-emulator-setup.js';

const SIZE = 4 * MiB;

describe('MultipartUpload against the emulator: two tabs uploading the same file (in-realm lock)', function () {
  this.timeout(20_000);
  let emulator: Emulator;
  useEmulator((started) => (emulator = started));

  // Node has no localStorage: one MapStorage stands in for the page's, which only stores over it share across tabs.
  let shared: MapStorage;
  beforeEach(() => {
    shared = new MapStorage();
    Object.defineProperty(globalThis, 'localStorage', { value: shared, configurable: true });
  });
  afterEach(() => delete (globalThis as { localStorage?: Storage }).localStorage);

  /** Two tabs sharing `localStorage`, each with its own store object, client and transport. */
  function twoTabs() {
    const prefix = uniquePrefix();
    const file = fileOf(SIZE);
    const tab = () => {
      const { transport, upload, snapshots } = emulatorUpload(emulator, {
        prefix,
        // Each tab has its own copy of the File and of the store, as two tabs would.
        file: new File([file], file.name, { type: file.type, lastModified: file.lastModified }),
        concurrency: 2,
        storage: new LocalStorageResumeStore(),
      });
      return { transport, upload, snapshots };
    };
    return { prefix, file, shared, a: tab(), b: tab() };
  }

  it('should initiate once: the second tab waits, then finds the object complete and sends nothing', async () => {
    const { prefix, file, shared, a, b } = twoTabs();
    // Slow parts, so that the second tab starts while the first is sending.
    emulator.faults.update({ rules: [{ operations: ['UploadPart'], keyPrefix: prefix, latencyMs: 100 }] });
    const [resultA, resultB] = await within(Promise.all([a.upload.start(), b.upload.start()]), 'both uploads', 10_000);
    const initiates = a.transport.of('InitiateMultipartUpload').length + b.transport.of('InitiateMultipartUpload').length;
    expect(initiates, 'one InitiateMultipartUpload for the record').to.equal(1);
    expect(b.transport.of('UploadPart').length + a.transport.of('UploadPart').length, 'each part sent once').to.equal(4);
    const crc = formatCrc64(crc64(new Uint8Array(await file.arrayBuffer())));
    expect(resultA).to.include({ size: SIZE, crc64: crc, verified: true, multipart: true });
    expect(resultB).to.include({ size: SIZE, crc64: crc, verified: true, multipart: true, etag: resultA.etag });
    // The one that waited said so, then checked the object (HeadObject) instead of uploading it again.
    const waiter = b.transport.of('InitiateMultipartUpload').length === 0 ? b : a;
    expect(waiter.snapshots.some((snapshot) => snapshot.waitingFor === 'other-upload')).to.equal(true);
    expect(waiter.transport.sent.map((sent) => sent.operation)).to.deep.equal(['HeadObject']);
    expect(await pendingUploads(emulatorClient(emulator), prefix)).to.deep.equal([]);
    expect(shared.items.size, 'no record left').to.equal(0);
  });

  it('should let the waiting tab resume the record when the first pauses, and the first then find it complete', async () => {
    const { prefix, a, b } = twoTabs();
    emulator.faults.update({ rules: [{ operations: ['UploadPart'], keyPrefix: prefix, latencyMs: 150 }] });
    const doneA = a.upload.start();
    await until(() => a.transport.of('UploadPart').some((sent) => sent.status === 200), 'a part of A');
    const doneB = b.upload.start();
    await until(() => b.upload.snapshot.waitingFor === 'other-upload', 'B to wait');
    a.upload.pause();
    const resultB = await within(doneB, "B's upload", 10_000);
    expect(b.transport.of('ListParts'), 'B resumed the record').to.have.length(1);
    expect(b.transport.of('InitiateMultipartUpload')).to.have.length(0);
    a.upload.resume();
    const resultA = await within(doneA, "A's upload", 10_000);
    expect(resultA).to.include({ etag: resultB.etag, size: SIZE });
    expect(a.transport.of('InitiateMultipartUpload')).to.have.length(1);
    expect(a.transport.sent.at(-1)?.operation, 'A found the object B completed').to.equal('HeadObject');
    expect(await pendingUploads(emulatorClient(emulator), prefix)).to.deep.equal([]);
  });

  it('should let a cancel end the wait of the second tab, leaving the first one to finish', async () => {
    const { prefix, a, b } = twoTabs();
    emulator.faults.update({ rules: [{ operations: ['UploadPart'], keyPrefix: prefix, latencyMs: 100 }] });
    const doneA = a.upload.start();
    await until(() => a.transport.of('UploadPart').length > 0, 'a part of A');
    const doneB = b.upload.start().catch((error: unknown) => error);
    await until(() => b.upload.snapshot.waitingFor === 'other-upload', 'B to wait');
    await within(b.upload.cancel(), "B's cancel", 1000);
    expect(await doneB).to.include({ code: 'aborted' });
    expect(b.transport.sent).to.deep.equal([]);
    expect(await within(doneA, "A's upload", 10_000)).to.include({ size: SIZE, verified: true });
  });

  it('should let a pause end the wait of the second tab, which on resume finds the object the first completed', async () => {
    const { prefix, a, b } = twoTabs();
    emulator.faults.update({ rules: [{ operations: ['UploadPart'], keyPrefix: prefix, latencyMs: 100 }] });
    const doneA = a.upload.start();
    await until(() => a.transport.of('UploadPart').length > 0, 'a part of A');
    const doneB = b.upload.start();
    await until(() => b.upload.snapshot.waitingFor === 'other-upload', 'B to wait');
    b.upload.pause();
    expect(b.upload.snapshot.status).to.equal('paused');
    expect(b.upload.snapshot.waitingFor).to.equal(undefined);
    const resultA = await within(doneA, "A's upload", 10_000);
    expect(b.transport.sent, 'B paused sends nothing').to.deep.equal([]);
    b.upload.resume();
    expect(await within(doneB, "B's upload", 5000)).to.include({ etag: resultA.etag, size: SIZE, verified: true });
    expect(b.transport.sent.map((sent) => sent.operation)).to.deep.equal(['HeadObject']);
  });
});
