// Every attribute is checked when work starts: a bad one is a worded, visible error and a cos-error event carrying
// an `invalid-options` TranscoderError that names the attribute; nothing is sent. A refused file (accept,
// max-file-size) is the same.
import { expect } from 'chai';
import { oneEvent } from '@open-wc/testing-helpers';
import type { CosTranscoder } from '../../src/element/cos-transcoder.js';
import { accepts, defaultOutputKey } from '../../src/element/pipeline.js';
import { parseSize } from '../../src/element/size.js';
import { emulatorAttributes, expectAccessible, part, textOf, transcoder, untilPhase } from './element-support.js';

/** Starts `element` and resolves with the cos-error it fires. */
async function startFails(element: CosTranscoder) {
  const fired = oneEvent(element, 'cos-error');
  void element.start();
  const event = await fired;
  await untilPhase(element, 'failed');
  return event.detail.error;
}

const cases: [attribute: string, value: string | null, problem: string][] = [
  ['bucket', null, 'bucket: is required'],
  ['bucket', 'Example_Bucket', 'bucket: must be a bucket name'],
  ['region', 'Guangzhou', 'region: must be a region'],
  ['file-key', null, 'file-key: is required'],
  ['file-key', '/leading-slash.mp4', "file-key: must be an object key, not starting with '/'"],
  ['template-id', null, 'template-id: is required for a Transcode job'],
  ['template-id', 'not a template!', 'template-id: must be a template id'],
  ['auth-url', null, 'auth-url: is required'],
  ['auth-url', 'javascript:alert(1)', 'auth-url: must be an http(s) URL or a path'],
  ['output-key', '/out.mp4', 'output-key: must be an object key'],
  ['output-bucket', 'nobucket', 'output-bucket: must be a bucket name'],
  ['output-region', 'Mars', 'output-region: must be a region'],
  ['watermark-template-ids', 'w1 w2 w3 w4', 'watermark-template-ids: must be up to 3 template ids'],
  ['digital-watermark', '<b>x</b>', 'digital-watermark: must be 1 to 64'],
  ['user-data', 'caf\u00e9', 'user-data: must be at most 1024 printable ASCII'],
  ['job-level', '5', 'job-level: must be 0, 1 or 2'],
  ['callback-url', 'ftp://host/cb', 'callback-url: must be an http(s) URL'],
  ['callback-format', 'YAML', 'callback-format: must be JSON or XML'],
  ['job-tag', 'Snapshot', 'job-tag: must be Transcode or ExtractDigitalWatermark'],
  ['max-file-size', 'huge', 'max-file-size: must be a size'],
  ['cos-domain', 'evil host/path', 'cos-domain: must be a host name template'],
  ['ci-domain', 'a/b', 'ci-domain: must be a host name template'],
  ['protocol', 'ftp', 'protocol: must be https or http'],
  ['events-url', 'javascript:alert(1)', 'events-url: must be an http(s) URL or a path'],
];

describe('<cos-transcoder> attribute checks', () => {
  for (const [attribute, value, problem] of cases) {
    it(`should refuse ${attribute}=${JSON.stringify(value)} with a visible error and cos-error`, async () => {
      const element = await transcoder(emulatorAttributes({ [attribute]: value, lang: 'en' }));
      const error = await startFails(element);
      expect(error.code).to.equal('invalid-options');
      expect(error.message).to.contain(problem);
      expect(part(element, '[part~="error"]').getAttribute('role')).to.equal('alert');
      expect(textOf(element)).to.contain('The widget is set up wrongly.');
      expect(textOf(element)).to.contain(problem);
      expect(element.matches(':state(failed)')).to.equal(true);
    });
  }

  it('should need no template-id for an extraction job', async () => {
    const element = await transcoder(
      emulatorAttributes({ 'template-id': null, 'job-tag': 'ExtractDigitalWatermark', 'file-key': 'element/none/missing.mp4' }),
    );
    const error = await startFails(element);
    expect(error.code).to.not.equal('invalid-options');
  });

  it('should refuse a file larger than max-file-size, in words', async () => {
    const element = await transcoder(emulatorAttributes({ 'max-file-size': '1KB', lang: 'en' }));
    const fired = oneEvent(element, 'cos-error');
    element.selectFile(new File([new Uint8Array(5000)], 'big.mp4', { type: 'video/mp4' }));
    expect((await fired).detail.error.code).to.equal('invalid-options');
    await untilPhase(element, 'failed');
    expect(textOf(element)).to.contain('The file is 5 kB; the limit is 1 kB.');
  });

  it('should refuse a file accept does not allow, in words', async () => {
    const element = await transcoder(emulatorAttributes({ accept: 'video/*', lang: 'en' }));
    const fired = oneEvent(element, 'cos-error');
    element.selectFile(new File(['text'], 'notes.txt', { type: 'text/plain' }));
    await fired;
    await untilPhase(element, 'failed');
    expect(textOf(element)).to.contain('This kind of file is not accepted (text/plain).');
  });

  it('should read accept as <input accept> does: types, wildcards and extensions', () => {
    expect(accepts('video/*', { type: 'video/mp4' })).to.equal(true);
    expect(accepts('video/*', { type: 'audio/mpeg' })).to.equal(false);
    expect(accepts('video/mp4, .mov', { type: '', name: 'clip.MOV' })).to.equal(true);
    expect(accepts('', { type: 'text/plain' })).to.equal(true);
  });

  it('should derive the output key from file-key when output-key is absent', () => {
    expect(defaultOutputKey('dir/name.mp4')).to.equal('dir/name_transcoded.${ext}');
    expect(defaultOutputKey('dir.v2/name')).to.equal('dir.v2/name_transcoded.${ext}');
  });

  it('should read max-file-size with or without a unit', () => {
    expect(parseSize('500MB')).to.equal(500_000_000);
    expect(parseSize('2 GiB')).to.equal(2 * 1024 ** 3);
    expect(parseSize('1048576')).to.equal(1048576);
    expect(parseSize('-1')).to.equal(undefined);
  });

  it('should show a configuration error in Simplified Chinese with lang="zh-CN" and pass axe', async () => {
    const element = await transcoder(emulatorAttributes({ bucket: null, lang: 'zh-CN' }));
    await startFails(element);
    expect(textOf(element)).to.contain('组件配置有误。');
    expect(part(element, '[part~="retry-button"]').textContent?.trim()).to.equal('重试');
    await expectAccessible(element);
  });
});
