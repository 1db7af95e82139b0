// <cos-transcoder> doing real work against the emulator on another origin: a file chosen, uploaded, transcoded, and
// the output playing in the shadow root; the events in order with their details; an extraction showing the message;
// the object already at file-key; signing through /api/sign and the getAuthorization property; axe in each state.
import { expect } from 'chai';
import { oneEvent } from '@open-wc/testing-helpers';
import type { CosTranscoder } from '../../src/element/cos-transcoder.js';
import type { CosErrorDetail, CosErrorEvent } from '../../src/element/events.js';
import {
  WATERMARK_TEMPLATE,
  config,
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

/** Every cos-* event `element` fires, in order, with its detail. */
function recordEvents(element: CosTranscoder): { type: string; detail: any }[] {
  const events: { type: string; detail: any }[] = [];
  const names = [
    'cos-before-upload',
    'cos-upload-start',
    'cos-upload-progress',
    'cos-upload-complete',
    'cos-job-submitted',
    'cos-job-change',
    'cos-job-complete',
    'cos-job-failed',
    'cos-cancel',
    'cos-error',
  ] as const;
  for (const name of names) {
    element.addEventListener(name, (event) => {
      expect(event.bubbles && event.composed, `${name} bubbles and is composed`).to.equal(true);
      events.push({ type: name, detail: (event as Event & { detail: unknown }).detail });
    });
  }
  return events;
}

/** Consecutive duplicates collapsed: the shape of the event sequence. */
const sequence = (events: { type: string }[]) =>
  events.map((event) => event.type).filter((type, index, all) => type !== all[index - 1]);

/** Chooses the sample, starts, and resolves with the `cos-error` the start fires, once the element shows `failed`. */
async function startUntilError(element: CosTranscoder): Promise<CosErrorDetail> {
  element.file = await sampleFile();
  const fired = oneEvent(element, 'cos-error') as Promise<CosErrorEvent>;
  void element.start();
  const { detail } = await fired;
  await untilPhase(element, 'failed');
  return detail;
}

describe('<cos-transcoder> against the emulator', function () {
  this.timeout(30000);

  it('should upload a chosen file, transcode it, and play the output in the element', async () => {
    const key = uniqueKey('lecture.mp4');
    const element = await transcoder(
      emulatorAttributes({
        'file-key': key,
        'watermark-template-ids': WATERMARK_TEMPLATE,
        'digital-watermark': 'cos-element-test',
        'user-data': 'order-42',
        lang: 'en',
      }),
    );
    await expectAccessible(element);
    const events = recordEvents(element);
    const file = await sampleFile();
    const complete = oneEvent(element, 'cos-job-complete');
    element.selectFile(file);
    const { detail } = await complete;
    await untilPhase(element, 'done');

    expect(sequence(events)).to.deep.equal([
      'cos-before-upload',
      'cos-upload-start',
      'cos-upload-progress',
      'cos-upload-complete',
      'cos-job-submitted',
      'cos-job-change',
      'cos-job-complete',
    ]);
    const start = events.find((event) => event.type === 'cos-upload-start')!;
    expect(start.detail).to.deep.equal({ file, key });
    const progress = events.filter((event) => event.type === 'cos-upload-progress').map((event) => event.detail);
    expect(progress.at(-1)).to.include({ percent: 1, transferredBytes: file.size, totalBytes: file.size });
    expect(events.find((event) => event.type === 'cos-upload-complete')!.detail.result).to.include({ key, size: file.size });
    const changes = events.filter((event) => event.type === 'cos-job-change').map((event) => event.detail);
    expect(changes.map((change) => change.status).at(-1)).to.equal('Success');
    expect(changes.every((change) => ['submit', 'poll', 'callback'].includes(change.source))).to.equal(true);
    expect(changes.every((change) => change.progress.percent >= 0 && change.progress.percent <= 1)).to.equal(true);
    expect(detail.tag).to.equal('Transcode');
    expect(detail.outputs[0].key).to.equal(key.replace(/\.mp4$/, '_transcoded.mp4'));
    expect(detail.mediaInfo?.Stream?.Video?.[0]?.Width).to.be.a('number');
    expect(detail.upload?.key).to.equal(key);

    const video = await waitForVideo(element);
    // The signed URL serves the output to this page's origin (real CORS, real signature).
    const served = await fetch(video.src);
    expect(served.status).to.equal(200);
    expect((await served.arrayBuffer()).byteLength).to.be.greaterThan(1000);
    // A test tab may be hidden (another test file's tab in front), where Chromium defers loading media until the
    // tab is shown; the video is seen decoding whenever this tab is the shown one.
    if (!document.hidden) {
      if (video.readyState < 2) await oneEvent(video, 'loadeddata');
      expect(video.videoWidth).to.be.greaterThan(0);
    }
    expect(new URL(video.src).pathname).to.contain('_transcoded.mp4');
    expect(new URL(video.src).searchParams.has('q-signature')).to.equal(true);
    expect(textOf(element)).to.contain('Resolution');
    expect(textOf(element)).to.contain(detail.outputs[0].key);
    await expectAccessible(element);
  });

  it('should transcode the object already at file-key when started with no file', async () => {
    const key = uniqueKey('existing.mp4');
    const uploader = await transcoder(emulatorAttributes({ 'file-key': key, manual: '' }));
    uploader.file = await sampleFile();
    await uploader.start();
    expect(currentPhase(uploader)).to.equal('done');

    const element = await transcoder(emulatorAttributes({ 'file-key': key, 'output-key': `${key}.copy.\${ext}`, manual: '' }));
    const events = recordEvents(element);
    await element.start();
    expect(currentPhase(element)).to.equal('done');
    expect(sequence(events)).to.deep.equal(['cos-job-submitted', 'cos-job-change', 'cos-job-complete']);
    expect(events.at(-1)!.detail.outputs[0].key).to.equal(`${key}.copy.mp4`);
    expect(events.at(-1)!.detail.upload).to.equal(undefined);
  });

  it('should show the message an extraction job found, prominently', async () => {
    const key = uniqueKey('marked.mp4');
    const transcode = await transcoder(
      emulatorAttributes({ 'file-key': key, 'digital-watermark': 'hidden-message-42', 'output-key': `${key}.out.\${ext}` }),
    );
    transcode.file = await sampleFile();
    await transcode.start();
    const output = transcode.snapshot!.result!.outputs[0]!.key;

    const element = await transcoder(
      emulatorAttributes({ 'file-key': output, 'template-id': null, 'job-tag': 'ExtractDigitalWatermark', manual: '', lang: 'en' }),
    );
    const complete = oneEvent(element, 'cos-job-complete');
    part<HTMLButtonElement>(element, '[part~="start-button"]').click();
    const { detail } = await complete;
    expect(detail.extractedMessage).to.equal('hidden-message-42');
    await untilPhase(element, 'done');
    expect(part(element, '[part~="message"]').textContent).to.contain('hidden-message-42');
    expect(part(element, '[part~="message"]').textContent).to.contain('Embedded message');
    await expectAccessible(element);
    // The result stays labelled with the object it was read from, whatever file-key says now.
    element.setAttribute('file-key', 'another/object.mp4');
    await element.updateComplete;
    expect(part(element, '[part~="file"]').textContent).to.contain(output);
    expect(part(element, '[part~="file"]').textContent).not.to.contain('another/object.mp4');
  });

  it('should sign each request on the host server through auth-url="/api/sign"', async () => {
    const element = await transcoder(emulatorAttributes({ 'auth-url': '/api/sign' }));
    element.file = await sampleFile();
    await element.start();
    expect(currentPhase(element)).to.equal('done');
    await waitForVideo(element);
  });

  it('should sign with the getAuthorization property when it is set', async () => {
    const element = await transcoder(emulatorAttributes({ 'auth-url': null }));
    let calls = 0;
    element.getAuthorization = async (_request, { signal }) => {
      calls += 1;
      return (await fetch('/api/credentials', { signal })).json();
    };
    element.file = await sampleFile();
    await element.start();
    expect(currentPhase(element)).to.equal('done');
    expect(calls).to.be.greaterThan(0);
  });

  it('should turn an auth-url that refuses into a worded sign-failed error', async () => {
    const element = await transcoder(emulatorAttributes({ 'auth-url': '/api/no-such-route', lang: 'en' }));
    const detail = await startUntilError(element);
    expect(detail.error.code).to.equal('sign-failed');
    expect(textOf(element)).to.contain('Could not get permission to upload');
    expect(part(element, '[part~="retry-button"]')).to.exist;
  });

  it('should keep working when moved in the DOM, and fire what happened meanwhile', async () => {
    const element = await transcoder(emulatorAttributes());
    const events = recordEvents(element);
    element.file = await sampleFile();
    const run = element.start();
    await waitFor(() => events.some((event) => event.type === 'cos-upload-start'), 'the upload to start');
    const parent = element.parentElement!;
    element.remove();
    await new Promise((done) => setTimeout(done, 300));
    parent.append(element);
    await run;
    expect(currentPhase(element)).to.equal('done');
    expect(events.filter((event) => event.type === 'cos-job-complete')).to.have.length(1);
  });

  it('should say in words that the template does not exist', async () => {
    const element = await transcoder(emulatorAttributes({ 'template-id': 't1000000000000000000000000000000ff', lang: 'en' }));
    const detail = await startUntilError(element);
    expect(detail.error.code).to.equal('service');
    expect(textOf(element)).to.contain('The template t1000000000000000000000000000000ff does not exist.');
    await expectAccessible(element);
  });

  it('should say the key is forbidden when the credentials do not cover it (403 AccessDenied)', async () => {
    // /api/narrow/ hands out credentials for keys under narrow/ only.
    const element = await transcoder(emulatorAttributes({ 'auth-url': '/api/narrow/sts', lang: 'en' }));
    const detail = await startUntilError(element);
    expect(detail.error.status).to.equal(403);
    expect(textOf(element)).to.contain('The credentials do not allow writing');
  });

  it('should render hostile user-data as text and never run it', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const element = await transcoder(emulatorAttributes({ 'user-data': hostile }));
    element.file = await sampleFile('<svg onload="window.__pwned=3">.mp4');
    await element.start();
    expect(currentPhase(element)).to.equal('done');
    expect(element.snapshot!.result!.job.results.userData).to.equal(hostile);
    expect(element.shadowRoot!.querySelectorAll('img, script, svg:not(.icon)')).to.have.length(0);
    expect(part(element, '.name').textContent).to.equal('<svg onload="window.__pwned=3">.mp4');
    expect((window as { __pwned?: number }).__pwned).to.equal(undefined);
  });

  it('should keep its output key from the default with ${ext} and write to output-bucket/output-region', async () => {
    const key = uniqueKey('clip.mp4');
    const element = await transcoder(emulatorAttributes({ 'file-key': key, 'output-bucket': config.bucket, 'output-region': config.region }));
    element.file = await sampleFile();
    const complete = oneEvent(element, 'cos-job-complete');
    void element.start();
    const { detail } = await complete;
    expect(detail.outputs[0]).to.include({ bucket: config.bucket, region: config.region, key: key.replace('.mp4', '_transcoded.mp4') });
  });
});

/** The `<video>` of the result, once its signed URL is there. */
async function waitForVideo(element: CosTranscoder): Promise<HTMLVideoElement> {
  await waitFor(() => element.shadowRoot!.querySelector('video[part~="video"][src]') !== null, 'the preview video', 5000);
  return element.shadowRoot!.querySelector<HTMLVideoElement>('video[part~="video"]')!;
}
