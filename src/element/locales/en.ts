/**
 * The element's English strings shown before any work starts (the drop zone). `{name}` marks a value filled in at
 * render time. Override any string with the `strings` property.
 */
export const en = {
  dropLabel: 'Drop a video here',
  or: 'or',
  choose: 'Choose file',
  chooseOther: 'Choose another file',
  limits: '{accept}, up to {size}',
  anyType: 'Any file',
  existing: 'Or process {key}, already in the bucket',
  inBucket: 'Already in the bucket',
  start: 'Start',
  errOther: 'Something went wrong.',
};

/** The strings of the first paint, by key. */
export type FirstStrings = typeof en;
/** Every string of the element, by key: the first paint's and the work view's. */
export type Strings = FirstStrings & import('./en-work.js').WorkStrings;
