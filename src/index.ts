/**
 * `cos-transcoder`: the package entry. It will define `<cos-transcoder>` once the element exists; until then it
 * re-exports the protocol core, so `import { ... } from 'cos-transcoder'` already works.
 *
 * @packageDocumentation
 */
export * from './core/index.js';
