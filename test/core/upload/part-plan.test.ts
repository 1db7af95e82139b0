import { expect } from 'chai';
import {
  DEFAULT_PART_SIZE,
  MAX_OBJECT_SIZE,
  MAX_PARTS,
  MAX_PART_SIZE,
  MIN_PART_SIZE,
  isUsablePartSize,
  planPartSize,
  planParts,
} from '../../../src/core/upload/part-plan.js';
import { thrown } from '../../helpers/expect-error.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('planPartSize', () => {
  it('should keep the default 8 MiB for a file that fits in 10,000 parts of it', () => {
    expect(DEFAULT_PART_SIZE).to.equal(8 * MiB);
    expect(planPartSize(100 * MiB)).to.equal(8 * MiB);
  });

  it('should keep a preferred 1 MiB up to exactly 10,000 parts', () => {
    expect(planPartSize(MAX_PARTS * MiB, MIN_PART_SIZE)).to.equal(MiB);
  });

  it('should raise the part size to the next whole MiB one byte past 10,000 parts', () => {
    expect(planPartSize(MAX_PARTS * MiB + 1, MIN_PART_SIZE)).to.equal(2 * MiB);
  });

  it('should raise 8 MiB to 21 MiB for a 200 GiB file', () => {
    const size = 200 * GiB;
    const partSize = planPartSize(size);
    expect(partSize).to.equal(21 * MiB);
    expect(Math.ceil(size / partSize)).to.equal(9753);
  });

  it('should plan at most 10,000 parts of whole MiB for any size it raises', () => {
    for (const size of [80_000 * MiB + 1, 123_456_789_012, 1024 * GiB, 40_000 * GiB + 7]) {
      const partSize = planPartSize(size);
      expect(Math.ceil(size / partSize), String(size)).to.be.at.most(MAX_PARTS);
      expect(partSize % MiB, String(size)).to.equal(0);
    }
  });

  it('should use 5 GiB parts for the largest object COS can hold', () => {
    expect(planPartSize(MAX_OBJECT_SIZE)).to.equal(MAX_PART_SIZE);
  });

  it('should plan a 0-byte file with the preferred size', () => {
    expect(planPartSize(0)).to.equal(DEFAULT_PART_SIZE);
  });

  it('should refuse a file larger than 10,000 parts of 5 GiB with invalid-options', () => {
    const error = thrown(() => planPartSize(MAX_OBJECT_SIZE + 1));
    expect(error).to.include({ code: 'invalid-options', phase: 'options' });
  });

  for (const size of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`should refuse the file size ${size} with invalid-options`, () => {
      expect(thrown(() => planPartSize(size)).code).to.equal('invalid-options');
    });
  }

  for (const [label, preferred] of [
    ['below 1 MiB', MiB - 1],
    ['above 5 GiB', MAX_PART_SIZE + 1],
    ['not a whole number', MiB + 0.5],
    ['NaN', Number.NaN],
  ] as const) {
    it(`should refuse a preferred part size ${label} with invalid-options naming partSize`, () => {
      const error = thrown(() => planPartSize(10 * MiB, preferred));
      expect(error.code).to.equal('invalid-options');
      expect(error.message).to.contain('partSize');
    });
  }
});

describe('planParts', () => {
  it('should cut every partSize bytes with a shorter last part', () => {
    expect(planParts(10, 4)).to.deep.equal([
      { partNumber: 1, start: 0, end: 4 },
      { partNumber: 2, start: 4, end: 8 },
      { partNumber: 3, start: 8, end: 10 },
    ]);
  });

  it('should not add an empty part when the size is a multiple of the part size', () => {
    expect(planParts(2 * MiB, MiB)).to.deep.equal([
      { partNumber: 1, start: 0, end: MiB },
      { partNumber: 2, start: MiB, end: 2 * MiB },
    ]);
  });

  it('should plan one empty part for a 0-byte file', () => {
    expect(planParts(0, MiB)).to.deep.equal([{ partNumber: 1, start: 0, end: 0 }]);
  });

  it('should cover every byte once, in order, for 10,000 parts', () => {
    const size = MAX_PARTS * MiB - 3;
    const parts = planParts(size, MiB);
    expect(parts).to.have.length(MAX_PARTS);
    parts.forEach((part, index) => {
      expect(part.partNumber).to.equal(index + 1);
      expect(part.start).to.equal(index === 0 ? 0 : parts[index - 1]!.end);
    });
    expect(parts.at(-1)!.end).to.equal(size);
  });
});

describe('isUsablePartSize', () => {
  it('should accept a part size from 1 MiB to 5 GiB that keeps the file within 10,000 parts', () => {
    expect(isUsablePartSize(10 * MiB, MiB)).to.equal(true);
    expect(isUsablePartSize(10 * MiB, MAX_PART_SIZE)).to.equal(true);
    expect(isUsablePartSize(MAX_PARTS * MiB, MiB)).to.equal(true);
  });

  it('should refuse a part size that needs more than 10,000 parts', () => {
    expect(isUsablePartSize(MAX_PARTS * MiB + 1, MiB)).to.equal(false);
  });

  it('should refuse a part size below 1 MiB, above 5 GiB or not a whole number', () => {
    expect(isUsablePartSize(10 * MiB, MiB - 1)).to.equal(false);
    expect(isUsablePartSize(10 * MiB, MAX_PART_SIZE + 1)).to.equal(false);
    expect(isUsablePartSize(10 * MiB, MiB + 0.5)).to.equal(false);
    expect(isUsablePartSize(10 * MiB, Number.NaN)).to.equal(false);
  });

  it('should accept any valid part size for a 0-byte file', () => {
    expect(isUsablePartSize(0, MiB)).to.equal(true);
  });
});
