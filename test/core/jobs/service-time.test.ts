import { expect } from 'chai';
import { formatServiceTime, parseServiceTime } from '../../../src/core/jobs/service-time.js';

describe('formatServiceTime', () => {
  it('should write China time to the second with an offset without colon', () => {
    expect(formatServiceTime(Date.UTC(2022, 5, 27, 7, 23, 12, 999))).to.equal('2022-06-27T15:23:12+0800');
  });

  it('should cross the date line of China time', () => {
    expect(formatServiceTime(Date.UTC(2022, 11, 31, 16, 0, 0))).to.equal('2023-01-01T00:00:00+0800');
  });
});

describe('parseServiceTime', () => {
  it('should read the service format and other offsets', () => {
    expect([
      parseServiceTime('2022-06-27T15:23:12+0800'),
      parseServiceTime('2022-06-27T07:23:12+00:00'),
      parseServiceTime(' 2022-06-27T02:23:12-0500 '),
    ]).to.deep.equal(Array(3).fill(Date.UTC(2022, 5, 27, 7, 23, 12)));
  });

  it('should read back what formatServiceTime wrote', () => {
    const time = Date.UTC(2024, 4, 16, 6, 45, 51);
    expect(parseServiceTime(formatServiceTime(time))).to.equal(time);
  });

  it('should answer undefined for unset and malformed times', () => {
    const unreadable = ['-', '', '2022-06-27', '2022-06-27T15:23:12', 'yesterday', null, undefined];
    expect(unreadable.map(parseServiceTime)).to.deep.equal(Array(7).fill(undefined));
  });
});
