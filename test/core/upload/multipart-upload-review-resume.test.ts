import { expect } from 'chai';
import { settle } from '../../helpers/service-client-setup.js';
import {
  MiB,
  UPLOAD_ID,
  answerParts,
  completeReply,
  errorReply,
  expectNoRequest,
  initiateReply,
  line,
  nextParts,
  recordIdOf,
  recordOf,
  uploadSetup,
  NEW_UPLOAD_ID,
  lines,
  listPartsReply,
} from '../../helpers/upload-setup.js';

const SIZE = 3 * MiB;
const NEW_ID = NEW_UPLOAD_ID;
const part = lines.part;
const INITIATE = lines.initiate;
const LIST = lines.list();
const ABORT = lines.abort;
const COMPLETE = lines.complete;

/** An upload of 3 parts whose store already holds the engine's own record of this file (with `overrides`). */
async function withRecord(
  overrides: Parameters<typeof recordOf>[1] = {},
  options: Parameters<typeof uploadSetup>[0] = {},
) {
  const setup = uploadSetup({ size: SIZE, concurrency: 1, ...options });
  const id = await recordIdOf(setup.file);
  setup.storage.set(id, await recordOf(setup.file, overrides));
  setup.storage.log.length = 0;
  return { ...setup, id };
}

describe('MultipartUpload after the review: resume records', () => {
  it('should make a second upload of the file wait while the first runs, then resume the record it let go', async () => {
    const { transport, upload: a, makeUpload, storage, file } = uploadSetup({ size: SIZE });
    const id = await recordIdOf(file);
    void a.start().catch(() => undefined);
    (await transport.nextRequest()).respondWith(initiateReply());
    const aParts = await nextParts(transport, 3);
    expect(aParts.map(line)).to.deep.equal([part(1), part(2), part(3)]);
    expect(storage.log).to.deep.equal(['get', `set ${UPLOAD_ID}`]);

    // B (a double click, a second widget) neither initiates its own upload nor touches the record of A: it waits.
    const b = makeUpload();
    const bDone = settle(b.start());
    await expectNoRequest(transport);
    expect(b.snapshot).to.include({ status: 'uploading', waitingFor: 'other-upload' });
    expect(storage.log).to.deep.equal(['get', `set ${UPLOAD_ID}`]);

    // A pauses: B takes the record over.
    a.pause();
    const list = await transport.nextRequest();
    expect(line(list), 'B resumes the record A let go').to.equal(LIST);
    expect(b.snapshot.waitingFor).to.equal(undefined);
    expect(storage.peek(id)).to.include({ uploadId: UPLOAD_ID });

    // A paused, cancelled while B runs: B's multipart upload (the same UploadId) is left alone.
    await a.cancel();
    expect(transport.requests.map(line).filter((text) => text === ABORT(UPLOAD_ID))).to.have.length(0);
    list.respondWith(listPartsReply([]));
    expect((await nextParts(transport, 3)).map(line)).to.deep.equal([part(1), part(2), part(3)]);
    const bCancel = b.cancel();
    (await transport.nextRequest()).respondWith({ status: 204 });
    await bCancel;
    expect((await bDone).error).to.include({ code: 'aborted' });
    expect(storage.peek(id)).to.equal(undefined);
  });

  it('should not resume a record made with another Content-Type', async () => {
    const { transport, makeUpload, id, storage } = await withRecord();
    const upload = makeUpload({ contentType: 'application/octet-stream' });
    void upload.start().catch(() => undefined);
    const initiate = await transport.nextRequest();
    expect(line(initiate)).to.equal(INITIATE);
    expect(initiate.headers['content-type']).to.equal('application/octet-stream');
    expect(storage.peek(id)).to.include({ uploadId: UPLOAD_ID });
  });

  it('should drop the record and initiate afresh when ListParts is refused with 403', async () => {
    const { transport, upload, data, storage, id } = await withRecord();
    const done = upload.start();
    const list = await transport.nextRequest();
    expect(line(list)).to.equal(LIST);
    list.respondWith(errorReply(403, 'AccessDenied', 'Access Denied.'));
    const initiate = await transport.nextRequest();
    expect(line(initiate)).to.equal(INITIATE);
    expect(storage.peek(id)).to.equal(undefined);
    initiate.respondWith(initiateReply(NEW_ID));
    expect(await answerParts(transport, 3)).to.deep.equal([1, 2, 3]);
    (await transport.nextRequest()).respondWith(completeReply(data, 3));
    expect(await done).to.include({ uploadId: NEW_ID, resumedParts: 0, verified: true });
    expect(transport.requests.map(line)).to.deep.equal([
      LIST, INITIATE, part(1, NEW_ID), part(2, NEW_ID), part(3, NEW_ID), COMPLETE(NEW_ID),
    ]);
    expect(storage.log).to.deep.equal(['get', 'delete', `set ${NEW_ID}`, 'delete']);
  });
});
