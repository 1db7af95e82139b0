import { expect } from 'chai';
import { MemoryResumeStore, type ResumeRecord } from '../../../src/core/upload/resume-store.js';
import type { Emulator } from '../../../src/emulator/index.js';
import { rejection } from '../../helpers/expect-error.js';
import {
  MiB,
  emulatorClient,
  emulatorUpload,
  pendingUploads,
  until,
  useEmulator,
  within,
} from './upload-emulator-setup.js';

/** A memory store that tells which records it holds. */
class KeysStore extends MemoryResumeStore {
  readonly ids = new Set<string>();
  override set(id: string, record: ResumeRecord): void {
    this.ids.add(id);
    super.set(id, record);
  }
  override delete(id: string): void {
    this.ids.delete(id);
    super.delete(id);
  }
}

describe('MultipartUpload against the emulator: a cancel or pause during InitiateMultipartUpload', function () {
  this.timeout(20_000);
  let emulator: Emulator;
  useEmulator((started) => (emulator = started));

  /** An upload of 3 parts whose Initiate answer is held back on its way to the page for `holdMs`. */
  function slowInitiate(holdMs: number, storage: KeysStore | false = new KeysStore()) {
    const { prefix, transport, client, upload } = emulatorUpload(emulator, { storage });
    transport.hold = (operation) => (operation === 'InitiateMultipartUpload' ? holdMs : 0);
    return { prefix, transport, client, upload, storage };
  }

  it('should abort the upload an Initiate made once its late answer comes, when cancelled meanwhile', async () => {
    const { prefix, transport, client, upload } = slowInitiate(400);
    const done = rejection(upload.start());
    // The service has made the upload; its answer is still on the way.
    await until(() => transport.of('InitiateMultipartUpload').length === 1, 'the Initiate');
    const lister = emulatorClient(emulator);
    for (let made = false; !made; ) made = (await pendingUploads(lister, prefix)).length === 1;

    await within(upload.cancel(), 'cancel()', 3000);
    expect((await done).code).to.equal('aborted');
    expect(upload.snapshot.status).to.equal('cancelled');
    expect(await pendingUploads(client, prefix), 'no multipart upload left behind').to.deep.equal([]);
    expect(transport.of('AbortMultipartUpload').map((sent) => sent.status)).to.deep.equal([204]);
    expect(transport.of('UploadPart')).to.have.length(0);
  });

  it('should abort the upload when the cancel lands while the emulator delays the Initiate', async () => {
    const { prefix, transport, client, upload, storage } = slowInitiate(0);
    emulator.faults.update({
      rules: [{ operations: ['InitiateMultipartUpload'], keyPrefix: prefix, latencyMs: 300 }],
    });
    const done = rejection(upload.start());
    await until(() => transport.of('InitiateMultipartUpload').length === 1, 'the Initiate');
    await within(upload.cancel(), 'cancel()', 3000);
    expect((await done).code).to.equal('aborted');
    expect(await pendingUploads(client, prefix)).to.deep.equal([]);
    // The record the Initiate saved is forgotten with its upload.
    expect(storage && [...storage.ids]).to.deep.equal([]);
  });

  it('should go on with the upload of an Initiate answered after a pause: one Initiate, nothing orphaned', async () => {
    const { prefix, transport, client, upload } = slowInitiate(300, false);
    const done = upload.start();
    await until(() => transport.of('InitiateMultipartUpload').length === 1, 'the Initiate');
    upload.pause();
    expect(upload.snapshot.status).to.equal('paused');
    await new Promise((resolve) => setTimeout(resolve, 400));
    upload.resume();
    const result = await within(done, 'the upload', 5000);
    expect(result).to.include({ size: 3 * MiB, verified: true, multipart: true });
    expect(transport.of('InitiateMultipartUpload'), 'one Initiate').to.have.length(1);
    expect(await pendingUploads(client, prefix)).to.deep.equal([]);
  });
});
