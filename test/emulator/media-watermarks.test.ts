// Visible watermarks really drawn, over HTTP: a text and an image watermark (the image an object uploaded to the
// bucket) change the decoded pixels inside the box the template puts them in and (nearly) nowhere else, compared
// with the same frame of an output of the same template without watermark; the nine positions land where named.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Watermark, WatermarkPosition } from '../../src/core/protocol/watermark.js';
import type { Emulator } from '../../src/emulator/index.js';
import { BUCKET, REGION, seedObject } from '../helpers/emulator.js';
import { generateClip, generatePng } from '../helpers/media/clips.js';
import { decodeFrame, frameDifference, type Box, type RgbFrame } from '../helpers/media/frames.js';
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

  /** Transcodes the clip with `watermarks` and decodes the frame at {@link AT}. */
  async function frameWith(watermarks: Watermark[]): Promise<RgbFrame> {
    const operation = watermarks.length > 0 ? { Watermark: watermarks } : {};
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

  it('should draw an image object of the bucket at the bottom right, sized as asked, and nothing else', async () => {
    const box = logoBox('BottomRight');
    const diff = frameDifference(plain, await frameWith([image('BottomRight')]), box, MARGIN);
    expect(diff.inside, 'inside the picture').to.be.above(INSIDE_MIN * 2);
    expect(diff.outside, 'outside the picture').to.be.below(OUTSIDE_MAX);
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
