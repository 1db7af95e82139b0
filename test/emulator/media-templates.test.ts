// Templates of your own (`templates` option, `--templates <file.json>`): a valid file's ids are used by jobs over
// HTTP, invalid files are refused at start naming the field, and unknown ids still fail as the service does.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';
import { errorCode, seedObject, startTestEmulator } from '../helpers/emulator.js';
import { SAMPLE, postJob, submit, transcodeBody, waitForJob } from './ci-support.js';

const MY_TRANSCODE = 't1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
const MY_WATERMARK = 't1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2';
const UNKNOWN = 't1cccccccccccccccccccccccccccccccc3';

const transcode = (fields: Record<string, unknown> = {}) => ({
  TemplateId: MY_TRANSCODE,
  Name: 'my_webm_360p',
  Container: { Format: 'webm' },
  Video: { Codec: 'VP9', Height: 360, Crf: 40 },
  Audio: { Codec: 'opus', Samplerate: 48000, Bitrate: 64, Channels: 1 },
  ...fields,
});

const watermark = (fields: Record<string, unknown> = {}) => ({
  TemplateId: MY_WATERMARK,
  Name: 'my_text',
  Watermark: { Type: 'Text', Pos: 'BottomRight', LocMode: 'Absolute', Dx: 8, Dy: 8, Text: { Text: 'mine' } },
  ...fields,
});

describe('Emulator templates: --templates file', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'templates-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const file = async (name: string, content: unknown): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  describe('a valid file', () => {
    let emulator: Emulator;

    before(async () => {
      const templates = await file('valid.json', { transcode: [transcode()], watermark: [watermark()] });
      emulator = await startTestEmulator({ templates });
      await seedObject(emulator, 'input/sample.mp4', SAMPLE);
    });
    after(() => emulator.close());

    it('should run a job with the file transcode and watermark template ids', async () => {
      const body = transcodeBody('input/sample.mp4', {
        operation: { TemplateId: MY_TRANSCODE, WatermarkTemplateId: [MY_WATERMARK, 't1318c5f428d474afba1797f84091cbe22'] },
      });
      const { JobId, Operation } = await submit(emulator, body);
      expect(Operation?.TemplateName).to.equal('my_webm_360p');
      const job = await waitForJob(emulator, JobId, { timeoutMs: 10_000 });
      expect(job.State, job.Message).to.equal('Success');
    });

    it('should still refuse unknown template ids as the service does', async () => {
      const unknownTranscode = await postJob(emulator, transcodeBody('input/sample.mp4', { operation: { TemplateId: UNKNOWN } }));
      expect(unknownTranscode.status).to.equal(400);
      expect(errorCode(unknownTranscode)).to.equal('InvalidArgument');
      expect(unknownTranscode.text).to.contain(`the template ${UNKNOWN} does not exist`);
      const unknownWatermark = await postJob(
        emulator,
        transcodeBody('input/sample.mp4', { operation: { TemplateId: MY_TRANSCODE, WatermarkTemplateId: [UNKNOWN] } }),
      );
      expect(unknownWatermark.status).to.equal(400);
      expect(unknownWatermark.text).to.contain(`the watermark template ${UNKNOWN} does not exist`);
    });
  });

  it('should refuse invalid files at start, naming the field and the rule', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['codec', { transcode: [transcode({ Video: { Codec: 'AV1' } })] }, /transcode\[0\]\.Video\.Codec must be one of H\.264, H\.265, VP9/],
      ['pairing', { transcode: [transcode({ Video: { Codec: 'H.264' } })] }, /transcode\[0\]\.Video\.Codec must be VP9 with Container\.Format webm/],
      ['audio', { transcode: [transcode({ Container: { Format: 'mp4' }, Video: { Codec: 'H.265' } })] }, /transcode\[0\]\.Audio\.Codec must be aac or mp3/],
      ['rate', { transcode: [transcode({ Audio: { Codec: 'opus', Samplerate: 44100, Bitrate: 64 } })] }, /transcode\[0\]\.Audio\.Samplerate must be one of 8000/],
      ['width', { transcode: [transcode({ Video: { Codec: 'VP9', Width: 100000 } })] }, /transcode\[0\]\.Video\.Width must be an integer from 128 to 4096/],
      ['id', { transcode: [transcode({ TemplateId: 'tmpl-1' })] }, /transcode\[0\]\.TemplateId must be t1 followed by 32/],
      ['builtin', { transcode: [transcode({ TemplateId: 't1460606b9752148c4ab182f55163ba7cd' })] }, /transcode\[0\]\.TemplateId is the id of a built-in template/],
      ['twice', { transcode: [transcode()], watermark: [watermark({ TemplateId: MY_TRANSCODE })] }, /watermark\[0\]\.TemplateId is used by another template/],
      ['pos', { watermark: [watermark({ Watermark: { Type: 'Text', Pos: 'Middle', LocMode: 'Absolute', Text: { Text: 'x' } } })] }, /watermark\[0\]\.Watermark\.Pos must be one of TopLeft/],
      ['text', { watermark: [watermark({ Watermark: { Type: 'Text', Pos: 'Top', LocMode: 'Absolute', Text: { Text: "it's" } } })] }, /watermark\[0\]\.Watermark\.Text\.Text must be 1 to 64/],
      ['json', '{ "transcode": [', /is not JSON/],
    ];
    for (const [name, content, message] of cases) {
      const templates = await file(`${name}.json`, content);
      let failure: unknown;
      try {
        const emulator = await startTestEmulator({ templates });
        await emulator.close();
      } catch (error) {
        failure = error;
      }
      expect(failure, name).to.be.instanceOf(Error);
      expect((failure as Error).message, name).to.match(message).and.contain(templates);
    }
    let missing: unknown;
    await startTestEmulator({ templates: join(dir, 'absent.json') }).then((emulator) => emulator.close(), (error: unknown) => {
      missing = error;
    });
    expect((missing as Error | undefined)?.message).to.match(/absent\.json: cannot be read \(ENOENT\)/);
  });
});
