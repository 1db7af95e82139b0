/**
 * URLs of the dev server's scripted replies (test/helpers/scripted-replies.mjs). `OTHER_ORIGIN` is the same server
 * under the other loopback name, so requests to it are cross-origin and go through CORS for real.
 */
const otherName = location.hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1';
export const OTHER_ORIGIN = `${location.protocol}//${otherName}:${location.port}`;

/** The host (with port) of {@link OTHER_ORIGIN}. */
export const OTHER_HOST = new URL(OTHER_ORIGIN).host;

/** A scripted-reply URL on the other origin. */
export function scripted(params: Record<string, string>, path = 'reply'): string {
  return `${OTHER_ORIGIN}/__scripted/${path}?${new URLSearchParams(params)}`;
}
