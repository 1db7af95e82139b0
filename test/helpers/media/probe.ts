// What ffprobe says about a file, reduced to what the media tests compare.
import { FFPROBE, run } from './tools.js';

/** A file as ffprobe sees it. */
export interface ProbedFile {
  /** ffprobe's `format_name` (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`). */
  container: string;
  /** The first video stream's codec (`h264`, `hevc`, `vp9`). */
  codec: string | undefined;
  width: number | undefined;
  height: number | undefined;
  /** The first video stream's codec tag (`avc1`, `hvc1`). */
  codecTag: string | undefined;
  /** Container duration, seconds. */
  duration: number;
  /** Video packets counted by reading the file (= frames). */
  frames: number | undefined;
  /** `r_frame_rate` as a number. */
  fps: number | undefined;
  audioCodec: string | undefined;
  sampleRate: number | undefined;
  channels: number | undefined;
  /** The raw JSON, for anything else. */
  raw: { streams: Record<string, unknown>[]; format: Record<string, unknown> };
}

const rate = (value: unknown): number | undefined => {
  const [num, den] = String(value ?? '').split('/').map(Number);
  return num && den ? num / den : undefined;
};
const num = (value: unknown): number | undefined => (value === undefined ? undefined : Number(value));

/** Probes a file with ffprobe (`-count_packets`). */
export async function probeFile(file: string): Promise<ProbedFile> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-count_packets', file];
  const raw = JSON.parse((await run(FFPROBE, args, 30_000)).toString()) as ProbedFile['raw'];
  const video = raw.streams.find((stream) => stream['codec_type'] === 'video');
  const audio = raw.streams.find((stream) => stream['codec_type'] === 'audio');
  return {
    container: String(raw.format['format_name']),
    codec: video?.['codec_name'] as string | undefined,
    width: num(video?.['width']),
    height: num(video?.['height']),
    codecTag: video?.['codec_tag_string'] as string | undefined,
    duration: Number(raw.format['duration']),
    frames: num(video?.['nb_read_packets']),
    fps: rate(video?.['r_frame_rate']),
    audioCodec: audio?.['codec_name'] as string | undefined,
    sampleRate: num(audio?.['sample_rate']),
    channels: num(audio?.['channels']),
    raw,
  };
}
