import { buildXml } from '../../core/protocol/xml.js';

/**
 * Characters XML 1.0 cannot carry at all, raw or as a character reference: C0 controls other than tab, LF and CR,
 * U+FFFE, U+FFFF and lone surrogates (with the `u` flag, `\p{Cs}` matches only a surrogate without its pair).
 */
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Cs}/u;
const FORBIDDEN_ALL = new RegExp(FORBIDDEN.source, 'gu');
/** Controls XML 1.0 allows but that a reply never carries raw: tab, LF, CR (which parsers normalise), DEL, C1. */
const ALLOWED_CONTROLS = /[\t\n\r\u007F-\u009F]/g;

/** Whether `text` holds a character no XML 1.0 document can carry (the object-key rule of the emulator). */
export function hasXmlForbiddenCharacter(text: string): boolean {
  return FORBIDDEN.test(text);
}

/**
 * The last guard of every XML reply: characters XML 1.0 forbids become U+FFFD, and the control characters it allows
 * (tab, LF, CR, DEL, C1) become character references (`&#xD;`), so that a strict parser accepts the document and
 * gets the same text back. `xml` must be a document without layout white space, as `buildXml` writes it: every
 * such character is then inside text.
 */
export function xmlSafe(xml: string): string {
  return xml
    .replace(FORBIDDEN_ALL, '\uFFFD')
    .replace(ALLOWED_CONTROLS, (char) => `&#x${char.charCodeAt(0).toString(16).toUpperCase()};`);
}

/** `buildXml`, then {@link xmlSafe}: what every XML reply and callback of the emulator is written with. */
export function buildSafeXml(document: Record<string, unknown>): string {
  return xmlSafe(buildXml(document));
}
