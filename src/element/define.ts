// Defines <cos-transcoder>. Importing the package entry runs this (package.json names it in `sideEffects`). A
// second copy of the package on the same page finds the tag taken and leaves the first definition in place.
import { CosTranscoder } from './cos-transcoder.js';

if (typeof customElements !== 'undefined' && !customElements.get('cos-transcoder')) {
  customElements.define('cos-transcoder', CosTranscoder);
}
