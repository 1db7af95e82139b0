import { expect } from 'chai';
import { parseCompleteMultipartUpload } from '../../../src/core/protocol/complete-multipart-upload.js';
import { settle } from '../../helpers/service-client-setup.js';
import {
  MiB,
  NOW,
  UPLOAD_ID,
  answerPart,
  answerParts,
  completeReply,
  errorReply,
  expectMonotonic,
  initiateReply,
  line,
  listPartsReply,
  partEtag,
  recordIdOf,
  recordOf,
  uploadSetup,
  NEW_UPLOAD_ID,
  lines,
} from '../../helpers/upload-setup.js';
import type { UploadSnapshot } from '../../../src/core/upload/upload-types.js';

const SIZE = 4 * MiB;
const NEW_ID = NEW_UPLOAD_ID;
const part = lines.part;
const LIST = lines.list();
const INITIATE = lines.initiate;
const ABORT = lines.abort();
const complete = lines.complete;

/** An upload of 4 parts whose store already holds `record` (the engine's own for this file, with overrides). */
async function withRecord(
  overrides: Parameters<typeof recordOf>[1] = {},
  options: Parameters<typeof uploadSetup>[0] = {},
) {
  const setup = uploadSetup({ size: SIZE, concurrency: 1, ...options });
  setup.storage.set(await recordIdOf(setup.file), await recordOf(setup.file, overrides));
  setup.storage.log.length = 0;
  return setup;
}

describe('MultipartUpload resume from a record', () => {
  it('should resume from the record of an earlier instance without re-sending the parts ListParts shows', async () => {
    const { transport, upload, makeUpload, data, storage } = uploadSetup({ size: SIZE, concurrency: 1 });
    const failed = settle(upload.start());
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 2);
    (await transport.nextRequest()).respondWith(errorReply(403, 'AccessDenied'));
    expect((await failed).error).to.include({ status: 403 });

    const later = makeUpload();
    const snapshots: UploadSnapshot[] = [];
    later.subscribe((snapshot) => snapshots.push(snapshot));
    const done = later.start();
    const list = await transport.nextRequest();
    expect(line(list)).to.equal(LIST);
    list.respondWith(listPartsReply([{ partNumber: 1, size: MiB }, { partNumber: 2, size: MiB }]));
    const next = await transport.nextRequest();
    expect(later.snapshot.progress.transferredBytes).to.equal(2 * MiB);
    await answerPart(next);
    expect(await answerParts(transport, 1)).to.deep.equal([4]);
    const completion = await transport.nextRequest();
    expect(parseCompleteMultipartUpload(completion.body as string).map((p) => p.ETag)).to.deep.equal(
      [1, 2, 3, 4].map(partEtag),
    );
    completion.respondWith(completeReply(data, 4));
    expect(await done).to.include({ uploadId: UPLOAD_ID, resumedParts: 2, verified: true });
    expect(transport.requests.slice(4).map(line)).to.deep.equal([LIST, part(3), part(4), complete()]);
    expect(storage.log.at(-1)).to.equal('delete');
    expectMonotonic(snapshots);
  });

  it('should re-send a listed part whose size is not the planned one', async () => {
    const { transport, upload, data } = await withRecord();
    const done = upload.start();
    (await transport.nextRequest()).respondWith(
      listPartsReply([{ partNumber: 1, size: MiB }, { partNumber: 2, size: MiB - 1 }]),
    );
    expect(await answerParts(transport, 3)).to.deep.equal([2, 3, 4]);
    (await transport.nextRequest()).respondWith(completeReply(data, 4));
    expect(await done).to.include({ resumedParts: 1 });
    expect(transport.requests.map(line)).to.deep.equal([LIST, part(2), part(3), part(4), complete()]);
  });

  it('should drop the record and initiate afresh when ListParts answers NoSuchUpload', async () => {
    const { transport, upload, data, storage } = await withRecord();
    const done = upload.start();
    (await transport.nextRequest()).respondWith(errorReply(404, 'NoSuchUpload'));
    const initiate = await transport.nextRequest();
    expect(line(initiate)).to.equal(INITIATE);
    initiate.respondWith(initiateReply(NEW_ID));
    expect(await answerParts(transport, 4)).to.deep.equal([1, 2, 3, 4]);
    (await transport.nextRequest()).respondWith(completeReply(data, 4));
    expect(await done).to.include({ uploadId: NEW_ID, resumedParts: 0 });
    expect(transport.requests.map(line).slice(0, 3)).to.deep.equal([LIST, INITIATE, part(1, NEW_ID)]);
    expect(storage.log).to.deep.equal(['get', 'delete', `set ${NEW_ID}`, 'delete']);
  });

  it('should drop an expired record, abort its upload and initiate afresh', async () => {
    const { transport, upload, data, storage } = await withRecord({ createdAt: NOW - 2000 }, { resumeTtl: 1000 });
    const done = upload.start();
    const abort = await transport.nextRequest();
    expect(line(abort)).to.equal(ABORT);
    abort.respondWith({ status: 204 });
    const initiate = await transport.nextRequest();
    expect(line(initiate)).to.equal(INITIATE);
    initiate.respondWith(initiateReply(NEW_ID));
    await answerParts(transport, 4);
    (await transport.nextRequest()).respondWith(completeReply(data, 4));
    expect(await done).to.include({ uploadId: NEW_ID, resumedParts: 0 });
    expect(storage.log.slice(0, 3)).to.deep.equal(['get', 'delete', `set ${NEW_ID}`]);
  });

  it('should initiate afresh even when aborting the expired upload fails', async () => {
    const { transport, upload } = await withRecord({ createdAt: NOW - 2000 }, { resumeTtl: 1000 });
    void upload.start().catch(() => undefined);
    (await transport.nextRequest()).respondWith(errorReply(403, 'AccessDenied'));
    expect(line(await transport.nextRequest())).to.equal(INITIATE);
  });

  it('should use a record younger than resumeTtl', async () => {
    const { transport, upload } = await withRecord({ createdAt: NOW - 999 }, { resumeTtl: 1000 });
    void upload.start().catch(() => undefined);
    expect(line(await transport.nextRequest())).to.equal(LIST);
  });

  it("should plan the parts with the record's part size, not the option's", async () => {
    const { transport, upload, data } = await withRecord({ partSize: 2 * MiB });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(listPartsReply([{ partNumber: 1, size: 2 * MiB }]));
    const second = await transport.nextRequest();
    expect(line(second)).to.equal(part(2));
    expect((second.body as Blob).size).to.equal(2 * MiB);
    await answerPart(second);
    (await transport.nextRequest()).respondWith(completeReply(data, 2));
    expect(await done).to.include({ resumedParts: 1, verified: true });
  });

  it('should ignore and drop a record made for a file of another size', async () => {
    const { transport, upload, storage } = await withRecord({ size: SIZE + 1 });
    void upload.start().catch(() => undefined);
    const initiate = await transport.nextRequest();
    expect(line(initiate)).to.equal(INITIATE);
    initiate.respondWith(initiateReply(NEW_ID));
    expect(line(await transport.nextRequest())).to.equal(part(1, NEW_ID));
    expect(storage.log).to.deep.equal(['get', 'delete', `set ${NEW_ID}`]);
  });

  it('should ignore a record made for another key', async () => {
    const { transport, upload } = await withRecord({ key: 'input/other.mp4' });
    void upload.start().catch(() => undefined);
    expect(line(await transport.nextRequest())).to.equal(INITIATE);
  });

  it('should keep no record with storage false', async () => {
    const { transport, upload, data, storage } = uploadSetup({ size: 2 * MiB, storage: false });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 2);
    (await transport.nextRequest()).respondWith(completeReply(data, 2));
    await done;
    expect(storage.log).to.deep.equal([]);
  });
});
