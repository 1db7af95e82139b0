// Jobs whose input is a multipart object: its bytes are its parts' files, and FFmpeg (which seeks: this input's
// `moov` is at its end) or the copy-through path read the whole object across them.
import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';
import { MiB, md5Hex, multipartCalls } from '../helpers/cos-multipart.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { FFMPEG, run } from '../helpers/media/tools.js';
import { submit, transcodeBody } from './ci-support.js';
import { TSC_TEMPLATE, outputKey, requireMediaTools, startMediaEmulator, submitTranscode, succeeded } from './media-support.js';

/** Files under the emulator's `objects/` exactly `size` bytes long. */
async function filesOfSize(emulator: Emulator, size: number): Promise<string[]> {
  const root = join(emulator.dataDir, 'objects');
  const found: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await stat(path)).size === size) found.push(path);
  }
  return found;
}

describe('emulator: jobs read a multipart input across its parts', function () {
  this.timeout(60_000);
  let dir: string;
  let video: Buffer;

  before(async () => {
    requireMediaTools();
    dir = await mkdtemp(join(tmpdir(), 'cos-emulator-multipart-input-'));
    const file = join(dir, 'noise.mp4');
    // Noise does not compress: about 3.6 MB, so that the `mdat` spans three parts; FFmpeg writes `moov` last.
    const source = 'testsrc=size=320x240:rate=25,noise=alls=100:allf=t';
    await run(FFMPEG, ['-v', 'error', '-f', 'lavfi', '-i', source, '-t', '2', '-c:v', 'mpeg4', '-q:v', '2', '-y', file]);
    video = await readFile(file);
    expect(video.length).to.be.greaterThan(2 * MiB + 1);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Uploads the video as three parts (1 MiB, 1 MiB, the rest) and completes it. */
  async function uploadVideo(emulator: Emulator, key: string): Promise<void> {
    const { uploadAll, complete } = multipartCalls(() => emulator);
    const bodies = [video.subarray(0, MiB), video.subarray(MiB, 2 * MiB), video.subarray(2 * MiB)];
    const { uploadId, parts } = await uploadAll(key, bodies);
    expect((await complete(key, uploadId, parts)).status).to.equal(200);
  }

  it('should copy the whole input through, byte for byte, without FFmpeg', async () => {
    const emulator = await startTestEmulator();
    try {
      await uploadVideo(emulator, 'in/copied.mp4');
      const job = await submit(emulator, transcodeBody('in/copied.mp4', { output: 'out/copied.mp4' }));
      const done = await succeeded(emulator, job.JobId);
      const { cos } = multipartCalls(() => emulator);
      const output = await cos('GET', outputKey(done));
      expect(md5Hex(output.body)).to.equal(md5Hex(video));
    } finally {
      await emulator.close();
    }
  });

  it('should transcode it with FFmpeg from one copy of it, deleted with the object', async () => {
    const emulator = await startMediaEmulator();
    try {
      await uploadVideo(emulator, 'in/encoded.mp4');
      expect(await filesOfSize(emulator, video.length), 'no copy before a job asks').to.deep.equal([]);
      const done = await succeeded(emulator, await submitTranscode(emulator, 'in/encoded.mp4', TSC_TEMPLATE));
      expect(Number(done.Operation?.MediaInfo?.Format?.Duration)).to.be.closeTo(2, 0.1);
      const copies = await filesOfSize(emulator, video.length);
      expect(copies).to.have.length(1);
      expect(md5Hex(await readFile(copies[0]!))).to.equal(md5Hex(video));
      const { cos } = multipartCalls(() => emulator);
      expect((await cos('DELETE', 'in/encoded.mp4')).status).to.equal(204);
      expect(await filesOfSize(emulator, video.length)).to.deep.equal([]);
    } finally {
      await emulator.close();
    }
  });
});
