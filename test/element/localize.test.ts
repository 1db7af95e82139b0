// The element's number formatting: sizes in decimal units, whole bytes as "B" in every language.
import { expect } from 'chai';
import { formatBytes } from '../../src/element/localize.js';

describe('formatBytes', () => {
  it('should write whole bytes as "B" in English and Chinese, never "byte"', () => {
    expect(formatBytes(0, 'en')).to.equal('0 B');
    expect(formatBytes(512, 'en')).to.equal('512 B');
    expect(formatBytes(0, 'zh-CN')).to.equal('0 B');
  });

  it('should write larger sizes in decimal units with one decimal below 100', () => {
    expect(formatBytes(212_381, 'en')).to.equal('212 kB');
    expect(formatBytes(25_165_824, 'en')).to.equal('25.2 MB');
  });
});
