/**
 * `cos-transcoder/react`: JSX types of `<cos-transcoder>` for React 19, which passes attributes and properties to
 * custom elements and listens to their events as `on` + the event's name (`oncos-job-complete`). Types only: import
 * it once, `import type {} from 'cos-transcoder/react'`, next to the import of `cos-transcoder` that defines the tag.
 *
 * @example
 * ```tsx
 * <cos-transcoder bucket="examplebucket-1250000000" region="ap-guangzhou" file-key="input/a.mp4"
 *   template-id="t1460606b9752148c4ab182f55163ba7cd" auth-url="/api/sts"
 *   oncos-job-complete={(event) => setOutputs(event.detail.outputs)} />
 * ```
 *
 * @packageDocumentation
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type {
  CosTranscoderAttributes,
  CosTranscoderElement,
  CosTranscoderEventName,
  CosTranscoderProperties,
} from './element-props.js';

/** React 19 listeners of the element's events: `oncos-job-complete={(event) => event.detail.outputs}`. */
export type CosTranscoderReactEvents = {
  [K in CosTranscoderEventName as `on${K}`]?: (event: GlobalEventHandlersEventMap[K]) => void;
};

/** Everything `<cos-transcoder>` takes in React 19 JSX. */
export type CosTranscoderReactProps = Omit<DetailedHTMLProps<HTMLAttributes<CosTranscoderElement>, CosTranscoderElement>, 'lang'> &
  CosTranscoderAttributes &
  CosTranscoderProperties &
  CosTranscoderReactEvents;

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- React declares intrinsic elements in this namespace
  namespace JSX {
    interface IntrinsicElements {
      'cos-transcoder': CosTranscoderReactProps;
    }
  }
}
