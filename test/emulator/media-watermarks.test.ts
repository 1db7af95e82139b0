// Visible watermarks really drawn, over HTTP: a text and an image watermark (the image an object uploaded to the
// bucket) change the decoded pixels inside the box the template puts them in and (nearly) nowhere else, compared
// with the same frame of an output of the same template without watermark; the nine positions land where named.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Watermark, WatermarkPosition } from '../../src/core/protocol/watermark.js';
import type { Emulator } from '../../src/emulator/index.js';
import { BUCKET, REGION, permanentKeys, seedObject, send } from '../helpers/emulator.js';
import { generateClip, generatePng } from '../helpers/media/clips.js';
import { changedBox, decodeFrame, frameDifference, type Box, type RgbFrame } from '../helpers/media/frames.js';
import {
  download,
  outputKey,
  requireMediaTools,
  startMediaEmulator,
  submitTranscode,
  succeeded,
} from './media-support.js';

/** `emulator_mp4_h264_480p`: 854x480 at CRF 23 without a bitrate cap, so an unchanged area encodes (nearly) alike. */
const TEMPLATE = 't1e5b0d1a5a2c94c0f9a7c3d2e1f0a9b8d';
const [W, H] = [854, 480];
const LOGO_URL = `https://${BUCKET}.cos.${REGION}.myqcloud.com/wm/logo.png`;
const LOGO = { width: 64, height: 36 };
/** Seconds into the 2 s clip of the compared frame. */
const AT = 1;
/** Thresholds (mean absolute difference, 0-255) robust to encoder noise, measured: inside 27-250, outside 0.0-0.7. */
const [INSIDE_MIN, OUTSIDE_MAX, MARGIN] = [20, 2, 8];

const image = (pos: WatermarkPosition, dx = 8, dy = 8): Watermark => ({
  Type: 'Image',
  Pos: pos,
  LocMode: 'Absolute',
  Dx: dx,
  Dy: dy,
  Image: { Url: LOGO_URL, Mode: 'Fixed', Width: LOGO.width, Transparency: 100 },
});

/** Where a `LOGO`-sized picture at `pos` with offsets 8/8 lands in the 854x480 output. */
function logoBox(pos: WatermarkPosition): Box {
  const column = pos.endsWith('Left') ? 'left' : pos.endsWith('Right') ? 'right' : 'center';
  const row = pos.startsWith('Top') ? 'top' : pos.startsWith('Bottom') ? 'bottom' : 'middle';
  const x = column === 'left' ? 8 : column === 'right' ? W - LOGO.width - 8 : Math.floor((W - LOGO.width) / 2);
  const y = row === 'top' ? 8 : row === 'bottom' ? H - LOGO.height - 8 : Math.floor((H - LOGO.height) / 2);
  return { x, y, ...LOGO };
}

describe('emulator media: visible watermarks drawn where the template puts them', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let dir: string;
  let plain: RgbFrame;

  /** Transcodes the clip with `watermarks` (or watermark template ids) and decodes the frame at {@link AT}. */
  async function frameWith(watermarks: Watermark[], templateIds: string[] = []): Promise<RgbFrame> {
    const operation = {
      ...(watermarks.length > 0 ? { Watermark: watermarks } : {}),
      ...(templateIds.length > 0 ? { WatermarkTemplateId: templateIds } : {}),
    };
    const id = await submitTranscode(emulator, 'in/clip.mp4', TEMPLATE, operation);
    const { file } = await download(emulator, outputKey(await succeeded(emulator, id)), dir);
    return decodeFrame(file, AT);
  }

  before(async function () {
    requireMediaTools(this);
    dir = await mkdtemp(join(tmpdir(), 'media-watermarks-'));
    emulator = await startMediaEmulator();
    const clip = await generateClip(dir, 'clip.mp4', { width: 320, height: 180, seconds: 2 });
    await seedObject(emulator, 'in/clip.mp4', clip);
    await seedObject(emulator, 'wm/logo.png', await generatePng(dir, 'logo.png', LOGO.width, LOGO.height, 'magenta'));
    plain = await frameWith([]);
    expect([plain.width, plain.height]).to.deep.equal([W, H]);
  });
  after(async () => {
    await emulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should draw a text watermark inside its box at the top left and change nothing else', async () => {
    const fontSize = 32;
    const text: Watermark = {
      Type: 'Text',
      Pos: 'TopLeft',
      LocMode: 'Absolute',
      Dx: 10,
      Dy: 10,
      Text: { Text: 'EMU', FontSize: fontSize, FontColor: '0xFF00FF', Transparency: 100 },
    };
    // Three glyphs of a 32 px font from (10, 10): at most 0.8 em wide each, one em high.
    const box = { x: 10, y: 10, width: Math.ceil(3 * 0.8 * fontSize), height: fontSize };
    const diff = frameDifference(plain, await frameWith([text]), box, MARGIN);
    expect(diff.inside, 'inside the text box').to.be.above(INSIDE_MIN);
    expect(diff.outside, 'outside the text box').to.be.below(OUTSIDE_MAX);
  });

  it('should draw a text watermark template created with POST /template where it says', async () => {
    const body =
      '<Request><Tag>Watermark</Tag><Name>api_text</Name><Watermark><Type>Text</Type><Pos>TopLeft</Pos>' +
      '<LocMode>Absolute</LocMode><Dx>10</Dx><Dy>10</Dy><Text><Text>EMU</Text><FontSize>32</FontSize>' +
      '<FontColor>0xFF00FF</FontColor><Transparency>100</Transparency></Text></Watermark></Request>';
    const keys = permanentKeys(emulator);
    const created = await send(emulator, { service: 'ci', method: 'POST', path: '/template', body, keys });
    expect(created.status, created.text).to.equal(200);
    const id = /<TemplateId>(t1[0-9a-f]{32})<\/TemplateId>/.exec(created.text)?.[1];
    expect(id, 'TemplateId').to.be.a('string');
    const box = { x: 10, y: 10, width: Math.ceil(3 * 0.8 * 32), height: 32 };
    const diff = frameDifference(plain, await frameWith([], [id!]), box, MARGIN);
    expect(diff.inside, 'inside the text box').to.be.above(INSIDE_MIN);
    expect(diff.outside, 'outside the text box').to.be.below(OUTSIDE_MAX);
  });

  it('should draw an image object of the bucket at the bottom right, sized as asked, and nothing else', async () => {
    const box = logoBox('BottomRight');
    const diff = frameDifference(plain, await frameWith([image('BottomRight')]), box, MARGIN);
    expect(diff.inside, 'inside the picture').to.be.above(INSIDE_MIN * 2);
    expect(diff.outside, 'outside the picture').to.be.below(OUTSIDE_MAX);
  });

  it('should draw the built-in watermark templates by id: text top right, logo bottom left', async () => {
    // emulator_text_top_right: "emulator", 24 px, 16 px from the top and right edges. emulator_image_bottom_left: a
    // 160x90 badge (no emulator-logo.png in the bucket) at 10 % of the width (85x48), 2 % from the left and bottom.
    const frame = await frameWith([], ['t1318c5f428d474afba1797f84091cbe22', 't1318c5f428d474afba1797f84091cbe23']);
    const textArea = { x: W - 16 - 8 * 24, y: 16 - 4, width: 8 * 24, height: 24 + 8 };
    const logo = { x: Math.round(0.02 * W), y: H - Math.round(0.02 * H) - 48, width: 85, height: 48 };
    const text = changedBox(plain, frame, 60, textArea);
    expect(text, 'the text at the top right').to.not.equal(undefined);
    expect(text!.x + text!.width, 'its right edge').to.be.within(W - 16 - 8, W - 16);
    expect(text!.y, 'its top').to.be.at.least(16);
    expect(text!.y + text!.height, 'its bottom').to.be.at.most(16 + 24 + 2);
    expect(text!.width, 'eight letters').to.be.above(60);
    expect(frameDifference(plain, frame, logo).inside, 'the logo').to.be.above(INSIDE_MIN * 2);
    expect(frameDifference(plain, frame, [textArea, logo], MARGIN).outside, 'elsewhere').to.be.below(OUTSIDE_MAX);
  });

  it('should put image watermarks at each of the nine positions (three jobs of three)', async () => {
    const positions: WatermarkPosition[][] = [
      ['TopLeft', 'Top', 'TopRight'],
      ['Left', 'Center', 'Right'],
      ['BottomLeft', 'Bottom', 'BottomRight'],
    ];
    const frames = await Promise.all(positions.map((row) => frameWith(row.map((pos) => image(pos)))));
    positions.forEach((row, index) => {
      const boxes = row.map(logoBox);
      row.forEach((pos, at) => {
        expect(frameDifference(plain, frames[index]!, boxes[at]!).inside, pos).to.be.above(INSIDE_MIN * 2);
      });
      expect(frameDifference(plain, frames[index]!, boxes, MARGIN).outside, row.join(', ')).to.be.below(OUTSIDE_MAX);
    });
  });
});
