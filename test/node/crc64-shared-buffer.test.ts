// Node only: pages are not cross-origin isolated in the browser tests, so SharedArrayBuffer is absent there. The
// emulator's ingest hashes batches that live in SharedArrayBuffers.
import { expect } from 'chai';
import { crc64, formatCrc64 } from '../../src/core/upload/crc64.js';

describe('crc64 over shared memory', () => {
  it('should read views over a SharedArrayBuffer', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(16));
    shared.set(new TextEncoder().encode('123456789'), 3);
    expect(formatCrc64(crc64(shared.subarray(3, 12)))).to.equal('11051210869376104954');
  });
});
