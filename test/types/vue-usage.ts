// The README's Vue 3 snippet, type-checked by the test run's `tsc --noEmit`: a component rendering <cos-transcoder>
// with `h()` and typed attributes, properties and events, and type errors for wrong ones.
import { defineComponent, h, ref } from 'vue';
import 'cos-transcoder';
import { CosTranscoderTag } from 'cos-transcoder/vue';

export const VideoUpload = defineComponent({
  props: { userId: { type: String, required: true } },
  setup(props) {
    const output = ref<string>();
    return () => [
      h(CosTranscoderTag, {
        bucket: 'examplebucket-1250000000',
        region: 'ap-guangzhou',
        'file-key': `uploads/${props.userId}/source.mp4`,
        'template-id': 't1460606b9752148c4ab182f55163ba7cd',
        'auth-url': '/api/sts',
        onCosUploadProgress: (event) => console.log(Math.round(event.detail.percent * 100)),
        onCosJobComplete: (event) => (output.value = event.detail.outputs[0]?.key),
      }),
      output.value ? h('p', `Transcoded to ${output.value}`) : null,
    ];
  },
});

export const wrongTypes = () => [
  // @ts-expect-error job-tag takes Transcode or ExtractDigitalWatermark
  h(CosTranscoderTag, { bucket: 'b-1', region: 'ap-guangzhou', 'file-key': 'a.mp4', 'job-tag': 'Transcoding' }),
  // @ts-expect-error file-key is a string
  h(CosTranscoderTag, { bucket: 'b-1', region: 'ap-guangzhou', 'file-key': 42 }),
  // @ts-expect-error a job-complete detail has no percent
  h(CosTranscoderTag, { bucket: 'b-1', onCosJobComplete: (event) => event.detail.percent.toFixed() }),
];
