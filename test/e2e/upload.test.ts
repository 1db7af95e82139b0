// The upload engine in Chromium against the real emulator on other origins (`*.localhost:<port>`), over real HTTP:
// every object is read back in Node and compared with the SHA-256 of the bytes generated here. Fault injection
// lives in upload-faults.test.ts only (one file's tests run one at a time; two files run at once).
import { expect } from 'chai';
import type { Clock } from '../../src/core/transport/clock.js';
import { createCrc64Hasher } from '../../src/core/upload/crc64-hasher.js';
import { MultipartUpload } from '../../src/core/upload/multipart-upload.js';
import { LocalStorageResumeStore, MemoryResumeStore } from '../../src/core/upload/resume-store.js';
import { rejection } from '../helpers/expect-error.js';
import {
  CountingTransport,
  MiB,
  createClient,
  during,
  expectSteadyProgress,
  expectStored,
  generatedFile,
  hostCredentials,
  pendingUploads,
  recordSnapshots,
  storedRecords,
  uniquePrefix,
  waitForPause,
} from './upload-support.js';

describe('MultipartUpload in Chromium against the emulator', () => {
  // Given to uploads that are dropped unfinished (they would otherwise keep the worker of a hasher of their own).
  const hasher = createCrc64Hasher();
  after(() => hasher.close());

  it('should upload a small file with one PUT, byte-identical and verified, with steady progress', async () => {
    const transport = new CountingTransport();
    const file = generatedFile(3 * MiB + 123, 'video/mp4');
    const key = `${uniquePrefix()}small clip (1)+视频.mp4`;
    const upload = new MultipartUpload({ client: createClient({ transport }), file, key, progressInterval: 0 });
    const snapshots = recordSnapshots(upload);

    const result = await upload.start();

    expect(result).to.include({ key, size: file.size, multipart: false, verified: true, resumedParts: 0 });
    expect(result.etag).to.match(/^"[0-9a-f]{32}"$/);
    expect(transport.sent.map((request) => request.operation)).to.deep.equal(['PutObject']);
    expectSteadyProgress(snapshots, file.size);
    await expectStored(key, file);
  });

  it('should upload a 64 MiB file in parts with the defaults, byte-identical and verified', async function () {
    this.timeout(30_000);
    const file = generatedFile(64 * MiB + 4321);
    const key = `${uniquePrefix()}large.bin`;
    const upload = new MultipartUpload({ client: createClient(), file, key, progressInterval: 0 });
    const snapshots = recordSnapshots(upload);

    const result = await upload.start();

    const parts = Math.ceil(file.size / (8 * MiB));
    expect(result).to.include({ key, size: file.size, multipart: true, verified: true, resumedParts: 0 });
    expect(result.etag).to.match(new RegExp(`^"[0-9a-f]{32}-${parts}"$`));
    expectSteadyProgress(snapshots, file.size);
    await expectStored(key, file);
  });

  it('should pause without sending anything and resume without re-sending acknowledged parts', async function () {
    this.timeout(20_000);
    const transport = new CountingTransport();
    const file = generatedFile(24 * MiB);
    const key = `${uniquePrefix()}paused.bin`;
    const upload = new MultipartUpload({ client: createClient({ transport }), file, key, partSize: MiB, multipartThreshold: MiB });
    let inFlightAtPause: number[] = [];
    transport.onResponse = () => {
      if (transport.acknowledgedParts().length !== 6) return;
      inFlightAtPause = transport.of('UploadPart').filter((r) => !r.settled).map((r) => r.partNumber!);
      upload.pause();
    };

    const done = upload.start();
    await waitForPause(upload, transport);
    const sentWhilePaused = transport.sent.length;
    await during(300);
    expect(transport.sent.length, 'requests sent while paused').to.equal(sentWhilePaused);
    expect(upload.snapshot.status).to.equal('paused');
    transport.onResponse = undefined;
    upload.resume();
    const result = await done;

    expect(result).to.include({ verified: true, multipart: true });
    expect(inFlightAtPause).to.not.be.empty;
    for (const [partNumber, sends] of transport.partSends()) {
      expect(sends, `sends of part ${partNumber}`).to.be.at.most(inFlightAtPause.includes(partNumber) ? 2 : 1);
    }
    expect(transport.partSends().size).to.equal(24);
    await expectStored(key, file);
  });

  it('should cancel mid-upload, leaving no multipart upload on the server and no resume record', async function () {
    this.timeout(15_000);
    const transport = new CountingTransport();
    const client = createClient({ transport });
    const prefix = uniquePrefix();
    const storagePrefix = `e2e:${prefix}`;
    const file = generatedFile(24 * MiB);
    const key = `${prefix}cancelled.bin`;
    const storage = new LocalStorageResumeStore({ prefix: storagePrefix });
    const upload = new MultipartUpload({ client, file, key, partSize: MiB, multipartThreshold: MiB, storage });
    const records = () => storedRecords(storagePrefix);
    let recordsBeforeCancel = 0;
    let cancelled: Promise<void> | undefined;
    transport.onResponse = () => {
      if (transport.acknowledgedParts().length !== 3 || cancelled) return;
      recordsBeforeCancel = records().length;
      cancelled = upload.cancel();
    };

    const error = await rejection(upload.start());
    await cancelled;

    expect(error.code).to.equal('aborted');
    expect(upload.snapshot.status).to.equal('cancelled');
    expect(recordsBeforeCancel).to.equal(1);
    expect(records()).to.deep.equal([]);
    expect(transport.of('AbortMultipartUpload').map((r) => r.status)).to.deep.equal([204]);
    expect(await pendingUploads(client, key)).to.deep.equal([]);
  });

  it('should resume from a new instance on the same storage, re-sending at most one part per slot', async function () {
    this.timeout(20_000);
    const prefix = uniquePrefix();
    const storagePrefix = `e2e:${prefix}`;
    const file = generatedFile(24 * MiB);
    const key = `${prefix}resumed.bin`;
    const first = new CountingTransport();
    const options = { file, key, partSize: MiB, multipartThreshold: MiB, concurrency: 3, hasher };
    const a = new MultipartUpload({
      ...options,
      client: createClient({ transport: first }),
      storage: new LocalStorageResumeStore({ prefix: storagePrefix }),
    });
    first.onResponse = () => {
      if (first.acknowledgedParts().length === 12) a.pause();
    };
    void a.start();
    await waitForPause(a, first);
    first.onResponse = undefined;

    const second = new CountingTransport();
    const b = new MultipartUpload({
      ...options,
      client: createClient({ transport: second }),
      storage: new LocalStorageResumeStore({ prefix: storagePrefix }),
    });
    const result = await b.start();

    expect(second.sent[0]?.operation).to.equal('ListParts');
    expect(second.of('InitiateMultipartUpload')).to.be.empty;
    const acknowledgedByA = new Set(first.acknowledgedParts());
    const resent = [...second.partSends().keys()].filter((partNumber) => acknowledgedByA.has(partNumber));
    expect(resent.length, `parts sent again: ${resent.join(', ')}`).to.be.at.most(3);
    expect(result.resumedParts).to.be.greaterThan(0);
    expect(result).to.include({ verified: true, multipart: true });
    expect(storedRecords(storagePrefix)).to.deep.equal([]);
    await expectStored(key, file);
  });

  /**
   * Signs one request with 3-second credentials, waits until they have expired on the service (and the second
   * they expired in has passed, so that the signature window has ended too), then uploads with the same client:
   * its first request is signed with the expired credentials still cached.
   */
  async function uploadAfterExpiry(credentials: ReturnType<typeof hostCredentials>, clock?: Clock) {
    const transport = new CountingTransport();
    const client = createClient({ transport, credentials, ...(clock ? { clock } : {}) });
    const prefix = uniquePrefix();
    await pendingUploads(client, prefix);
    await during(4200);
    const file = generatedFile(4 * MiB);
    const key = `${prefix}renewed.bin`;
    const result = await new MultipartUpload({ client, file, key, partSize: MiB, multipartThreshold: MiB }).start();
    expect(result.verified).to.equal(true);
    await expectStored(key, file);
    // The upload's first request met the expired credentials, and was sent once more with new ones.
    const [refused, renewed, ...more] = transport.of('InitiateMultipartUpload');
    expect(renewed?.status).to.equal(200);
    expect(more).to.be.empty;
    return refused!;
  }

  it('should renew credentials whose signature window ended while cached (clock behind) and retry', async function () {
    this.timeout(15_000);
    // 20 s behind: 3-second credentials look fresh here for about 12 s after they expired on the service, and
    // the signatures made with them end with them (the service answers "Request has expired").
    const behind: Clock = { offset: -20_000, now: () => Date.now() - 20_000, observe: () => undefined };
    const credentials = hostCredentials('/api/credentials?durationSeconds=3');

    const refused = await uploadAfterExpiry(credentials, behind);

    expect(refused.status).to.equal(403);
    expect(refused.errorBody).to.contain('<Code>AccessDenied</Code>').and.contain('Request has expired');
    expect(credentials.calls).to.be.at.least(2);
  });

  it('should renew credentials whose session token expired (400 ExpiredToken) and retry', async function () {
    this.timeout(15_000);
    // ExpiredTime overstated by 30 s: the credentials are cached, and sign, well past the token's real expiry.
    const credentials = hostCredentials('/api/credentials?durationSeconds=3', 30);

    const refused = await uploadAfterExpiry(credentials);

    expect(refused.status).to.equal(400);
    expect(refused.errorBody).to.contain('<Code>ExpiredToken</Code>');
    expect(credentials.calls).to.be.at.least(2);
  });

  it('should fail fast with a clear error when the policy forbids the key', async () => {
    const transport = new CountingTransport();
    // The default retry schedule (first retry after 500 ms): failing within 1 s proves nothing was retried.
    const client = createClient({ transport, credentials: hostCredentials('/api/narrow/credentials'), retry: {} });
    const file = generatedFile(3 * MiB);
    const key = `${uniquePrefix()}forbidden.bin`;
    const storage = new MemoryResumeStore();
    const upload = new MultipartUpload({ client, file, key, multipartThreshold: MiB, storage });

    const startedAt = performance.now();
    const error = await rejection(upload.start());
    const elapsed = performance.now() - startedAt;

    expect(elapsed).to.be.below(1000);
    expect(error).to.include({ code: 'service', status: 403, serviceCode: 'AccessDenied', phase: 'upload' });
    expect(error.attempts).to.equal(1);
    expect(error.message).to.contain('InitiateMultipartUpload');
    expect(upload.snapshot.status).to.equal('failed');
    expect(transport.of('UploadPart')).to.be.empty;
  });
});
