// What the README's Vue 3 snippet relies on at run time (test/types/vue-usage.ts checks its types): `h()` with the
// typed tag renders <cos-transcoder>, kebab-case props become its attributes, functions its properties, and
// `onCosJobComplete` listens to `cos-job-complete`. Vue's browser build: the bundler build needs a bundler's defines.
import { expect } from 'chai';
// @ts-expect-error Vue's browser build ships no types of its own; it is the same API as `vue`.
import { createApp, h } from 'vue/dist/vue.runtime.esm-browser.js';
import type { createApp as CreateApp, h as H } from 'vue';
import '../../src/index.js';
import { CosTranscoderTag } from '../../src/frameworks/vue.js';
import { CosJobCompleteEvent } from '../../src/element/events.js';

describe('<cos-transcoder> rendered by Vue 3', () => {
  it('should set attributes and properties and listen to the element events', async () => {
    const completed: string[] = [];
    const getAuthorization = () => 'q-sign-algorithm=sha1';
    const host = document.createElement('div');
    document.body.append(host);
    const app = (createApp as typeof CreateApp)({
      render: () =>
        (h as typeof H)(CosTranscoderTag, {
          bucket: 'examplebucket-1250000000',
          region: 'ap-guangzhou',
          'file-key': 'uploads/a.mp4',
          'template-id': 't1460606b9752148c4ab182f55163ba7cd',
          getAuthorization,
          onCosJobComplete: (event) => completed.push(event.detail.jobId),
        }),
    });
    app.mount(host);
    const element = host.querySelector('cos-transcoder')!;
    element.dispatchEvent(new CosJobCompleteEvent({ jobId: 'j1', tag: 'Transcode', outputs: [] }));
    expect([element.getAttribute('file-key'), element.getAttribute('template-id'), element.bucket]).to.deep.equal([
      'uploads/a.mp4',
      't1460606b9752148c4ab182f55163ba7cd',
      'examplebucket-1250000000',
    ]);
    expect([element.getAuthorization === getAuthorization, completed]).to.deep.equal([true, ['j1']]);
    app.unmount();
    host.remove();
  });
});
