import { expect } from 'chai';
import { crc64 } from '../../../src/core/upload/crc64.js';
import type { Crc64Hasher } from '../../../src/core/upload/crc64-hasher.js';
import { UPLOAD_STATUS_TRANSITIONS } from '../../../src/core/upload/upload-types.js';
import { rejection } from '../../helpers/expect-error.js';
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
  statusesOf,
  tick,
  uploadSetup,
  transcript,
  lines,
} from '../../helpers/upload-setup.js';

const SIZE = 3 * MiB;
const part = (n: number) => lines.part(n);
const INITIATE = lines.initiate;
const LIST = lines.list();
const COMPLETE = lines.complete();
const ABORT = lines.abort();

/** `promise`, or a failure naming `what` after `ms` (a hang fails the test instead of timing it out). */
function within<T>(promise: Promise<T>, what: string, ms = 500): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A hasher whose hashes settle only when the test releases them, ignoring their signal (as a stuck worker would);
 * the signals it was given are recorded.
 */
function stuckHasher() {
  const calls: { blob: Blob; signal: AbortSignal | undefined; resolve: (crc: bigint) => void }[] = [];
  const hasher: Crc64Hasher = {
    hash: (blob, signal) => new Promise<bigint>((resolve) => calls.push({ blob, signal, resolve })),
    offMainThread: false,
    close() {},
  };
  /** Settles every hash asked for so far with the right CRC-64. */
  const release = async () => {
    for (const call of calls) call.resolve(crc64(new Uint8Array(await call.blob.arrayBuffer())));
  };
  return { hasher, calls, release };
}

/** An upload of 3 parts, 3 at a time, with Initiate answered and the 3 parts in flight. */
async function inFlight(options: Parameters<typeof uploadSetup>[0] = {}) {
  const setup = uploadSetup({ size: SIZE, ...options });
  const done = settle(setup.upload.start());
  (await setup.transport.nextRequest()).respondWith(initiateReply());
  const parts = await nextParts(setup.transport, 3);
  expect(parts.map(line)).to.deep.equal([part(1), part(2), part(3)]);
  return { ...setup, done, parts };
}

describe('MultipartUpload after the review: cancel and pause', () => {
  it('should settle a cancel while the CRC hasher never answers, and abort the hashing', async () => {
    const { hasher, calls } = stuckHasher();
    const { transport, upload } = uploadSetup({ size: SIZE, hasher });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    expect(await answerParts(transport, 3)).to.deep.equal([1, 2, 3]);
    // Every part is answered, but its CRC never comes: nothing more is sent.
    await expectNoRequest(transport);
    expect(calls).to.have.length(3);
    const cancelling = upload.cancel();
    expect(upload.snapshot.status).to.equal('cancelled');
    const abort = await transport.nextRequest();
    expect(line(abort)).to.equal(ABORT);
    abort.respondWith({ status: 204 });
    await within(cancelling, 'cancel()');
    expect((await within(rejection(done), 'start()')).code).to.equal('aborted');
    expect(calls.map((call) => call.signal?.aborted)).to.deep.equal([true, true, true]);
  });

  it('should pause at once while the CRC hasher is busy, and not send again the parts checked meanwhile', async () => {
    const { hasher, calls, release } = stuckHasher();
    const { transport, upload, data, snapshots } = uploadSetup({ size: SIZE, hasher });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 3);
    await tick();
    upload.pause();
    expect(upload.snapshot.status).to.equal('paused');
    await expectNoRequest(transport);
    // A pause must not throw away hashes: the parts are on the service, their check only waits for them.
    expect(calls.map((call) => call.signal?.aborted)).to.deep.equal([false, false, false]);
    await release();
    await expectNoRequest(transport);
    expect(upload.snapshot.status).to.equal('paused');
    upload.resume();
    const complete = await transport.nextRequest();
    expect(line(complete)).to.equal(COMPLETE);
    complete.respondWith(completeReply(data, 3));
    expect(await within(done, 'start()')).to.include({ verified: true, resumedParts: 0 });
    expect(calls).to.have.length(3);
    expect(transcript(transport.requests)).to.deep.equal([INITIATE, part(1), part(2), part(3), COMPLETE]);
    expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'paused', 'uploading', 'completing', 'done']);
  });

  it('should settle a cancel of an upload paused while the CRC hasher never answers', async () => {
    const { hasher } = stuckHasher();
    const { transport, upload } = uploadSetup({ size: SIZE, hasher });
    const done = settle(upload.start());
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 3);
    upload.pause();
    upload.resume();
    upload.pause();
    expect(upload.snapshot.status).to.equal('paused');
    const cancelling = upload.cancel();
    const abort = await transport.nextRequest();
    expect(line(abort)).to.equal(ABORT);
    abort.respondWith({ status: 204 });
    await within(cancelling, 'cancel()');
    expect((await within(done, 'start()')).error).to.include({ code: 'aborted' });
  });

  it('should abort the ListParts of a resumed upload on cancel, abort its upload and forget its record', async () => {
    const { transport, upload, storage, file } = uploadSetup({ size: SIZE });
    const id = await recordIdOf(file);
    storage.set(id, await recordOf(file));
    const done = settle(upload.start());
    const list = await transport.nextRequest();
    expect(line(list)).to.equal(LIST);
    const cancelling = upload.cancel();
    expect(list.signal?.aborted).to.equal(true);
    const abort = await transport.nextRequest();
    expect(line(abort)).to.equal(ABORT);
    abort.respondWith({ status: 204 });
    await within(cancelling, 'cancel()');
    expect((await done).error).to.include({ code: 'aborted' });
    expect(storage.peek(id)).to.equal(undefined);
    expect(storage.log.at(-1)).to.equal('delete');
    await expectNoRequest(transport);
  });

  it('should let a Complete in flight finish when cancelled while completing, and send no abort', async () => {
    expect(UPLOAD_STATUS_TRANSITIONS.completing).to.not.include('cancelled');
    const { transport, upload, data, snapshots, storage, file } = uploadSetup({ size: SIZE });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 3);
    const complete = await transport.nextRequest();
    expect(line(complete)).to.equal(COMPLETE);
    expect(upload.snapshot.status).to.equal('completing');
    const cancelling = upload.cancel();
    await tick();
    expect(upload.snapshot.status).to.equal('completing');
    expect(complete.signal?.aborted).to.equal(false);
    complete.respondWith(completeReply(data, 3));
    expect(await within(done, 'start()')).to.include({ verified: true, uploadId: UPLOAD_ID });
    await within(cancelling, 'cancel()');
    expect(upload.snapshot.status).to.equal('done');
    await expectNoRequest(transport);
    expect(transport.requests.map(line)).to.not.include(ABORT);
    expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'completing', 'done']);
    expect(storage.peek(await recordIdOf(file))).to.equal(undefined);
  });

  it('should keep the record when the abort is refused, and abort again on a second cancel', async () => {
    const { transport, upload, done, storage, file } = await inFlight();
    const id = await recordIdOf(file);
    const first = upload.cancel();
    const refused = await transport.nextRequest();
    expect(line(refused)).to.equal(ABORT);
    refused.respondWith(errorReply(403, 'AccessDenied', 'Access Denied.'));
    const error = await within(rejection(first), 'the first cancel()');
    expect(error).to.include({ phase: 'cancel', status: 403, serviceCode: 'AccessDenied' });
    expect(storage.peek(id)).to.include({ uploadId: UPLOAD_ID });
    expect(storage.log).to.not.include('delete');
    expect(upload.snapshot.status).to.equal('cancelled');

    const second = upload.cancel();
    const again = await transport.nextRequest();
    expect(line(again)).to.equal(ABORT);
    again.respondWith({ status: 204 });
    await within(second, 'the second cancel()');
    expect(storage.peek(id)).to.equal(undefined);
    expect(storage.log.at(-1)).to.equal('delete');
    expect((await done).error).to.include({ code: 'aborted' });
    expect(transport.requests.map(line).filter((text) => text === ABORT)).to.have.length(2);
  });

  it('should stop listening to options.signal once done', async () => {
    const controller = new AbortController();
    const { signal } = controller;
    const added: unknown[] = [];
    const removed: unknown[] = [];
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = (type: string, listener: unknown, options?: unknown) => {
      if (type === 'abort') added.push(listener);
      add(type, listener as EventListener, options as AddEventListenerOptions);
    };
    signal.removeEventListener = (type: string, listener: unknown, options?: unknown) => {
      if (type === 'abort') removed.push(listener);
      remove(type, listener as EventListener, options as EventListenerOptions);
    };
    const { transport, upload, data, snapshots } = uploadSetup({ size: 2 * MiB, signal });
    const done = upload.start();
    (await transport.nextRequest()).respondWith(initiateReply());
    await answerParts(transport, 2);
    (await transport.nextRequest()).respondWith(completeReply(data, 2));
    await within(done, 'start()');
    expect(added).to.have.length.above(0);
    expect(removed).to.have.members(added);
    const published = snapshots.length;
    controller.abort();
    await expectNoRequest(transport);
    expect(upload.snapshot.status).to.equal('done');
    expect(snapshots).to.have.length(published);
    expect(transcript(transport.requests)).to.deep.equal([INITIATE, part(1), part(2), COMPLETE]);
  });
});
