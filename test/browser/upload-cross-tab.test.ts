// Chromium: two same-origin iframes (two realms sharing localStorage and Web Locks, as two tabs do) upload the same
// Blob to the same key with the same resume store, against the emulator over real HTTP.
import { expect } from 'chai';
import { crc64, formatCrc64 } from '../../src/core/upload/crc64.js';
import {
  MiB,
  createClient,
  expectStored,
  generatedFile,
  pendingUploads,
  storedRecords,
  uniquePrefix,
} from '../e2e/upload-support.js';
import type { FrameOutcome, FrameUpload } from './upload-cross-tab-frame.js';

type FrameModule = { uploadInFrame: (request: FrameUpload) => Promise<FrameOutcome> };

/** A same-origin iframe with the frame module loaded in its own realm. */
async function frameRealm(): Promise<{ module: FrameModule; remove: () => void }> {
  const frame = document.createElement('iframe');
  document.body.append(frame);
  const win = frame.contentWindow as Window & { eval: (code: string) => unknown };
  const url = new URL('/test/browser/upload-cross-tab-frame.ts', location.href).href;
  // `import()` evaluated in the frame's realm: the module and everything it imports are the frame's own.
  const module = (await win.eval(`import(${JSON.stringify(url)})`)) as FrameModule;
  return { module, remove: () => frame.remove() };
}

describe('MultipartUpload in two tabs (Chromium: iframes, Web Locks, localStorage)', function () {
  this.timeout(30_000);

  it('should initiate once for the two, both succeeding with the right object', async () => {
    const [one, two] = await Promise.all([frameRealm(), frameRealm()]);
    try {
      const prefix = uniquePrefix();
      const key = `${prefix}clip.mp4`;
      const storePrefix = `cos-transcoder:test-cross-tab:${prefix}`;
      const blob = generatedFile(5 * MiB, 'video/mp4');
      const request: FrameUpload = { blob, name: 'clip.mp4', lastModified: 1_700_000_000_000, key, prefix: storePrefix };
      const outcomes = await Promise.all([one.module.uploadInFrame(request), two.module.uploadInFrame(request)]);

      const initiates = outcomes.flatMap((outcome) => outcome.operations).filter((op) => op === 'InitiateMultipartUpload');
      expect(initiates, 'one InitiateMultipartUpload for the two tabs').to.have.length(1);
      const parts = outcomes.flatMap((outcome) => outcome.operations).filter((op) => op === 'UploadPart');
      expect(parts, 'no part sent twice').to.have.length(5);
      const crc = formatCrc64(crc64(new Uint8Array(await blob.arrayBuffer())));
      for (const { result } of outcomes) {
        expect(result).to.include({ key, size: 5 * MiB, crc64: crc, verified: true, multipart: true });
      }
      expect(outcomes[0]!.result.etag).to.equal(outcomes[1]!.result.etag);
      // The tab that waited said so, then found the object complete: it sent nothing but a HeadObject.
      const waiter = outcomes.find((outcome) => !outcome.operations.includes('InitiateMultipartUpload'))!;
      expect(waiter.waited).to.equal(true);
      expect(waiter.operations).to.deep.equal(['HeadObject']);
      await expectStored(key, blob);
      expect(await pendingUploads(createClient(), prefix)).to.deep.equal([]);
      expect(storedRecords(storePrefix), 'no resume record left').to.deep.equal([]);
    } finally {
      one.remove();
      two.remove();
    }
  });
});
