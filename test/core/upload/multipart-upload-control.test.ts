import { expect } from 'chai';
import { settle } from '../../helpers/service-client-setup.js';
import {
  KEY,
  MiB,
  answerPart,
  answerParts,
  completeReply,
  crcOf,
  expectMonotonic,
  expectNoRequest,
  initiateReply,
  line,
  nextParts,
  recordIdOf,
  statusesOf,
  tick,
  uploadSetup,
  lines,
} from '../../helpers/upload-setup.js';

const SIZE = 4 * MiB;
const part = (n: number) => lines.part(n);
const ABORT = lines.abort();

/** An upload of 4 parts, 2 at a time, with Initiate answered and parts 1 and 2 in flight. */
async function inFlight(options: Parameters<typeof uploadSetup>[0] = {}) {
  const setup = uploadSetup({ size: SIZE, concurrency: 2, ...options });
  const done = settle(setup.upload.start());
  (await setup.transport.nextRequest()).respondWith(initiateReply());
  const parts = await nextParts(setup.transport, 2);
  expect(parts.map(line)).to.deep.equal([part(1), part(2)]);
  return { ...setup, done, parts };
}

describe('MultipartUpload pause and resume', () => {
  it('should abort the parts in flight and send nothing while paused', async () => {
    const { transport, upload, parts, snapshots } = await inFlight();
    upload.pause();
    expect(upload.snapshot.status).to.equal('paused');
    expect(parts.map((request) => request.signal?.aborted)).to.deep.equal([true, true]);
    await expectNoRequest(transport);
    expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'paused']);
  });

  it('should re-send on resume only the parts that were not acknowledged, progress never going back', async () => {
    const { transport, upload, parts, snapshots, data, done } = await inFlight();
    const [first, second] = parts;
    first!.onUploadProgress!(MiB / 2, MiB);
    second!.onUploadProgress!(MiB / 4, MiB);
    await answerPart(first!);
    const third = await transport.nextRequest();
    expect(line(third)).to.equal(part(3));
    third.onUploadProgress!(MiB / 2, MiB);
    upload.pause();
    await expectNoRequest(transport);
    const paused = upload.snapshot.progress.transferredBytes;
    expect(paused).to.equal(MiB + MiB / 4 + MiB / 2);
    upload.resume();
    const again = await nextParts(transport, 2);
    expect(again.map(line)).to.deep.equal([part(2), part(3)]);
    again[0]!.onUploadProgress!(MiB / 8, MiB);
    expect(upload.snapshot.progress.transferredBytes).to.equal(paused);
    for (const request of again) await answerPart(request);
    expect(await answerParts(transport, 1)).to.deep.equal([4]);
    (await transport.nextRequest()).respondWith(completeReply(data, 4));
    expect((await done).value).to.include({ verified: true, resumedParts: 0 });
    expect(transport.requests.map(line).filter((text) => text === part(1))).to.have.length(1);
    expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'paused', 'uploading', 'completing', 'done']);
    expectMonotonic(snapshots);
  });

  it('should report no rate while paused', async () => {
    const { upload, parts } = await inFlight();
    parts[0]!.onUploadProgress!(MiB / 8, MiB);
    await tick(300);
    parts[0]!.onUploadProgress!(MiB / 2, MiB);
    expect(upload.snapshot.progress.bytesPerSecond).to.be.above(0);
    upload.pause();
    expect(upload.snapshot.progress.bytesPerSecond).to.equal(0);
  });

  it('should stay paused when paused again before a resume was acted on', async () => {
    const { transport, upload, snapshots } = await inFlight();
    upload.pause();
    upload.resume();
    upload.pause();
    await expectNoRequest(transport);
    expect(upload.snapshot.status).to.equal('paused');
    expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'paused']);
  });

  it('should continue when resumed right after pausing, before the parts have stopped', async () => {
    const { transport, upload, data, done } = await inFlight();
    upload.pause();
    upload.resume();
    expect(await answerParts(transport, 4)).to.deep.equal([1, 2, 3, 4]);
    (await transport.nextRequest()).respondWith(completeReply(data, 4));
    expect((await done).value).to.include({ multipart: true });
  });

  it('should send a simple PUT again on resume', async () => {
    const { transport, upload, data } = uploadSetup({ size: 1000 });
    const done = upload.start();
    const first = await transport.nextRequest();
    first.onUploadProgress!(600, 1000);
    upload.pause();
    expect(first.signal?.aborted).to.equal(true);
    await expectNoRequest(transport);
    upload.resume();
    const again = await transport.nextRequest();
    expect(line(again)).to.equal(`PUT /${KEY}`);
    again.respondWith({ status: 200, headers: { etag: '"e"', 'x-cos-hash-crc64ecma': crcOf(data) } });
    expect(await done).to.include({ verified: true, multipart: false });
  });

  it('should ignore pause before start and resume while uploading', async () => {
    const { transport, upload, data } = uploadSetup({ size: 2 * MiB });
    upload.pause();
    expect(upload.snapshot.status).to.equal('idle');
    const done = upload.start();
    upload.resume();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 2);
    (await transport.nextRequest()).respondWith(completeReply(data, 2));
    await done;
  });
});

describe('MultipartUpload cancel', () => {
  it('should abort the parts in flight, abort the upload on the service and forget the record', async () => {
    const { transport, upload, parts, done, storage, file, snapshots } = await inFlight();
    const cancelling = upload.cancel();
    expect(upload.snapshot.status).to.equal('cancelled');
    expect(parts.map((request) => request.signal?.aborted)).to.deep.equal([true, true]);
    const abort = await transport.nextRequest();
    expect(line(abort)).to.equal(ABORT);
    abort.respondWith({ status: 204 });
    await cancelling;
    expect((await done).error).to.include({ code: 'aborted' });
    expect(storage.log.at(-1)).to.equal('delete');
    expect(storage.peek(await recordIdOf(file))).to.equal(undefined);
    await expectNoRequest(transport);
    expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'cancelled']);
  });

  it('should cancel when options.signal aborts', async () => {
    const controller = new AbortController();
    const { transport, upload, parts, done, storage } = await inFlight({ signal: controller.signal });
    controller.abort();
    expect(upload.snapshot.status).to.equal('cancelled');
    expect(parts.map((request) => request.signal?.aborted)).to.deep.equal([true, true]);
    const abort = await transport.nextRequest();
    expect(line(abort)).to.equal(ABORT);
    abort.respondWith({ status: 204 });
    expect((await done).error).to.include({ code: 'aborted' });
    await upload.cancel();
    expect(storage.log.at(-1)).to.equal('delete');
  });

  it('should cancel a paused upload', async () => {
    const { transport, upload, done } = await inFlight();
    upload.pause();
    await expectNoRequest(transport);
    const cancelling = upload.cancel();
    const abort = await transport.nextRequest();
    expect(line(abort)).to.equal(ABORT);
    abort.respondWith({ status: 204 });
    await cancelling;
    expect((await done).error).to.include({ code: 'aborted' });
    expect(upload.snapshot.status).to.equal('cancelled');
  });

  it('should count an upload the service no longer knows as aborted', async () => {
    const { transport, upload, done } = await inFlight();
    const cancelling = upload.cancel();
    (await transport.nextRequest()).respondWith({
      status: 404,
      body: '<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>',
    });
    await cancelling;
    expect((await done).error).to.include({ code: 'aborted' });
  });

  it('should send nothing and reject start() with aborted when cancelled before starting', async () => {
    const { transport, upload, storage } = uploadSetup({ size: SIZE });
    await upload.cancel();
    expect(upload.snapshot.status).to.equal('cancelled');
    expect((await settle(upload.start())).error).to.include({ code: 'aborted' });
    await expectNoRequest(transport);
    expect(transport.requests).to.have.length(0);
    expect(storage.log).to.deep.equal([]);
  });

  it('should be cancelled from the start by an already aborted signal', async () => {
    const { transport, upload } = uploadSetup({ size: SIZE, signal: AbortSignal.abort() });
    expect(upload.snapshot.status).to.equal('cancelled');
    expect((await settle(upload.start())).error).to.include({ code: 'aborted' });
    expect(transport.requests).to.have.length(0);
  });

  it('should do nothing once done, the done snapshot being the last its listeners saw', async () => {
    const { transport, upload, data, storage, snapshots } = uploadSetup({ size: 2 * MiB });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 2);
    (await transport.nextRequest()).respondWith(completeReply(data, 2));
    await done;
    const log = storage.log.length;
    const seen = snapshots.length;
    await upload.cancel();
    expect(upload.snapshot.status).to.equal('done');
    await expectNoRequest(transport);
    expect(storage.log).to.have.length(log);
    expect([snapshots.length, snapshots.at(-1)?.status]).to.deep.equal([seen, 'done']);
  });

  it('should give the cancelled snapshot to every listener, and nothing after it', async () => {
    const { transport, upload, done } = await inFlight();
    const seen: string[] = [];
    upload.subscribe(({ status }) => seen.push(`a:${status}`));
    upload.subscribe(({ status }) => seen.push(`b:${status}`));
    const cancelling = upload.cancel();
    (await transport.nextRequest()).respondWith({ status: 204 });
    await cancelling;
    await done;
    await upload.start().catch(() => undefined);
    expect(seen).to.deep.equal(['a:cancelled', 'b:cancelled']);
  });
});

describe('MultipartUpload listeners at the end', () => {
  it('should keep its listeners after a failure, which is not final', async () => {
    const { transport, upload, data, snapshots } = uploadSetup({ size: 2 * MiB });
    const first = settle(upload.start());
    (await transport.nextRequest()).respondWith({ status: 403, body: '<Error><Code>AccessDenied</Code></Error>' });
    expect((await first).error).to.include({ code: 'service' });
    const again = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 2);
    (await transport.nextRequest()).respondWith(completeReply(data, 2));
    await again;
    expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'failed', 'uploading', 'completing', 'done']);
  });
});
