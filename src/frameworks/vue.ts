/**
 * `cos-transcoder/vue`: types of `<cos-transcoder>` for Vue 3 templates and render functions. Vue sets attributes
 * and properties on custom elements and listens to `@cos-job-complete` (`onCosJobComplete` in render functions).
 * Importing this module registers the tag in Vue's `GlobalComponents` (checked by vue-tsc in templates) and gives
 * `CosTranscoderTag`, the tag name typed as that component, for `h()`.
 *
 * Tell Vue's compiler the tag is a custom element: `compilerOptions.isCustomElement = (tag) => tag === 'cos-transcoder'`.
 *
 * @example
 * ```ts
 * import 'cos-transcoder';
 * import { CosTranscoderTag } from 'cos-transcoder/vue';
 * h(CosTranscoderTag, { bucket, region, 'file-key': key, onCosJobComplete: (event) => show(event.detail.outputs) });
 * ```
 *
 * @packageDocumentation
 */
import type { DefineComponent } from 'vue';
import type {
  CosTranscoderAttributes,
  CosTranscoderEventName,
  CosTranscoderProperties,
  PascalCase,
} from './element-props.js';

/** Vue listeners of the element's events: `onCosJobComplete` for `@cos-job-complete`. */
export type CosTranscoderVueEvents = {
  [K in CosTranscoderEventName as `on${PascalCase<K>}`]?: (event: GlobalEventHandlersEventMap[K]) => void;
};

/** Everything `<cos-transcoder>` takes in Vue. */
export type CosTranscoderVueProps = CosTranscoderAttributes & CosTranscoderProperties & CosTranscoderVueEvents;

/** `<cos-transcoder>` as Vue's type checker sees a component. */
export type CosTranscoderComponent = DefineComponent<CosTranscoderVueProps>;

/** The tag name, typed as {@link CosTranscoderComponent}: `h(CosTranscoderTag, props)` checks the props. */
export const CosTranscoderTag = 'cos-transcoder' as unknown as CosTranscoderComponent;

declare module 'vue' {
  interface GlobalComponents {
    'cos-transcoder': CosTranscoderComponent;
  }
}
