import { expect } from 'chai';
import * as z from 'zod/mini';
import {
  booleanLike,
  container,
  looseBoolean,
  looseNumber,
  numberInRange,
  numeric,
  oneOrMany,
  optionalNumeric,
  plainRecord,
  serviceTime,
  text,
} from '../../../src/core/protocol/schema-helpers.js';
import { describeIssue, formatPath } from '../../../src/core/protocol/validation.js';
import { toWire } from '../../../src/core/protocol/wire.js';

const parse = <S extends z.ZodMiniType>(schema: S, value: unknown) => schema.safeParse(value, { error: describeIssue });
const issuesOf = <S extends z.ZodMiniType>(schema: S, value: unknown) =>
  parse(schema, value).error?.issues.map((issue) => issue.message);

describe('oneOrMany', () => {
  const list = oneOrMany(text);

  it('should give an absent element as an empty array', () => {
    expect(parse(list, undefined).data).to.deep.equal([]);
  });

  it('should wrap a single value', () => {
    expect(parse(list, 'a').data).to.deep.equal(['a']);
  });

  it('should keep an array in order', () => {
    expect(parse(list, ['a', 'b']).data).to.deep.equal(['a', 'b']);
  });

  it('should drop empty elements', () => {
    expect(parse(list, ['', 'a', '\n  ']).data).to.deep.equal(['a']);
  });
});

describe('container', () => {
  const schema = container({ A: z.optional(text) });

  it('should turn an empty element into an empty object', () => {
    expect(parse(schema, '').data).to.deep.equal({});
  });

  it('should turn a layout-only element into an empty object', () => {
    expect(parse(schema, '\n  \n').data).to.deep.equal({});
  });

  it('should drop unknown children', () => {
    expect(parse(schema, { A: 'a', B: 'b' }).data).to.deep.equal({ A: 'a' });
  });

  it('should reject text where children are expected', () => {
    expect(issuesOf(schema, 'text')).to.deep.equal(['must be an element with children']);
  });
});

describe('text', () => {
  it('should keep surrounding spaces', () => {
    expect(parse(text, '  a  ').data).to.equal('  a  ');
  });

  it('should turn JSON numbers into text', () => {
    expect(parse(text, 12345).data).to.equal('12345');
  });

  it('should say a missing value is required', () => {
    expect(issuesOf(text, undefined)).to.deep.equal(['is required']);
  });
});

describe('serviceTime', () => {
  it('should turn - into null', () => {
    expect(parse(serviceTime, '-').data).to.equal(null);
  });

  it('should turn an empty element into null', () => {
    expect(parse(serviceTime, '').data).to.equal(null);
  });

  it("should keep the service's time string", () => {
    expect(parse(serviceTime, '2022-06-27T15:23:10+0800').data).to.equal('2022-06-27T15:23:10+0800');
  });
});

describe('numeric', () => {
  it('should parse a decimal string', () => {
    expect(parse(numeric, '830.482000').data).to.equal(830.482);
  });

  it('should accept a number', () => {
    expect(parse(numeric, 7).data).to.equal(7);
  });

  for (const value of ['abc', '', '0x10', 'Infinity', 'NaN', '1 2']) {
    it(`should reject ${JSON.stringify(value)}`, () => {
      expect(issuesOf(numeric, value)).to.deep.equal(['must be a number']);
    });
  }
});

describe('optionalNumeric', () => {
  it('should turn an empty element into undefined', () => {
    expect(parse(optionalNumeric, '').data).to.equal(undefined);
  });

  it('should still reject garbage', () => {
    expect(issuesOf(optionalNumeric, 'x')).to.deep.equal(['must be a number']);
  });
});

describe('numberInRange', () => {
  it('should state the range and integrality', () => {
    expect(issuesOf(numberInRange(1, 3, true), '2.5')).to.deep.equal(['must be an integer from 1 to 3']);
  });
});

describe('looseNumber', () => {
  it('should drop a value that is not a number', () => {
    expect(parse(looseNumber, 'N/A')).to.deep.equal({ success: true, data: undefined });
  });
});

describe('booleanLike', () => {
  it('should read true and false in any case', () => {
    const values = ['true', 'FALSE', false].map((value) => parse(booleanLike, value).data);
    expect(values).to.deep.equal([true, false, false]);
  });

  it('should reject other text', () => {
    expect(issuesOf(booleanLike, 'yes')).to.deep.equal(['must be true or false']);
  });
});

describe('looseBoolean', () => {
  it('should drop a value that is not a boolean', () => {
    expect(parse(looseBoolean, 'yes').data).to.equal(undefined);
  });
});

describe('formatPath', () => {
  it('should join names with dots and indexes with brackets', () => {
    expect(formatPath(['Operation', 'Watermark', 0, 'Pos'])).to.equal('Operation.Watermark[0].Pos');
  });

  it('should elide a very long segment', () => {
    expect(formatPath(['x'.repeat(100)])).to.equal(`${'x'.repeat(64)}…`);
  });
});

describe('toWire', () => {
  it('should write typed values as the service does', () => {
    expect(toWire({ a: 0, b: false, c: null, d: undefined, e: [], f: ['x'], g: {} })).to.deep.equal({
      a: '0',
      b: 'false',
      c: '-',
      f: ['x'],
      g: {},
    });
  });
});

describe('text, numeric and booleanLike types', () => {
  it('should take strings, finite numbers and booleans as text', () => {
    expect([parse(text, 'a').data, parse(text, 2).data, parse(text, false).data]).to.deep.equal(['a', '2', 'false']);
  });

  for (const value of [Number.NaN, Number.POSITIVE_INFINITY, null, {}, ['a']]) {
    it(`should refuse ${typeof value === 'number' ? String(value) : JSON.stringify(value)} as text and as a number, naming the rule`, () => {
      expect(issuesOf(text, value)).to.deep.equal(['must be text']);
      expect(issuesOf(numeric, value)).to.deep.equal(['must be a number']);
    });
  }

  it('should answer is required for a missing value', () => {
    expect([issuesOf(text, undefined), issuesOf(numeric, undefined), issuesOf(booleanLike, undefined)]).to.deep.equal([
      ['is required'],
      ['is required'],
      ['is required'],
    ]);
  });

  it('should refuse a number as a boolean', () => {
    expect(issuesOf(booleanLike, 1)).to.deep.equal(['must be true or false']);
  });
});

describe('plainRecord', () => {
  const record = plainRecord('must be an element with children');

  it('should copy a plain object onto the ordinary prototype, keeping its keys in order', () => {
    const parsed = Object.assign(Object.create(null) as object, { B: '1', A: { C: '2' } });
    const copy = parse(record, parsed).data!;
    expect(Object.getPrototypeOf(copy)).to.equal(Object.prototype);
    expect(Object.keys(copy)).to.deep.equal(['B', 'A']);
    expect(copy).to.deep.equal({ B: '1', A: { C: '2' } });
  });

  it('should never copy a __proto__ key', () => {
    const copy = parse(record, JSON.parse('{"__proto__": {"polluted": true}, "A": "1"}'))!.data!;
    expect(Object.keys(copy)).to.deep.equal(['A']);
    expect((copy as { polluted?: boolean }).polluted).to.equal(undefined);
  });

  for (const value of ['text', null, ['a'], new Date(0), new Map()]) {
    it(`should refuse ${Object.prototype.toString.call(value)} with its rule`, () => {
      expect(issuesOf(record, value)).to.deep.equal(['must be an element with children']);
    });
  }
});
