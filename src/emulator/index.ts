/**
 * The local emulator of COS, CI and STS (`cos-transcoder/emulator`), Node only.
 *
 * This entry point is reserved: the emulator itself is built by the "faithful local emulator" issue. Until then it
 * exports nothing, so that importing it is harmless and `package.json` can already name it.
 *
 * @packageDocumentation
 */
export {};
