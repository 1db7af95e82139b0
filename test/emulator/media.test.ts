import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MediaInfoSchema } from '../../src/core/protocol/media-info.js';
import {
  WATERMARK_BOX_UUID,
  extractWatermark,
  watermarkBox,
  writeWatermarkedCopy,
  type DigitalWatermarkMark,
} from '../../src/emulator/media/digital-watermark.js';
import { mediaInfoFromProbe } from '../../src/emulator/media/media-info.js';
import { MediaProbeError, probeMp4, type Mp4Probe } from '../../src/emulator/media/mp4-probe.js';

const fixture = fileURLToPath(new URL('../fixtures/media/sample-640x360.mp4', import.meta.url));
const V1 = { type: 'Text', version: 'V1' } as const;
const mark = (message: string): DigitalWatermarkMark => ({ ...V1, message });

const u32 = (value: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};
const u64 = (value: number): Buffer => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(value));
  return bytes;
};
/** A box with a 32-bit size. */
const box = (type: string, ...payload: Buffer[]): Buffer => {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
};
/** A full box: version, 24-bit flags, fields. */
const fullBox = (type: string, version: number, ...fields: Buffer[]): Buffer =>
  box(type, Buffer.from([version, 0, 0, 0]), ...fields);

/** The top-level boxes of the fixture (each type appears once). */
function topLevel(bytes: Buffer): Record<string, Buffer> {
  const boxes: Record<string, Buffer> = {};
  for (let at = 0; at < bytes.length; ) {
    const size = bytes.readUInt32BE(at);
    boxes[bytes.toString('latin1', at + 4, at + 8)] = bytes.subarray(at, at + size);
    at += size;
  }
  return boxes;
}

/** Deterministic noise. */
const noise = (length: number): Buffer =>
  Buffer.concat(Array.from({ length: Math.ceil(length / 32) }, (_, i) => createHash('sha256').update(`n${i}`).digest()))
    .subarray(0, length);

/** An MP4 with version 1 headers, one HEVC track rotated by 90 degrees and an English language. */
function syntheticHevc(): Buffer {
  const zeros = (length: number) => Buffer.alloc(length);
  const matrix = Buffer.concat([0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000].map((v) => {
    const bytes = Buffer.alloc(4);
    bytes.writeInt32BE(v);
    return bytes;
  }));
  const language = (code: string) => {
    const [a, b, c] = [...code].map((ch) => ch.charCodeAt(0) - 0x60) as [number, number, number];
    return Buffer.from([((a << 10) | (b << 5) | c) >> 8, ((a << 10) | (b << 5) | c) & 0xff]);
  };
  const size = Buffer.from([0x07, 0x80, 0x04, 0x38]); // 1920 x 1080
  const visual = Buffer.concat([zeros(6), Buffer.from([0, 1]), zeros(16), size, zeros(50)]);
  const hvcC = box('hvcC', Buffer.from([1, 0x01, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 120]), zeros(10));
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, u32(1), box('hvc1', visual, hvcC)),
    fullBox('stsz', 0, u32(1000), u32(50)),
  );
  const mdia = box(
    'mdia',
    fullBox('mdhd', 1, zeros(16), u32(25_000), u64(50_000), language('eng'), zeros(2)),
    fullBox('hdlr', 0, zeros(4), Buffer.from('vide'), zeros(13)),
    box('minf', stbl),
  );
  const display = [u32(1080 << 16), u32(1920 << 16)];
  const tkhd = fullBox('tkhd', 1, zeros(16), u32(7), zeros(4), u64(2000), zeros(16), matrix, ...display);
  const mvhd = fullBox('mvhd', 1, zeros(16), u32(1000), u64(2000), zeros(80));
  return Buffer.concat([box('ftyp', Buffer.from('qt  '), zeros(4)), box('moov', mvhd, box('trak', tkhd, mdia))]);
}

async function probeError(promise: Promise<unknown>): Promise<MediaProbeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(MediaProbeError);
    return error as MediaProbeError;
  }
  expect.fail('expected a MediaProbeError');
}

describe('emulator media', () => {
  let dir: string;
  let original: Buffer;
  let boxes: Record<string, Buffer>;
  let probe: Mp4Probe;
  let count = 0;
  const temp = async (bytes: Buffer): Promise<string> => {
    const path = join(dir, `file-${(count += 1)}.mp4`);
    await writeFile(path, bytes);
    return path;
  };
  const output = (): string => join(dir, `out-${(count += 1)}.mp4`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cos-transcoder-media-'));
    original = await readFile(fixture);
    boxes = topLevel(original);
    probe = await probeMp4(fixture);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('probeMp4', () => {
    it('should read the duration, brand and tracks of the fixture', () => {
      expect(probe.fileSize).to.equal(original.length);
      expect(probe.majorBrand).to.equal('isom');
      expect(probe.durationSeconds).to.be.closeTo(4, 0.05);
      expect(probe.bitrate).to.equal((original.length * 8) / probe.durationSeconds);
      expect(probe.boxes.map((b) => b.type)).to.deep.equal(['ftyp', 'moov', 'free', 'mdat']);
      const [video, audio] = probe.tracks;
      expect(video).to.include({ kind: 'video', handlerType: 'vide', codec: 'avc1', width: 640, height: 360 });
      expect(video).to.include({ displayWidth: 640, displayHeight: 360, rotation: 0, language: 'und' });
      expect(video).to.include({ sampleCount: 120, timescale: 15360, profileIdc: 100, levelIdc: 30 });
      expect(video?.durationSeconds).to.be.closeTo(4, 0.05);
      expect(audio).to.include({ kind: 'audio', handlerType: 'soun', codec: 'mp4a', channels: 2, sampleRate: 44100 });
      expect(audio?.sampleCount).to.be.greaterThan(0);
    });

    it('should probe a file whose moov follows its mdat', async () => {
      const file = await temp(Buffer.concat([boxes.ftyp!, boxes.free!, boxes.mdat!, boxes.moov!]));
      const moved = await probeMp4(file);
      expect(moved.boxes.map((b) => b.type)).to.deep.equal(['ftyp', 'free', 'mdat', 'moov']);
      expect(moved.tracks).to.deep.equal(probe.tracks);
    });

    it('should read a 64-bit largesize box', async () => {
      const mdat = boxes.mdat!;
      const large = Buffer.concat([u32(1), Buffer.from('mdat'), u64(mdat.length + 8), mdat.subarray(8)]);
      const file = await temp(Buffer.concat([boxes.ftyp!, boxes.moov!, large]));
      const header = (await probeMp4(file)).boxes.at(-1);
      expect(header).to.include({ type: 'mdat', headerSize: 16, size: mdat.length + 8, toEndOfFile: false });
    });

    it('should take a last box with size 0 to the end of the file', async () => {
      const openEnded = Buffer.concat([u32(0), boxes.mdat!.subarray(4)]);
      const file = await temp(Buffer.concat([boxes.ftyp!, boxes.moov!, openEnded]));
      const result = await probeMp4(file);
      expect(result.boxes.at(-1)).to.include({ type: 'mdat', size: boxes.mdat!.length, toEndOfFile: true });
      expect(result.tracks).to.deep.equal(probe.tracks);
    });

    it('should read version 1 headers, HEVC and a rotation matrix', async () => {
      const result = await probeMp4(await temp(syntheticHevc()));
      expect(result).to.include({ majorBrand: 'qt  ', timescale: 1000, duration: 2000, durationSeconds: 2 });
      expect(result.tracks[0]).to.include({ trackId: 7, codec: 'hvc1', width: 1920, height: 1080, rotation: 90 });
      expect(result.tracks[0]).to.include({ language: 'eng', durationSeconds: 2, sampleCount: 50 });
      expect(result.tracks[0]).to.include({ sampleBytes: 50_000 });
      expect(result.tracks[0]).to.include({ displayWidth: 1080, displayHeight: 1920, profileIdc: 1, levelIdc: 120 });
    });

    it('should reject a file truncated in its mdat or its moov', async () => {
      const inMdat = await probeError(probeMp4(await temp(original.subarray(0, 100_000))));
      expect(inMdat.message).to.match(/'mdat' at offset 5636 .* runs past the end of the file/);
      const inMoov = await probeError(probeMp4(await temp(original.subarray(0, 1000))));
      expect(inMoov.message).to.match(/'moov' .* runs past the end of the file/);
    });

    it('should reject random bytes and an empty file as not an MP4', async () => {
      expect((await probeError(probeMp4(await temp(noise(4096))))).message).to.match(/^not an MP4 file/);
      expect((await probeError(probeMp4(await temp(Buffer.alloc(0))))).message).to.match(/not an MP4 file: .*empty/);
      const text = await temp(Buffer.from('<html><body>not a video</body></html>'));
      expect((await probeError(probeMp4(text))).message).to.match(/^not an MP4 file/);
    });

    it('should reject a file without a moov', async () => {
      const error = await probeError(probeMp4(await temp(Buffer.concat([boxes.ftyp!, boxes.mdat!]))));
      expect(error.message).to.match(/no 'moov'/);
    });

    it('should reject box sizes smaller than their header', async () => {
      const tiny = await temp(Buffer.concat([boxes.ftyp!, u32(4), Buffer.from('free')]));
      expect((await probeError(probeMp4(tiny))).message).to.match(/'free' at offset 32 has an invalid size 4/);
      const largeTiny = await temp(Buffer.concat([boxes.ftyp!, u32(1), Buffer.from('free'), u64(8)]));
      expect((await probeError(probeMp4(largeTiny))).message).to.match(/invalid size 8/);
    });

    it('should reject a child box that runs past its parent', async () => {
      const moov = Buffer.from(boxes.moov!);
      moov.writeUInt32BE(0x7fffffff, 8); // mvhd size
      const error = await probeError(probeMp4(await temp(Buffer.concat([boxes.ftyp!, moov, boxes.mdat!]))));
      expect(error.message).to.match(/'mvhd' in 'moov' .* runs past the end of its parent 'moov'/);
    });

    it('should reject a sample table that claims more samples than it holds', async () => {
      const moov = Buffer.from(boxes.moov!);
      moov.writeUInt32BE(0x10000000, moov.indexOf('stsz') + 12); // sample_count of the first stsz
      const error = await probeError(probeMp4(await temp(Buffer.concat([boxes.ftyp!, moov, boxes.mdat!]))));
      expect(error.message).to.equal("malformed MP4: the 'stsz' box is truncated");
    });

    it('should refuse a moov over 16 MiB without reading it', async () => {
      const file = join(dir, 'huge-moov.mp4');
      const handle = await open(file, 'w');
      const size = 16 * 1024 * 1024 + 100;
      await handle.write(Buffer.concat([boxes.ftyp!, u32(size), Buffer.from('moov')]));
      await handle.truncate(boxes.ftyp!.length + size);
      await handle.close();
      expect((await probeError(probeMp4(file))).message).to.match(/'moov' box .* is over 16 MiB/);
    });

    it('should give up on a file of endless empty boxes', async () => {
      const empty = box('free');
      const file = await temp(Buffer.concat([boxes.ftyp!, ...Array.from({ length: 100_001 }, () => empty)]));
      expect((await probeError(probeMp4(file))).message).to.match(/over 100000 top-level boxes/);
    });
  });

  describe('mediaInfoFromProbe', () => {
    it('should describe the fixture as the service does', () => {
      const info = mediaInfoFromProbe(probe, original.length);
      expect(info.Format).to.deep.equal({
        Bitrate: ((original.length * 8) / 4000).toFixed(6),
        Duration: '4.000000',
        FormatLongName: 'QuickTime / MOV',
        FormatName: 'mov,mp4,m4a,3gp,3g2,mj2',
        NumProgram: '0',
        NumStream: '2',
        Size: String(original.length),
        StartTime: '0.000000',
      });
      expect(info.Stream.Video).to.have.length(1);
      expect(info.Stream.Video[0]).to.include({ Index: '0', CodecName: 'h264', CodecTag: '0x31637661' });
      expect(info.Stream.Video[0]).to.include({ CodecTagString: 'avc1', Language: 'und', StartTime: '0.000000' });
      expect(info.Stream.Video[0]).to.include({ Width: '640', Height: '360', NumFrames: '120', Fps: '30.000000' });
      expect(info.Stream.Video[0]).to.include({ AvgFps: '30.000000', Timebase: '1/15360', PixFormat: 'yuv420p' });
      expect(info.Stream.Video[0]).to.include({ Profile: 'High', Dar: '16:9', Rotation: '0', Duration: '4.000000' });
      expect(info.Stream.Audio[0]).to.include({ Index: '1', CodecName: 'aac', CodecTag: '0x6134706d', Channel: '2' });
      expect(info.Stream.Audio[0]).to.include({ ChannelLayout: 'stereo', SampleRate: '44100', SampleFmt: 'fltp' });
      expect(info.Stream.Audio[0]).to.include({ CodecLongName: 'AAC (Advanced Audio Coding)', Timebase: '1/44100' });
      expect(info.Stream.Subtitle).to.deep.equal([]);
    });

    it('should write every value as a string and parse with MediaInfoSchema', () => {
      const info = mediaInfoFromProbe(probe);
      const values = [info.Format, ...info.Stream.Video, ...info.Stream.Audio].flatMap((part) => Object.values(part));
      expect(values.every((value) => typeof value === 'string' && value !== '')).to.equal(true);
      const parsed = MediaInfoSchema.parse(info);
      expect(parsed.Format).to.include({ Duration: 4, Size: original.length, NumStream: 2 });
      expect(parsed.Stream?.Video[0]).to.include({ Width: 640, Height: 360, NumFrames: 120, CodecName: 'h264' });
      expect(parsed.Stream?.Audio[0]).to.include({ SampleRate: 44100, Channel: 2, CodecName: 'aac' });
    });

    it('should describe HEVC with its profile, level, rotation and language', async () => {
      const info = mediaInfoFromProbe(await probeMp4(await temp(syntheticHevc())));
      const [video] = info.Stream.Video;
      expect(video).to.include({ CodecName: 'hevc', CodecTag: '0x31637668', Profile: 'Main', Level: '120' });
      expect(video).to.include({ Rotation: '90', Language: 'eng', Fps: '25.000000', Timebase: '1/25000' });
      expect(video).not.to.have.property('Sar');
      expect(info.Stream.Audio).to.deep.equal([]);
      expect(MediaInfoSchema.parse(info).Stream?.Video[0]?.Rotation).to.equal(90);
    });
  });

  describe('digital watermark', () => {
    it('should embed a message that extraction finds again, keeping the file an MP4', async () => {
      const out = output();
      const { size } = await writeWatermarkedCopy(fixture, out, mark('emulator_Mark-01*'));
      const written = await readFile(out);
      expect(size).to.equal(written.length).and.equal(original.length + watermarkBox(mark('emulator_Mark-01*')).length);
      expect(written.subarray(0, original.length).equals(original)).to.equal(true);
      const userType = WATERMARK_BOX_UUID.replaceAll('-', '');
      expect(written.toString('hex', original.length + 8, original.length + 24)).to.equal(userType);
      const reprobed = await probeMp4(out);
      expect(reprobed.tracks).to.deep.equal(probe.tracks);
      expect(reprobed.boxes.at(-1)).to.include({ type: 'uuid', userType });
      expect(await extractWatermark(out, V1)).to.deep.equal({ found: true, message: 'emulator_Mark-01*' });
    });

    it('should round-trip a Chinese message of 64 characters', async () => {
      const message = '数字水印'.repeat(16);
      const out = output();
      await writeWatermarkedCopy(fixture, out, mark(message));
      expect(await extractWatermark(out, V1)).to.deep.equal({ found: true, message });
    });

    it('should replace an existing watermark instead of adding another', async () => {
      const [first, second] = [output(), output()];
      await writeWatermarkedCopy(fixture, first, mark('first'));
      const { size } = await writeWatermarkedCopy(first, second, mark('第二'));
      expect(size).to.equal(original.length + watermarkBox(mark('第二')).length);
      expect((await probeMp4(second)).boxes.filter((b) => b.type === 'uuid')).to.have.length(1);
      expect(await extractWatermark(second, V1)).to.deep.equal({ found: true, message: '第二' });
    });

    it('should close an open-ended last box before appending the watermark', async () => {
      const openEnded = Buffer.concat([boxes.ftyp!, boxes.moov!, u32(0), boxes.mdat!.subarray(4)]);
      const out = output();
      await writeWatermarkedCopy(await temp(openEnded), out, mark('closed'));
      const result = await probeMp4(out);
      expect(result.boxes.map((b) => [b.type, b.size, b.toEndOfFile])).to.deep.equal([
        ['ftyp', boxes.ftyp!.length, false],
        ['moov', boxes.moov!.length, false],
        ['mdat', boxes.mdat!.length, false],
        ['uuid', watermarkBox(mark('closed')).length, false],
      ]);
      expect(await extractWatermark(out, V1)).to.deep.equal({ found: true, message: 'closed' });
    });

    it('should copy byte for byte without a mark', async () => {
      const out = output();
      expect(await writeWatermarkedCopy(fixture, out, undefined)).to.deep.equal({ size: original.length });
      expect((await readFile(out)).equals(original)).to.equal(true);
    });

    it('should report no watermark in the plain fixture', async () => {
      expect(await extractWatermark(fixture, V1)).to.deep.equal({ found: false, reason: 'no digital watermark found' });
    });

    it('should report a type or version mismatch', async () => {
      const out = output();
      await writeWatermarkedCopy(fixture, out, mark('abc'));
      expect(await extractWatermark(out, { type: 'Text', version: 'V2' })).to.deep.equal({
        found: false,
        reason: 'watermark type/version mismatch',
      });
    });

    it('should detect a corrupt payload', async () => {
      const out = output();
      await writeWatermarkedCopy(fixture, out, mark('intact'));
      const bytes = await readFile(out);
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0x01, bytes.length - 1);
      expect(await extractWatermark(await temp(bytes), V1)).to.deep.equal({
        found: false,
        reason: 'watermark payload is corrupt',
      });
    });

    it('should answer not an MP4 file for other content instead of throwing', async () => {
      for (const bytes of [noise(1000), Buffer.alloc(0), original.subarray(0, 50_000)]) {
        const result = await extractWatermark(await temp(bytes), V1);
        expect(result).to.deep.equal({ found: false, reason: 'not an MP4 file' });
      }
    });

    it('should refuse to watermark content that is not an MP4', async () => {
      await probeError(writeWatermarkedCopy(await temp(noise(1000)), output(), mark('abc')));
    });

    it('should reject hostile or overlong messages', () => {
      for (const message of ['', 'a'.repeat(65), '水'.repeat(65), '<script>', 'a b', 'x\u0000', 'smile😀', 'é']) {
        expect(() => watermarkBox(mark(message)), JSON.stringify(message)).to.throw(RangeError);
      }
      const wrongVersion = { ...mark('ok'), version: 'V2' } as unknown as DigitalWatermarkMark;
      expect(() => watermarkBox(wrongVersion)).to.throw(RangeError);
    });

    it('should refuse to overwrite its input', async () => {
      const file = await temp(original);
      try {
        await writeWatermarkedCopy(file, file, mark('abc'));
        expect.fail('expected a RangeError');
      } catch (error) {
        expect(error).to.be.instanceOf(RangeError);
      }
      expect((await readFile(file)).equals(original)).to.equal(true);
    });
  });
});
