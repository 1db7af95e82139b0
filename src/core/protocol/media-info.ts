import * as z from 'zod/mini';
import { container, looseNumber, oneOrMany, optionalText, text } from './schema-helpers.js';

/*
 * Media information and results are display-only: numbers the service sends as strings ("830.482000") become
 * numbers, values that do not parse are dropped, and fractions (`Fps` "30/1", `Timebase`) stay text.
 */

/** `MediaInfo.Format`: the container of the (output) file. */
export const MediaFormatSchema = container({
  Bitrate: looseNumber,
  Duration: looseNumber,
  FormatLongName: optionalText,
  FormatName: optionalText,
  NumProgram: looseNumber,
  NumStream: looseNumber,
  Size: looseNumber,
  StartTime: looseNumber,
});
/** Parsed `MediaInfo.Format`: `Bitrate` in kbps, `Duration` and `StartTime` in seconds, `Size` in bytes. */
export type MediaFormat = z.output<typeof MediaFormatSchema>;

/** One `MediaInfo.Stream.Video`. */
export const VideoStreamSchema = container({
  AvgFps: optionalText,
  Bitrate: looseNumber,
  CodecLongName: optionalText,
  CodecName: optionalText,
  CodecTag: optionalText,
  CodecTagString: optionalText,
  CodecTimeBase: optionalText,
  ColorPrimaries: optionalText,
  ColorRange: optionalText,
  ColorTransfer: optionalText,
  Dar: optionalText,
  Duration: looseNumber,
  FieldOrder: optionalText,
  Fps: optionalText,
  HasBFrame: optionalText,
  Height: looseNumber,
  Index: looseNumber,
  Language: optionalText,
  Level: optionalText,
  NumFrames: looseNumber,
  PixFormat: optionalText,
  Profile: optionalText,
  RefFrames: looseNumber,
  Rotation: looseNumber,
  Sar: optionalText,
  StartTime: looseNumber,
  Timebase: optionalText,
  Width: looseNumber,
});
/** A parsed video stream. */
export type VideoStream = z.output<typeof VideoStreamSchema>;

/** One `MediaInfo.Stream.Audio`. */
export const AudioStreamSchema = container({
  Bitrate: looseNumber,
  Channel: looseNumber,
  ChannelLayout: optionalText,
  CodecLongName: optionalText,
  CodecName: optionalText,
  CodecTag: optionalText,
  CodecTagString: optionalText,
  CodecTimeBase: optionalText,
  Duration: looseNumber,
  Index: looseNumber,
  Language: optionalText,
  SampleFmt: optionalText,
  SampleRate: looseNumber,
  StartTime: looseNumber,
  Timebase: optionalText,
});
/** A parsed audio stream. */
export type AudioStream = z.output<typeof AudioStreamSchema>;

/** One `MediaInfo.Stream.Subtitle` (usually absent or an empty element). */
export const SubtitleStreamSchema = container({ Index: looseNumber, Language: optionalText });
/** A parsed subtitle stream. */
export type SubtitleStream = z.output<typeof SubtitleStreamSchema>;

/** `Operation.MediaInfo`: streams are always arrays; `<Format/>` parses as `{}`. */
export const MediaInfoSchema = container({
  Format: z.optional(MediaFormatSchema),
  Stream: z.optional(
    container({
      Video: oneOrMany(VideoStreamSchema),
      Audio: oneOrMany(AudioStreamSchema),
      Subtitle: oneOrMany(SubtitleStreamSchema),
    }),
  ),
});
/** Parsed media information of a job's output. */
export type MediaInfo = z.output<typeof MediaInfoSchema>;

/** `Md5Info` of an output file. */
export const Md5InfoSchema = container({ Md5: optionalText, ObjectName: optionalText });
/** A parsed `Md5Info`. */
export type Md5Info = z.output<typeof Md5InfoSchema>;

const outputFileShape = {
  Bucket: optionalText,
  Region: optionalText,
  ObjectName: oneOrMany(text),
  ObjectPrefix: optionalText,
  Md5Info: oneOrMany(Md5InfoSchema),
};

/** `MediaResult.OutputFile`: `ObjectName` and `Md5Info` are arrays (snapshots and HLS write many objects). */
export const OutputFileSchema = container({
  ...outputFileShape,
  SpriteOutputFile: z.optional(container(outputFileShape)),
});
/** A parsed output file entry. */
export type OutputFile = z.output<typeof OutputFileSchema>;

/** `Operation.MediaResult`: where a finished job wrote its outputs. */
export const MediaResultSchema = container({ OutputFile: oneOrMany(OutputFileSchema) });
/** Parsed `MediaResult`. */
export type MediaResult = z.output<typeof MediaResultSchema>;
