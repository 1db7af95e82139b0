// Chromium only: `navigator.onLine` and the window's `online` event are what the engine waits on when retries run
// out offline. The test overrides `onLine` on the page's navigator and dispatches `online` itself.
import { expect } from 'chai';
import { partReply, statusesOf, tick, uploadSetup } from '../helpers/upload-setup.js';

function goOffline(): () => void {
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => false });
  return () => {
    delete (navigator as { onLine?: boolean }).onLine;
    window.dispatchEvent(new Event('online'));
  };
}

describe('MultipartUpload offline', () => {
  let backOnline: (() => void) | undefined;
  afterEach(() => {
    backOnline?.();
    backOnline = undefined;
  });

  it('should wait for the online event instead of failing, then send again', async () => {
    const { transport, upload, snapshots } = uploadSetup({ size: 1000 });
    const done = upload.start();
    backOnline = goOffline();
    // The first attempt and both retries fail: the network is gone.
    for (let attempt = 0; attempt < 3; attempt += 1) (await transport.nextRequest()).fail('network');
    await tick(30);
    expect(upload.snapshot.status).to.equal('uploading');
    expect(transport.requests).to.have.length(3);

    backOnline();
    backOnline = undefined;
    const put = await transport.nextRequest();
    put.respondWith(await partReply(put));
    expect((await done).size).to.equal(1000);
    expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'done']);
  });

  it('should try again on its own every offlineRecheckMs while onLine stays false, and fail after offlineWaitMs', async () => {
    const { transport, upload, snapshots } = uploadSetup({ size: 1000, offlineRecheckMs: 50, offlineWaitMs: 400 });
    const done = upload.start().catch((error: unknown) => error);
    backOnline = goOffline();
    for (let attempt = 0; attempt < 3; attempt += 1) (await transport.nextRequest()).fail('network');
    await tick(10);
    expect(upload.snapshot).to.include({ status: 'uploading', waitingFor: 'network' });
    // No online event: the upload tries again by itself, three attempts each time, until the limit.
    for (;;) {
      const request = await Promise.race([transport.nextRequest(), done.then(() => undefined)]);
      if (!request) break;
      request.fail('network');
    }
    const error = (await done) as { code: string; message: string };
    expect(error).to.include({ code: 'network' });
    expect(error.message).to.contain('stayed offline');
    expect(transport.requests.length).to.be.at.least(9);
    expect(statusesOf(snapshots)).to.deep.equal(['uploading', 'failed']);
  });

  it('should fail as usual while the browser says it is online', async () => {
    const { transport, upload } = uploadSetup({ size: 1000 });
    const done = upload.start().catch((error: unknown) => error);
    for (let attempt = 0; attempt < 3; attempt += 1) (await transport.nextRequest()).fail('network');
    expect(await done).to.include({ code: 'network', retryable: true });
    expect(upload.snapshot.status).to.equal('failed');
  });

  it('should let cancel end the wait for the network', async () => {
    const { transport, upload } = uploadSetup({ size: 1000 });
    const done = upload.start().catch((error: unknown) => error);
    backOnline = goOffline();
    for (let attempt = 0; attempt < 3; attempt += 1) (await transport.nextRequest()).fail('network');
    await tick(10);
    await upload.cancel();
    expect(await done).to.include({ code: 'aborted' });
    expect(upload.snapshot.status).to.equal('cancelled');
  });
});
