// <cos-transcoder> before any work: what the first paint loads, the drop zone, choosing and dropping a file,
// languages, slots, and defining the tag twice. This file imports nothing of the core, so the page's resource list
// tells whether the element loaded it.
import { expect } from 'chai';
import { fixture, html, oneEvent } from '@open-wc/testing-helpers';
import '../../src/index.js';
import { CosTranscoder } from '../../src/element/cos-transcoder.js';

const part = <T extends Element = HTMLElement>(element: Element, selector: string) =>
  element.shadowRoot!.querySelector<T>(selector);
const textOf = (element: Element) => (part(element, '[part~="base"]')?.textContent ?? '').replace(/\s+/g, ' ').trim();
const requested = (fragment: string) =>
  performance.getEntriesByType('resource').filter((entry) => entry.name.includes(fragment)).map((entry) => entry.name);

describe('<cos-transcoder> first paint', () => {
  it('should render the drop zone without loading the protocol core or the pipeline chunk', async () => {
    const element = await fixture<CosTranscoder>(html`<cos-transcoder bucket="b-1" region="ap-guangzhou" file-key="a.mp4"></cos-transcoder>`);
    expect(part(element, '[part~="drop-zone"]')).to.not.equal(null);
    expect(requested('/src/core/')).to.deep.equal([]);
    expect(requested('pipeline')).to.deep.equal([]);
    expect(element.matches(':state(idle)')).to.equal(true);
  });

  it('should label the drop zone and offer a real button to choose a file', async () => {
    const element = await fixture<CosTranscoder>(html`<cos-transcoder lang="en"></cos-transcoder>`);
    const button = part<HTMLButtonElement>(element, '[part~="choose-button"]')!;
    expect(button.tagName).to.equal('BUTTON');
    expect(button.textContent?.trim()).to.equal('Choose file');
    expect(textOf(element)).to.contain('Drop a video here');
    expect(textOf(element)).to.contain('video/*');
  });

  it('should open the file picker of the hidden input when the button is pressed', async () => {
    const element = await fixture<CosTranscoder>(html`<cos-transcoder></cos-transcoder>`);
    const input = part<HTMLInputElement>(element, 'input[type=file]')!;
    expect(input.accept).to.equal('video/*');
    let opened = false;
    input.addEventListener('click', (event) => {
      opened = true;
      event.preventDefault();
    });
    part<HTMLButtonElement>(element, '[part~="choose-button"]')!.click();
    expect(opened).to.equal(true);
  });

  it('should show accept and max-file-size in the drop zone', async () => {
    const element = await fixture<CosTranscoder>(
      html`<cos-transcoder lang="en" accept="video/mp4,.mov" max-file-size="500MB"></cos-transcoder>`,
    );
    expect(textOf(element)).to.contain('video/mp4,.mov, up to 500 MB');
    expect(part<HTMLInputElement>(element, 'input[type=file]')!.accept).to.equal('video/mp4,.mov');
  });

  it('should reflect its properties to attributes', async () => {
    const element = await fixture<CosTranscoder>(html`<cos-transcoder></cos-transcoder>`);
    element.fileKey = 'dir/a.mp4';
    element.templateId = 't1';
    element.watermarkTemplateIds = 'w1 w2';
    element.manual = true;
    element.maxFileSize = '2GiB';
    await element.updateComplete;
    expect(element.getAttribute('file-key')).to.equal('dir/a.mp4');
    expect(element.getAttribute('template-id')).to.equal('t1');
    expect(element.getAttribute('watermark-template-ids')).to.equal('w1 w2');
    expect(element.hasAttribute('manual')).to.equal(true);
    expect(element.getAttribute('max-file-size')).to.equal('2GiB');
  });

  it('should speak Simplified Chinese with lang="zh-CN", and follow a lang set later', async () => {
    const element = await fixture<CosTranscoder>(html`<cos-transcoder lang="zh-CN"></cos-transcoder>`);
    expect(textOf(element)).to.contain('将视频拖放到此处');
    expect(part(element, '[part~="choose-button"]')!.textContent?.trim()).to.equal('选择文件');
    element.lang = 'en';
    await element.updateComplete;
    expect(textOf(element)).to.contain('Drop a video here');
  });

  it("should take the nearest ancestor's lang", async () => {
    const parentNode = document.createElement('div');
    parentNode.lang = 'zh-Hans-CN';
    document.body.append(parentNode);
    const element = await fixture<CosTranscoder>(html`<cos-transcoder></cos-transcoder>`, { parentNode });
    expect(textOf(element)).to.contain('选择文件');
  });

  it('should let the strings property override a built-in string', async () => {
    const element = await fixture<CosTranscoder>(html`<cos-transcoder lang="en" .strings=${{ choose: 'Pick a clip' }}></cos-transcoder>`);
    expect(part(element, '[part~="choose-button"]')!.textContent?.trim()).to.equal('Pick a clip');
  });

  it('should show the label and empty slots in the drop zone', async () => {
    const element = await fixture<CosTranscoder>(
      html`<cos-transcoder><span slot="label">Your lecture</span><span slot="empty">Nothing yet</span></cos-transcoder>`,
    );
    const slots = [...element.shadowRoot!.querySelectorAll('slot')].map((slot) => slot.name);
    expect(slots).to.deep.equal(['label', 'empty']);
    const assigned = element.shadowRoot!.querySelector<HTMLSlotElement>('slot[name=label]')!.assignedElements();
    expect(assigned[0]!.textContent).to.equal('Your lecture');
  });

  it('should show a chosen file by name, size and type with a Start button when manual', async () => {
    const element = await fixture<CosTranscoder>(html`<cos-transcoder lang="en" manual></cos-transcoder>`);
    element.selectFile(new File([new Uint8Array(1_500_000)], 'lecture.mp4', { type: 'video/mp4' }));
    await element.updateComplete;
    expect(part(element, '[part~="file"]')!.textContent).to.match(/lecture\.mp4\s+1\.5 MB · video\/mp4/);
    expect(part(element, '[part~="start-button"]')!.textContent?.trim()).to.equal('Start');
    expect(part(element, '[part~="drop-zone"]')).to.equal(null);
    expect(element.matches(':state(idle)')).to.equal(true);
  });

  it('should show a hostile file name as text, never as markup', async () => {
    const element = await fixture<CosTranscoder>(html`<cos-transcoder manual></cos-transcoder>`);
    const name = '<img src=x onerror="window.__pwned=1">.mp4';
    element.selectFile(new File([new Uint8Array(10)], name, { type: 'video/mp4' }));
    await element.updateComplete;
    expect(part(element, '.name')!.textContent).to.equal(name);
    expect(element.shadowRoot!.querySelector('img')).to.equal(null);
    expect((window as { __pwned?: number }).__pwned).to.equal(undefined);
  });

  it('should offer the object already at file-key when manual with no file', async () => {
    const element = await fixture<CosTranscoder>(html`<cos-transcoder lang="en" manual file-key="in/clip.mp4"></cos-transcoder>`);
    expect(part(element, '[part~="actions"]')!.textContent).to.contain('Or process in/clip.mp4, already in the bucket');
    expect(part(element, '[part~="start-button"]')!.textContent?.trim()).to.equal('Start');
  });

  it('should show the drag-over state while a file is dragged over the drop zone, and take a dropped file', async () => {
    const element = await fixture<CosTranscoder>(html`<cos-transcoder manual></cos-transcoder>`);
    const zone = part(element, '[part~="drop-zone"]')!;
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(5)], 'dropped.mp4', { type: 'video/mp4' }));
    const over = new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true, composed: true });
    zone.dispatchEvent(over);
    await element.updateComplete;
    expect(over.defaultPrevented).to.equal(true);
    expect(element.matches(':state(dragover)')).to.equal(true);
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true, composed: true }));
    await element.updateComplete;
    expect(element.matches(':state(dragover)')).to.equal(false);
    expect((element.file as File).name).to.equal('dropped.mp4');
  });

  it('should fire a cancelable cos-before-upload with the file, and stay idle when it is vetoed', async () => {
    const element = await fixture<CosTranscoder>(html`<cos-transcoder file-key="k.mp4"></cos-transcoder>`);
    const file = new File([new Uint8Array(5)], 'vetoed.mp4', { type: 'video/mp4' });
    element.addEventListener('cos-before-upload', (event) => event.preventDefault());
    const fired = oneEvent(element, 'cos-before-upload');
    element.selectFile(file);
    const event = await fired;
    expect(event.detail.file).to.equal(file);
    expect(event.detail.key).to.equal('k.mp4');
    expect(event.cancelable && event.bubbles && event.composed).to.equal(true);
    await element.updateComplete;
    expect(element.matches(':state(idle)')).to.equal(true);
    expect(requested('pipeline')).to.deep.equal([]);
  });

  it('should not throw when the define module runs twice (two copies on a page)', async () => {
    const defined = customElements.get('cos-transcoder');
    // The same module under another URL runs again, as a second copy of the package would.
    await import(/* @vite-ignore */ `../../src/element/define.ts?copy=${Date.now()}`);
    expect(customElements.get('cos-transcoder')).to.equal(defined);
    expect(defined).to.equal(CosTranscoder);
  });
});
