import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJobsResponse } from '../../src/core/protocol/ci-schemas.js';
import type { Emulator } from '../../src/emulator/index.js';
import { EXTRACT_REQUEST, EXTRACT_RESPONSE, TRANSCODE_REQUEST, TRANSCODE_RESPONSE } from '../fixtures/seeds.js';
import { permanentKeys, seedObject, send, startTestEmulator } from '../helpers/emulator.js';
import { SAMPLE, postJob, waitForJob } from './ci-support.js';

// The seeds' examples name bucket test-123456789 in ap-chongqing and input/demo.mp4: the emulator gets exactly that
// bucket so that the request bodies run verbatim. Their CallBack is a public demo host, allowed (--callback-allow) so
// that the bodies are accepted; a 1 ms callback timeout and a single attempt make sure these tests never post to it.
const SEED = { bucket: 'test-123456789', region: 'ap-chongqing' };

/** The seed response's JobsDetail with the fields that differ per job (ids, times) removed. */
function stable(text: string): Record<string, unknown> {
  const { JobsDetail } = parseJobsResponse(text, 'submit');
  const { JobId: _id, CreationTime: _created, QueueId: _queue, QueueType: _type, ...rest } = JobsDetail[0]!;
  return rest;
}

const jobIdOf = (text: string): string => parseJobsResponse(text, 'submit').JobsDetail[0]!.JobId;

describe('CI emulator: the seed examples', () => {
  let emulator: Emulator;
  let scratch: string;

  before(async () => {
    emulator = await startTestEmulator({
      buckets: [{ name: SEED.bucket, region: SEED.region }],
      callbacks: { attempts: 1, timeoutMs: 1 },
      callbackAllow: ['callback.demo.com'],
    });
    scratch = await mkdtemp(join(tmpdir(), 'ci-seeds-'));
  });

  after(async () => {
    await emulator.close();
    await rm(scratch, { recursive: true, force: true });
  });

  const put = (key: string, file: string) => seedObject(emulator, key, file, SEED);

  async function getObject(key: string): Promise<Buffer> {
    const keys = permanentKeys(emulator);
    const response = await send(emulator, { service: 'cos', method: 'GET', path: `/${key}`, keys, ...SEED });
    expect(response.status, response.text.slice(0, 200)).to.equal(200);
    return response.body;
  }

  it('should answer the Transcode example with the documented response shape', async () => {
    await put('input/demo.mp4', SAMPLE);
    const response = await postJob(emulator, TRANSCODE_REQUEST, SEED);
    expect(response.status, response.text).to.equal(200);
    expect(response.headers['content-type']).to.equal('application/xml');
    expect(stable(response.text)).to.deep.equal(stable(TRANSCODE_RESPONSE));
    const [job] = parseJobsResponse(response.text, 'submit').JobsDetail;
    expect(job!.JobId).to.match(/^j[0-9a-f]{32}$/);
    expect(job!.QueueId).to.match(/^p[0-9a-f]{32}$/);
    expect(job!.CreationTime).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0800$/);
  });

  it('should run the Transcode example to Success with a real, watermarked output object', async () => {
    await put('input/demo.mp4', SAMPLE);
    const submitted = await postJob(emulator, TRANSCODE_REQUEST, SEED);
    const job = await waitForJob(emulator, jobIdOf(submitted.text), { target: SEED });
    expect(job.State).to.equal('Success');
    expect(job.Progress).to.equal(100);
    expect(job.EndTime).to.match(/\+0800$/);
    const operation = job.Operation!;
    expect(operation.DigitalWatermark?.State).to.equal('Success');
    expect(operation.Output?.Object).to.equal('output/out.${ext}');
    const [file] = operation.MediaResult!.OutputFile;
    expect(file!.ObjectName).to.deep.equal(['output/out.mp4']);
    expect(file!.Bucket).to.equal(SEED.bucket);
    expect(file!.Region).to.equal(SEED.region);
    const [video] = operation.MediaInfo!.Stream!.Video;
    expect([video!.Width, video!.Height, video!.CodecName]).to.deep.equal([640, 360, 'h264']);
    const bytes = await getObject('output/out.mp4');
    const md5 = createHash('md5').update(bytes).digest('hex');
    expect(file!.Md5Info[0]).to.deep.equal({ Md5: md5, ObjectName: 'output/out.mp4' });
    expect(operation.MediaInfo!.Format!.Size).to.equal(bytes.length);
  });

  it('should answer the ExtractDigitalWatermark example with the documented response shape', async () => {
    await put('input/demo.mp4', SAMPLE);
    const response = await postJob(emulator, EXTRACT_REQUEST, SEED);
    expect(response.status, response.text).to.equal(200);
    const { Progress: _progress, ...shape } = stable(response.text);
    expect(shape).to.deep.equal(stable(EXTRACT_RESPONSE));
  });

  it('should extract the message a Transcode job embedded, with the extraction example verbatim', async () => {
    await put('input/demo.mp4', SAMPLE);
    const transcode = await postJob(emulator, TRANSCODE_REQUEST, SEED);
    const transcoded = await waitForJob(emulator, jobIdOf(transcode.text), { target: SEED });
    expect(transcoded.State).to.equal('Success');
    const copy = join(scratch, 'watermarked.mp4');
    await writeFile(copy, await getObject('output/out.mp4'));
    await put('input/demo.mp4', copy);
    const extraction = await postJob(emulator, EXTRACT_REQUEST, SEED);
    const job = await waitForJob(emulator, jobIdOf(extraction.text), { target: SEED });
    expect(job.State).to.equal('Success');
    const expected = { Type: 'Text', Version: 'V1', Message: '123456789ab' };
    expect(job.Operation?.ExtractDigitalWatermark).to.deep.equal(expected);
    expect(job.Operation?.UserData).to.equal('This is my data.');
  });

  it('should fail the extraction example with WatermarkNotFound on a file without a watermark', async () => {
    await put('input/demo.mp4', SAMPLE);
    const extraction = await postJob(emulator, EXTRACT_REQUEST, SEED);
    const job = await waitForJob(emulator, jobIdOf(extraction.text), { target: SEED });
    expect(job.State).to.equal('Failed');
    expect(job.Code).to.equal('WatermarkNotFound');
    expect(job.Message).to.match(/No digital watermark/);
    expect(job.Operation?.ExtractDigitalWatermark?.Message).to.equal(undefined);
  });
});
