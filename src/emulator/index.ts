/**
 * A local emulator of the Tencent Cloud COS, CI and STS APIs that `cos-transcoder` uses (Node only).
 *
 * @packageDocumentation
 */
export { startEmulator } from './emulator.js';
export type { BucketEndpoints, Emulator, EmulatorEndpoints } from './emulator.js';
export type { CorsRuleInput, EmulatorOptions } from './options.js';
export type { FaultConfig, FaultRule, Operation } from './faults/fault-config.js';
export type { MediaTools, MediaToolSource } from './media/ffmpeg-tools.js';
export { LoopbackTransport, loopbackLookup } from './loopback-transport.js';
