// <cos-transcoder>'s methods as a page and a person use them: pause / resume / cancel while uploading (slowed by an
// emulator fault scoped to the test's key), cancel while the job waits, a failed job reported by a relayed
// callback (deliver) with markup in its message, retry, reset; axe while uploading and while processing.
import { expect } from 'chai';
import { oneEvent } from '@open-wc/testing-helpers';
import type { CosTranscoder } from '../../src/element/cos-transcoder.js';
import { acquireFaultsLock, clearFaults, setFaults } from '../e2e/upload-support.js';
import {
  currentPhase,
  emulatorAttributes,
  expectAccessible,
  part,
  sampleFile,
  textOf,
  transcoder,
  uniqueKey,
  untilPhase,
  waitFor,
} from './element-support.js';

/** An element whose upload to its own key is slowed to `bandwidth` bytes per second. */
async function slowTranscoder(bandwidth: number): Promise<{ element: CosTranscoder; release: () => Promise<void> }> {
  const key = uniqueKey();
  const unlock = await acquireFaultsLock();
  await setFaults([{ keyPrefix: key, bandwidth }]);
  const element = await transcoder(emulatorAttributes({ 'file-key': key, lang: 'en' }));
  // Once only: a second clearFaults() would clear the faults of the page that holds the lock by then.
  let released: Promise<void> | undefined;
  return {
    element,
    release: () =>
      (released ??= (async () => {
        try {
          await clearFaults();
        } finally {
          unlock();
        }
      })()),
  };
}

const click = (element: CosTranscoder, name: string) =>
  part<HTMLButtonElement>(element, `[part~="${name}-button"]`).click();

describe('<cos-transcoder> methods', function () {
  this.timeout(30000);

  it('should pause and resume the upload from its buttons, with a labelled progress bar', async () => {
    const { element, release } = await slowTranscoder(48 * 1024);
    try {
      element.selectFile(await sampleFile());
      await waitFor(() => (element.snapshot?.upload?.progress.transferredBytes ?? 0) > 0, 'bytes sent', 10000);
      await element.updateComplete;
      const bar = part(element, '[role="progressbar"]');
      expect(bar.getAttribute('aria-label')).to.equal('Upload progress');
      expect(Number(bar.getAttribute('aria-valuenow'))).to.be.within(0, 100);
      expect(bar.getAttribute('aria-valuetext')).to.match(/^Uploading, \d+%, .* of 212 kB/);
      expect(element.matches(':state(uploading)')).to.equal(true);
      await expectAccessible(element);

      click(element, 'pause');
      await element.updateComplete;
      expect(element.snapshot!.upload!.status).to.equal('paused');
      expect(element.matches(':state(paused)')).to.equal(true);
      expect(part(element, '[part~="resume-button"]').textContent?.trim()).to.equal('Resume');
      await release();
      const complete = oneEvent(element, 'cos-job-complete');
      click(element, 'resume');
      await complete;
      expect(currentPhase(element)).to.equal('done');
    } finally {
      await release().catch(() => undefined);
    }
  });

  it('should show the upload speed and the time left once a rate is measured', async () => {
    // 96 MiB at 2 MiB/s: multipart, many progress reports. The browser counts bytes handed to the socket, and
    // loopback socket buffers can hold tens of MiB: the file is larger than they can, so time is left to show.
    const { element, release } = await slowTranscoder(2 * 1024 * 1024);
    try {
      element.selectFile(new File([new Uint8Array(96 * 1024 * 1024)], 'big.mp4', { type: 'video/mp4' }));
      const status = () =>
        element.shadowRoot!.querySelector('[part~="status"]')?.textContent?.replace(/\s+/g, ' ') ?? '';
      // Watched on every frame rather than read once: on a loaded machine the first check may come late, once every
      // byte is sent (when no time is left to show).
      // Any speed and duration: on a loaded machine the first measure may be slow ("kB/s", "1 min 5 sec left").
      const shown = /of 101 MB · [\d.]+ [kM]?B\/s · [^·]+ left/;
      const seen = new Set<string>();
      await waitFor(
        () => (seen.add(status()), shown.test(status())),
        'the speed and the time left in the status line',
        20000,
      ).catch((error: Error) => expect.fail(`${error.message}; it showed: ${[...seen].slice(-5).join(' | ')}`));
      expect(element.snapshot?.upload?.progress.bytesPerSecond ?? 0).to.be.above(0);
      await element.cancel();
    } finally {
      await release();
    }
  });

  it('should cancel the upload, fire cos-cancel, then reset to the drop zone', async () => {
    const { element, release } = await slowTranscoder(32 * 1024);
    try {
      element.selectFile(await sampleFile());
      await waitFor(() => (element.snapshot?.upload?.progress.transferredBytes ?? 0) > 0, 'bytes sent', 10000);
      const cancelled = oneEvent(element, 'cos-cancel');
      await element.cancel();
      expect((await cancelled).detail.phase).to.equal('uploading');
      await untilPhase(element, 'cancelled');
      expect(textOf(element)).to.contain('Cancelled');
      expect(part(element, '[part~="retry-button"]').textContent?.trim()).to.equal('Run again');
      element.reset();
      await element.updateComplete;
      expect(element.matches(':state(idle)')).to.equal(true);
      expect(element.file).to.equal(undefined);
      expect(part(element, '[part~="drop-zone"]')).to.exist;
    } finally {
      await release();
    }
  });

  it('should cancel a job still waiting in the queue', async () => {
    const element = await transcoder(emulatorAttributes());
    element.file = await sampleFile();
    const submitted = oneEvent(element, 'cos-job-submitted');
    const run = element.start();
    await submitted;
    await untilPhase(element, 'processing');
    const cancelled = oneEvent(element, 'cos-cancel');
    click(element, 'cancel');
    expect((await cancelled).detail.phase).to.equal('processing');
    await run;
    expect(currentPhase(element)).to.equal('cancelled');
  });

  it('should show a job failure relayed by deliver() in words, its markup as text, and retry it', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
    const element = await transcoder(emulatorAttributes({ lang: 'en' }));
    element.file = await sampleFile();
    const submitted = oneEvent(element, 'cos-job-submitted');
    const run = element.start();
    const { detail } = await submitted;
    await untilPhase(element, 'processing');
    const bar = part(element, '[role="progressbar"]');
    expect(bar.getAttribute('aria-label')).to.equal('Job progress');
    await expectAccessible(element);

    const failed = oneEvent(element, 'cos-job-failed');
    const job = element.snapshot!.job!.detail!;
    const callback = { EventName: 'TaskFinish', JobsDetail: [{ ...job, State: 'Failed', Code: 'InvalidInput', Message: hostile }] };
    expect(element.deliver(callback)).to.equal(true);
    const failure = (await failed).detail;
    expect(failure.jobId).to.equal(detail.jobId);
    expect(failure.error.serviceCode).to.equal('InvalidInput');
    await run;
    await untilPhase(element, 'failed');
    expect(textOf(element)).to.contain('The job failed (InvalidInput).');
    // The service's message is quoted as text (the core has already reduced its markup to words).
    expect(part(element, '[part~="error"] .detail').textContent).to.equal(failure.error.message);
    expect(element.shadowRoot!.querySelector('img, b')).to.equal(null);
    expect((window as { __pwned?: number }).__pwned).to.equal(undefined);
    await expectAccessible(element);

    let uploads = 0;
    element.addEventListener('cos-upload-start', () => (uploads += 1));
    const resubmitted = oneEvent(element, 'cos-job-submitted');
    const complete = oneEvent(element, 'cos-job-complete');
    await element.retry();
    expect((await resubmitted).detail.jobId).to.not.equal(detail.jobId);
    await complete;
    expect(currentPhase(element)).to.equal('done');
    expect(uploads, 'the retry did not upload again').to.equal(0);
  });

  it('should say deliver() of another job is not for it', async () => {
    const element = await transcoder(emulatorAttributes());
    expect(element.deliver({ EventName: 'TaskFinish', JobsDetail: [] })).to.equal(false);
  });

  it('should retry a failed start from the beginning once the attribute is fixed', async () => {
    const element = await transcoder(emulatorAttributes({ 'template-id': null }));
    element.file = await sampleFile();
    await element.start();
    expect(currentPhase(element)).to.equal('failed');
    element.templateId = 't1460606b9752148c4ab182f55163ba7cd';
    await element.retry();
    expect(currentPhase(element)).to.equal('done');
  });
});
