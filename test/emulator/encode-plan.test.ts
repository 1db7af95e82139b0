// What templates and visible watermarks mean as FFmpeg arguments (pure functions), plus one real FFmpeg check that
// hostile text is drawn literally.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { FFMPEG, requireMediaTools } from '../helpers/media/tools.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Watermark } from '../../src/core/protocol/watermark.js';
import { BUILT_IN_LOGO_URL, BUILT_IN_TEMPLATES, type TranscodeTemplate } from '../../src/emulator/ci/templates.js';
import { EncodePlanError, outputSize, planEncode, type EncodeInput } from '../../src/emulator/media/encode-plan.js';
import { chooseFontFile, fontQueryFor } from '../../src/emulator/media/fonts.js';
import {
  escapeFilterValue,
  imageObjectOf,
  positionExpressions,
  watermarkFilters,
} from '../../src/emulator/media/watermark-filters.js';

const FONT = '/fonts/DejaVuSans.ttf';
const SOURCE = { file: '/in/sample.mp4', width: 640, height: 360, durationSeconds: 4, hasAudio: true, fps: 30 };
const template = (id: string): TranscodeTemplate => BUILT_IN_TEMPLATES.transcode(id)!;
const TSC = template('t1460606b9752148c4ab182f55163ba7cd');
const H264_720 = template('t1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8c');
const H265 = template('t1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8e');
const H264_360W = template('t1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8f');
const WEBM = template('t1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b90');

const plan = (overrides: Partial<EncodeInput> = {}) =>
  planEncode({
    template: H264_720,
    watermarks: [],
    source: SOURCE,
    images: new Map(),
    fontFile: FONT,
    output: '/tmp/out.mp4',
    threads: 2,
    ...overrides,
  });

/** The value following `flag` in `args`. */
const argAfter = (args: readonly string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

const text = (fields: Partial<Watermark> = {}, body: Partial<NonNullable<Watermark['Text']>> = {}): Watermark => ({
  Type: 'Text',
  Pos: 'TopLeft',
  LocMode: 'Absolute',
  Text: { Text: 'hello', ...body },
  ...fields,
});

const image = (fields: Partial<Watermark> = {}, body: Partial<NonNullable<Watermark['Image']>> = {}): Watermark => ({
  Type: 'Image',
  Pos: 'BottomRight',
  LocMode: 'Absolute',
  Image: { Url: 'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/logo.png', Transparency: 100, ...body },
  ...fields,
});

/**
 * Reads a filter-graph value back the way FFmpeg does (`av_get_token` at the graph level, then at the option level):
 * `\x` is `x`, `'...'` is literal, and an unescaped terminator ends the value.
 */
function ffmpegToken(input: string, terminators: string): { value: string; rest: string } {
  let value = '';
  let i = 0;
  while (i < input.length && !terminators.includes(input[i]!)) {
    const c = input[i]!;
    if (c === '\\' && i + 1 < input.length) {
      value += input[i + 1];
      i += 2;
    } else if (c === "'") {
      const end = input.indexOf("'", i + 1);
      value += input.slice(i + 1, end === -1 ? undefined : end);
      i = end === -1 ? input.length : end + 1;
    } else {
      value += c;
      i += 1;
    }
  }
  return { value, rest: input.slice(i) };
}

describe('Emulator media: encode plan', () => {
  describe('templates', () => {
    it('should encode H.264 in mp4 at the template size with faststart', () => {
      const { args, encoders, extension, width, height } = plan();
      expect(argAfter(args, '-c:v')).to.equal('libx264');
      expect(argAfter(args, '-crf')).to.equal('23');
      expect(argAfter(args, '-movflags')).to.equal('+faststart');
      expect(argAfter(args, '-f')).to.equal('mp4');
      expect(argAfter(args, '-filter_complex')).to.contain('scale=1280:720');
      expect([width, height, extension]).to.deep.equal([1280, 720, 'mp4']);
      expect(encoders).to.deep.equal(['libx264', 'aac']);
      expect(args.at(-1)).to.equal('/tmp/out.mp4');
      expect(argAfter(args, '-i')).to.equal(SOURCE.file);
    });

    it('should encode H.265 in mp4 tagged hvc1', () => {
      const { args, encoders, width, height } = plan({ template: H265 });
      expect(argAfter(args, '-c:v')).to.equal('libx265');
      expect(argAfter(args, '-tag:v')).to.equal('hvc1');
      expect(argAfter(args, '-crf')).to.equal('28');
      expect(argAfter(args, '-x265-params')).to.contain('pools=2');
      expect([width, height]).to.deep.equal([1920, 1080]);
      expect(encoders).to.deep.equal(['libx265', 'aac']);
    });

    it('should encode VP9 and Opus in webm', () => {
      const { args, encoders, extension, width, height } = plan({ template: WEBM, output: '/tmp/out.webm' });
      expect(extension).to.equal('webm');
      expect(argAfter(args, '-c:v')).to.equal('libvpx-vp9');
      expect(argAfter(args, '-b:v')).to.equal('0');
      expect(argAfter(args, '-c:a')).to.equal('libopus');
      expect(argAfter(args, '-ar')).to.equal('48000');
      expect(argAfter(args, '-f')).to.equal('webm');
      expect(args).to.not.include('-movflags');
      expect([width, height]).to.deep.equal([854, 480]);
      expect(encoders).to.deep.equal(['libvpx-vp9', 'libopus']);
    });

    it('should apply bitrate, fps, audio rate, bitrate and channels', () => {
      const { args, width, height } = plan({ template: H264_360W });
      expect([width, height]).to.deep.equal([360, 202]);
      expect(argAfter(args, '-b:v')).to.equal('800k');
      expect(args).to.not.include('-crf');
      expect(argAfter(args, '-r')).to.equal('15');
      expect([argAfter(args, '-b:a'), argAfter(args, '-ar'), argAfter(args, '-ac')]).to.deep.equal(['96k', '44100', '1']);
      expect(plan().args).to.not.include('-ac'); // no Channels: the source's
    });

    it('should encode the TSC template with CRF capped by a size-based bitrate and psycho-visual tuning', () => {
      const { args, width, height } = plan({ template: TSC });
      expect([width, height]).to.deep.equal([640, 360]);
      expect(argAfter(args, '-preset')).to.equal('medium');
      expect(argAfter(args, '-crf')).to.equal('23');
      expect(argAfter(args, '-maxrate')).to.equal('484k'); // 640 x 360 x 30 fps x 0.07 bit
      expect(argAfter(args, '-bufsize')).to.equal('484k');
      const small = plan({ template: TSC, source: { ...SOURCE, bitrateKbps: 348.6 } }).args;
      expect([argAfter(small, '-maxrate'), argAfter(small, '-bufsize')]).to.deep.equal(['349k', '349k']);
      expect(argAfter(args, '-aq-mode')).to.equal('3');
      expect(argAfter(args, '-psy-rd')).to.equal('1.0:0.15');
    });

    it('should keep the aspect ratio when one side is given, with even sizes', () => {
      expect(outputSize({ width: 360 }, { width: 640, height: 360 })).to.deep.equal({ width: 360, height: 202 });
      expect(outputSize({ height: 480 }, { width: 640, height: 360 })).to.deep.equal({ width: 854, height: 480 });
      expect(outputSize({ height: 720 }, { width: 1080, height: 1920 })).to.deep.equal({ width: 406, height: 720 });
      expect(outputSize({}, { width: 641, height: 361 })).to.deep.equal({ width: 642, height: 362 });
      expect(outputSize({ width: 1280, height: 720 }, { width: 640, height: 480 })).to.deep.equal({
        width: 1280,
        height: 720,
      });
    });

    it('should fail InvalidInput when one given side and an extreme aspect ratio derive a side beyond 4096', () => {
      const thin = { ...SOURCE, width: 16, height: 4096 };
      expect(() => plan({ template: H264_360W, source: thin }))
        .to.throw(EncodePlanError)
        .with.property('code', 'InvalidInput');
      expect(plan({ template: H264_360W, source: { ...SOURCE, width: 360, height: 4096 } }).height).to.equal(4096);
    });

    it('should drop audio when the source has none', () => {
      const { args, encoders } = plan({ source: { ...SOURCE, hasAudio: false } });
      expect(args).to.include('-an');
      expect(args).to.not.include('-c:a');
      expect(encoders).to.deep.equal(['libx264']);
    });
  });

  describe('watermarks', () => {
    const NAMES = { W: 'W', H: 'H', w: 'w', h: 'h' };

    it('should place the nine positions with their offsets (Dx ignored at Top/Bottom/Center, Dy at Left/Right)', () => {
      const expected: Record<string, [string, string]> = {
        TopLeft: ['10', '20'],
        Top: ['(W-w)/2', '20'],
        TopRight: ['W-w-10', '20'],
        Left: ['10', '(H-h)/2'],
        Center: ['(W-w)/2', '(H-h)/2'],
        Right: ['W-w-10', '(H-h)/2'],
        BottomLeft: ['10', 'H-h-20'],
        Bottom: ['(W-w)/2', 'H-h-20'],
        BottomRight: ['W-w-10', 'H-h-20'],
      };
      for (const [pos, [x, y]] of Object.entries(expected)) {
        const result = positionExpressions(pos as Watermark['Pos'], 10, 20, NAMES);
        expect(result, pos).to.deep.equal({ x, y });
      }
    });

    it('should use overlay sizes for images and text sizes for text', () => {
      const chains = (mark: Watermark) =>
        watermarkFilters({
          watermarks: [mark],
          images: new Map([[image().Image!.Url, '/img/logo.png']]),
          fontFile: FONT,
          width: 640,
          height: 360,
          durationSeconds: 4,
          firstInput: 1,
        }).chains.join(';');
      expect(chains(image({ Dx: 8, Dy: 4 }))).to.contain('overlay=x=main_w-overlay_w-8:y=main_h-overlay_h-4');
      expect(chains(text({ Pos: 'Center' }))).to.contain('x=(w-text_w)/2:y=(h-text_h)/2');
    });

    it('should read Relativity offsets as percent of the output width and height', () => {
      const { args } = plan({ watermarks: [text({ LocMode: 'Relativity', Dx: 10, Dy: 50 })] });
      expect(argAfter(args, '-filter_complex')).to.contain('x=128:y=360'); // 10 % of 1280, 50 % of 720
    });

    it('should draw text with its font, size and colour, Transparency as alpha, never expanded', () => {
      const mark = text({}, { FontSize: 30, FontColor: '0xFF0000', Transparency: 40 });
      const graph = argAfter(plan({ watermarks: [mark] }).args, '-filter_complex')!;
      expect(graph).to.contain(`drawtext=fontfile=${FONT}:text=hello:expansion=none:fontsize=30:fontcolor=0xFF0000@0.40`);
      expect(argAfter(plan({ watermarks: [text()] }).args, '-filter_complex')).to.contain('fontsize=16:fontcolor=0xFFFFFF@1.00');
    });

    it('should scale images as Mode says and apply Transparency as alpha', () => {
      const graph = (body: Partial<NonNullable<Watermark['Image']>>) =>
        argAfter(plan({ watermarks: [image({}, body)], images: new Map([[image().Image!.Url, '/img/logo.png']]) }).args, '-filter_complex')!;
      expect(graph({ Mode: 'Proportion', Width: 10, Transparency: 70 })).to.contain('[1:v]format=rgba,scale=128:-1,colorchannelmixer=aa=0.70[w1]');
      expect(graph({ Mode: 'Proportion', Height: 50 })).to.contain('scale=-1:360');
      expect(graph({ Mode: 'Fixed', Width: 100, Height: 40 })).to.contain('scale=100:40');
      expect(graph({ Mode: 'Original' })).to.contain('[1:v]format=rgba,colorchannelmixer=aa=1.00[w1]');
    });

    it('should scroll from the left at XSlideSpeed x 5 % of the width per second, Pos ignored', () => {
      const mark = text({ Pos: 'BottomRight', Dy: 8, SlideConfig: { SlideMode: 'ScrollFromLeft', XSlideSpeed: 3 } });
      const graph = argAfter(plan({ watermarks: [mark] }).args, '-filter_complex')!;
      // 3 x 5 % of 1280 = 192 px/s; commas escaped for the filter graph.
      expect(graph).to.contain('x=mod(t*192\\,w+text_w)-text_w:y=8');
      const both = text({ SlideConfig: { SlideMode: 'ScrollFromLeft', XSlideSpeed: 1, YSlideSpeed: 2 } });
      expect(argAfter(plan({ watermarks: [both] }).args, '-filter_complex')).to.contain('y=mod(t*72\\,h+text_h)-text_h');
      const still = text({ SlideConfig: { SlideMode: 'Default', XSlideSpeed: 5 }, Dx: 4, Dy: 6 });
      expect(argAfter(plan({ watermarks: [still] }).args, '-filter_complex')).to.contain('x=4:y=6');
    });

    it('should limit drawing to StartTime..EndTime', () => {
      const graph = argAfter(plan({ watermarks: [text({ StartTime: 1, EndTime: 2.5 })] }).args, '-filter_complex')!;
      expect(graph).to.contain('enable=between(t\\,1\\,2.5)');
    });

    it('should escape hostile text and paths so that FFmpeg reads them back exactly', () => {
      for (const value of ["it's", 'a:b', 'back\\slash', '%{localtime}', "[x],y;z'\\:", 'C:\\Windows\\Fonts\\a b.ttf', ' pad ']) {
        const escaped = escapeFilterValue(value);
        const graph = ffmpegToken(`drawtext=text=${escaped}:x=1`, '[],;');
        expect(graph.rest).to.equal('');
        const options = graph.value.slice('drawtext='.length);
        const option = ffmpegToken(options.slice('text='.length), ':');
        expect(option.value, value).to.equal(value);
        expect(option.rest).to.equal(':x=1');
      }
    });

    it('should draw up to three watermarks, templates first then inline ones, each over the previous', () => {
      const inline = [text({}, { Text: 'inline1' }), text({}, { Text: 'inline2' })];
      const ids = ['t1318c5f428d474afba1797f84091cbe22', 't1318c5f428d474afba1797f84091cbe24'];
      const marks = BUILT_IN_TEMPLATES.resolveWatermarks({ WatermarkTemplateId: ids, Watermark: inline });
      expect(marks.map((m) => m.Text?.Text)).to.deep.equal(['emulator', 'preview', 'inline1']);
      const all = BUILT_IN_TEMPLATES.resolveWatermarks({
        WatermarkTemplateId: [...ids, 't1318c5f428d474afba1797f84091cbe23'],
        Watermark: inline,
      });
      expect(all).to.have.length(3);
      expect(all[2]!.Type).to.equal('Image');
      const graph = argAfter(plan({ watermarks: marks }).args, '-filter_complex')!;
      expect(graph.split(';').map((chain) => /^\[([\w:]+)\].*\[(\w+)\]$/.exec(chain)?.slice(1))).to.deep.equal([
        ['0:v', 'v0'],
        ['v0', 'v1'],
        ['v1', 'v2'],
        ['v2', 'v3'],
      ]);
      expect(graph.indexOf('text=emulator')).to.be.below(graph.indexOf('text=preview'));
      expect(graph.indexOf('text=preview')).to.be.below(graph.indexOf('text=inline1'));
    });

    it('should list the filters the binary needs and add image inputs in order', () => {
      const url = image().Image!.Url;
      const { args, filters } = plan({
        watermarks: [text(), image({}, { Mode: 'Proportion', Width: 10 }), image({ Pos: 'TopLeft' }, { Url: BUILT_IN_LOGO_URL })],
        images: new Map([[url, '/img/logo.png']]),
      });
      expect(filters).to.deep.equal(['color', 'colorchannelmixer', 'drawtext', 'format', 'overlay', 'scale', 'setsar']);
      expect(args.slice(args.indexOf('/img/logo.png') - 1, args.indexOf('-filter_complex'))).to.deep.equal([
        '-i',
        '/img/logo.png',
        '-f',
        'lavfi',
        '-i',
        'color=c=0x1E88E5:s=160x90:d=1',
      ]);
      expect(argAfter(args, '-filter_complex')).to.contain('[2:v]format=rgba');
      expect(argAfter(args, '-map')).to.equal('[v3]');
      expect(plan().filters).to.deep.equal(['scale', 'setsar']);
    });

    it('should fail clearly without a font for text or without the image file', () => {
      expect(() => plan({ watermarks: [text()], fontFile: undefined }))
        .to.throw(EncodePlanError, /font/)
        .with.property('code', 'FontNotFound');
      expect(() => plan({ watermarks: [image()] }))
        .to.throw(EncodePlanError, /logo\.png does not exist/)
        .with.property('code', 'ResourceNotFound');
      expect(() => plan({ watermarks: [image()], fontFile: undefined })).to.throw(EncodePlanError);
    });

    it('should find the bucket and key of an image URL', () => {
      const job = 'jobbucket-1250000000';
      const bucket = 'examplebucket-1250000000';
      const virtual = `https://${bucket}.cos.ap-guangzhou.myqcloud.com/a/logo%20x.png`;
      expect(imageObjectOf(virtual, job)).to.deep.equal({ bucket, key: 'a/logo x.png' });
      expect(imageObjectOf(`http://127.0.0.1:8700/${bucket}/logo.png`, job)).to.deep.equal({ bucket, key: 'logo.png' });
      const local = `http://${bucket}.cos.ap-guangzhou.localhost:8700/logo.png`;
      expect(imageObjectOf(local, job)).to.deep.equal({ bucket, key: 'logo.png' });
      expect(imageObjectOf(BUILT_IN_LOGO_URL, job)).to.deep.equal({ bucket: job, key: 'emulator-logo.png' });
      expect(imageObjectOf('http://localhost/', job)).to.equal(undefined);
      expect(imageObjectOf('not a url', job)).to.equal(undefined);
    });
  });

  describe('fonts', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fonts-'));
      await mkdir(join(dir, 'truetype/dejavu'), { recursive: true });
      await mkdir(join(dir, 'opentype/noto'), { recursive: true });
      for (const file of ['truetype/dejavu/DejaVuSans.ttf', 'opentype/noto/NotoSansCJK-Regular.ttc', 'Custom.TTF']) {
        await writeFile(join(dir, file), '');
      }
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('should fall back to DejaVu Sans from the optional dependency on a machine with no font', async () => {
      const font = await chooseFontFile({ dirs: [join(dir, 'missing')] });
      expect(font).to.match(/dejavu-fonts-ttf[\\/]ttf[\\/]DejaVuSans\.ttf$/);
      expect((await stat(font!)).size).to.be.above(100_000);
    });

    it('should take FontType when installed, a CJK font for Chinese fonts or text, else a sans-serif font', async () => {
      expect(await chooseFontFile({ fontType: 'custom.ttf', dirs: [dir] })).to.equal(join(dir, 'Custom.TTF'));
      expect(await chooseFontFile({ fontType: 'simfang.ttf', dirs: [dir] })).to.equal(join(dir, 'opentype/noto/NotoSansCJK-Regular.ttc'));
      expect(await chooseFontFile({ texts: ['水印'], dirs: [dir] })).to.equal(join(dir, 'opentype/noto/NotoSansCJK-Regular.ttc'));
      expect(await chooseFontFile({ fontType: 'arial.ttf', dirs: [dir] })).to.equal(join(dir, 'truetype/dejavu/DejaVuSans.ttf'));
      expect(await chooseFontFile({ dirs: [join(dir, 'missing')], packaged: null })).to.equal(undefined);
      expect(fontQueryFor([image(), text({}, { FontType: 'simhei.ttf', Text: 'a' })])).to.deep.equal({ fontType: 'simhei.ttf', texts: ['a'] });
      expect(fontQueryFor([image()])).to.equal(undefined);
    });
  });

  describe('with the real FFmpeg', () => {
    let ffmpeg: string | undefined;
    let dir: string;
    before(async function () {
      requireMediaTools();
      ffmpeg = FFMPEG;
      dir = await mkdtemp(join(tmpdir(), 'hostile-'));
    });
    after(() => dir && rm(dir, { recursive: true, force: true }));

    it('should only need encoders and filters the packaged FFmpeg has, for every built-in template', async () => {
      const list = async (what: string) => (await promisify(execFile)(ffmpeg!, ['-hide_banner', what])).stdout;
      const encoders = new Set([...(await list('-encoders')).matchAll(/^ [A-Z.]{6} (\S+)/gm)].map((m) => m[1]));
      const filters = new Set([...(await list('-filters')).matchAll(/^ [A-Z.|]{2,3} (\S+)/gm)].map((m) => m[1]));
      const ids = ['22', '23', '24'].map((end) => `t1318c5f428d474afba1797f84091cbe${end}`);
      const watermarks = BUILT_IN_TEMPLATES.resolveWatermarks({ WatermarkTemplateId: ids });
      for (const each of BUILT_IN_TEMPLATES.list().transcode) {
        const needs = plan({ template: each, watermarks });
        expect(needs.encoders.filter((name) => !encoders.has(name)), each.name).to.deep.equal([]);
        expect(needs.filters.filter((name) => !filters.has(name)), each.name).to.deep.equal([]);
      }
    });

    it('should draw hostile text literally, exactly as FFmpeg draws the same text from a file', async () => {
      const font = await chooseFontFile({});
      if (font === undefined) return;
      const hostile = "it's %{localtime} a:b \\ [x],y;z";
      await writeFile(join(dir, 'text.txt'), hostile);
      const frame = async (option: string): Promise<Buffer> => {
        const draw = `fontfile=${escapeFilterValue(font)}:${option}:expansion=none:fontsize=16:fontcolor=white:x=2:y=10`;
        const graph = `color=c=black:s=480x40:d=1,drawtext=${draw}`;
        const args = ['-v', 'error', '-f', 'lavfi', '-i', graph, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'];
        const { stdout } = await promisify(execFile)(ffmpeg!, args, { encoding: 'buffer' });
        return stdout;
      };
      const inline = await frame(`text=${escapeFilterValue(hostile)}`);
      const fromFile = await frame(`textfile=${escapeFilterValue(join(dir, 'text.txt'))}`);
      expect(inline.length).to.equal(480 * 40);
      expect(inline.some((byte) => byte > 128)).to.equal(true);
      expect(inline.equals(fromFile)).to.equal(true);
    });
  });
});
