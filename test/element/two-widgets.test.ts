// Two <cos-transcoder> on one page given the same file for the same key (a double mount, or a user who drops the
// file twice): the uploads take turns under the record's cross-tab lock, and the one that waits says so in words.
import { expect } from 'chai';
import type { CosTranscoder } from '../../src/element/cos-transcoder.js';
import { emulatorAttributes, sampleFile, textOf, transcoder, uniqueKey, untilPhase, waitFor } from './element-support.js';

/** The sample MP4 followed by a `free` box of `padding` bytes: still a valid MP4, and large enough to go in parts. */
async function largeSample(padding: number): Promise<File> {
  const header = new Uint8Array(8);
  new DataView(header.buffer).setUint32(0, padding);
  header.set([0x66, 0x72, 0x65, 0x65], 4); // 'free'
  return new File([await sampleFile(), header, new Uint8Array(padding - 8)], 'large.mp4', { type: 'video/mp4' });
}

describe('<cos-transcoder> twice on the same file and key', function () {
  this.timeout(60000);

  it('should show "Waiting for another tab" on the widget that waits, then finish both with the same object', async () => {
    const key = uniqueKey('large.mp4');
    const file = await largeSample(40 * 1024 * 1024); // over the 16 MiB multipart threshold
    const widgets = [
      await transcoder(emulatorAttributes({ 'file-key': key })),
      await transcoder(emulatorAttributes({ 'file-key': key })),
    ];
    const etags: string[] = [];
    for (const widget of widgets) {
      widget.file = file;
      widget.addEventListener('cos-upload-complete', (event) => etags.push(event.detail.result.etag));
    }
    const seen = new Set<string>();
    const watch = setInterval(() => widgets.forEach((widget) => seen.add(textOf(widget))), 5);
    try {
      widgets.forEach((widget) => void widget.start());
      await waitFor(
        () => [...seen].some((text) => text.includes('Waiting for another tab uploading this file')),
        'one widget to say it waits for the other',
        20000,
      );
      await Promise.all(widgets.map((widget: CosTranscoder) => untilPhase(widget, 'done', 40000)));
    } finally {
      clearInterval(watch);
    }
    expect(etags).to.have.length(2);
    expect(etags[1], 'both widgets report the one object').to.equal(etags[0]);
  });
});
