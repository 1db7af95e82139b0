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
  it('should neither resume nor overwrite the record of a running upload of the file until it pauses', async () => {
    const { transport, upload: a, makeUpload, storage, file } = uploadSetup({ size: SIZE });
    const id = await recordIdOf(file);
    void a.start().catch(() => undefined);
    (await transport.nextRequest()).respondWith(initiateReply());
    const aParts = await nextParts(transport, 3);
    expect(aParts.map(line)).to.deep.equal([part(1), part(2), part(3)]);
    expect(storage.log).to.deep.equal(['get', `set ${UPLOAD_ID}`]);

    const b = makeUpload();
    const bDone = settle(b.start());
    const initiate = await transport.nextRequest();
    expect(line(initiate), 'B must not list the parts of A').to.equal(INITIATE);
    initiate.respondWith(initiateReply(NEW_ID));
    const bParts = await nextParts(transport, 3);
    expect(bParts.map(line)).to.deep.equal([part(1, NEW_ID), part(2, NEW_ID), part(3, NEW_ID)]);
    expect(storage.log, 'B must not touch the record of A').to.deep.equal(['get', `set ${UPLOAD_ID}`]);
    expect(storage.peek(id)).to.include({ uploadId: UPLOAD_ID });

    const bCancel = b.cancel();
    const bAbort = await transport.nextRequest();
    expect(line(bAbort)).to.equal(ABORT(NEW_ID));
    bAbort.respondWith({ status: 204 });
    await bCancel;
    expect((await bDone).error).to.include({ code: 'aborted' });
    expect(storage.peek(id)).to.include({ uploadId: UPLOAD_ID });
    expect(aParts.map((request) => request.signal?.aborted)).to.deep.equal([false, false, false]);

    a.pause();
    await expectNoRequest(transport);
    const c = makeUpload();
    void c.start().catch(() => undefined);
    expect(line(await transport.nextRequest()), 'C resumes the record A let go').to.equal(LIST);
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
