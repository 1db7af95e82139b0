import { XMLParser } from 'fast-xml-parser';
import { TranscoderError, type Phase } from '../errors.js';

/**
 * Element paths that are always arrays, whatever their count, so callers never branch on `Array.isArray`.
 * Paths are dot-joined from the root element.
 */
export const ARRAY_PATHS: ReadonlySet<string> = new Set([
  'ListPartsResult.Part',
  'ListMultipartUploadsResult.Upload',
  'ListMultipartUploadsResult.CommonPrefixes',
  'CompleteMultipartUpload.Part',
  'Response.JobsDetail',
  'Response.NonExistJobIds',
  'Response.JobsDetail.Operation.WatermarkTemplateId',
  'Response.JobsDetail.Operation.Watermark',
  'Response.JobsDetail.Operation.MediaResult.OutputFile',
  'Response.JobsDetail.Operation.MediaResult.OutputFile.ObjectName',
  'Response.JobsDetail.Operation.MediaResult.OutputFile.Md5Info',
  'Response.JobsDetail.Operation.MediaResult.OutputFile.SpriteOutputFile.ObjectName',
  'Response.JobsDetail.Operation.MediaResult.OutputFile.SpriteOutputFile.Md5Info',
  'Response.JobsDetail.Operation.MediaInfo.Stream.Video',
  'Response.JobsDetail.Operation.MediaInfo.Stream.Audio',
  'Response.JobsDetail.Operation.MediaInfo.Stream.Subtitle',
  'Response.JobsDetail.Input.CosHeaders',
  'Request.Operation.WatermarkTemplateId',
  'Request.Operation.Watermark',
]);

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Values stay strings (zod decides types) and keep their spaces: UserData is echoed byte for byte.
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  // Numeric character references (`&#60;`) are XML and must decode; fast-xml-parser files them under HTML entities.
  htmlEntities: true,
  isArray: (_name, jpath) => ARRAY_PATHS.has(String(jpath)),
});

/** Drops the white space between elements that `trimValues: false` keeps as `#text`. */
function dropLayoutText(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropLayoutText);
  if (node === null || typeof node !== 'object') return node;
  // No prototype: an element named `__proto__` or `constructor` can never reach Object.prototype.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(node)) {
    if (name === '#text') continue;
    out[name] = dropLayoutText(value);
  }
  return out;
}

/**
 * The parser's messages quote tag names from the document; keep only the position, so a hostile body never
 * reaches logs through `cause`.
 */
function syntaxErrorCause(error: unknown): Error {
  const position = error instanceof Error ? /:(\d+):(\d+)$/.exec(error.message) : null;
  return new Error(position ? `XML syntax error at line ${position[1]}, column ${position[2]}` : 'XML syntax error');
}

function invalid(message: string, phase: Phase, cause?: unknown): TranscoderError {
  return new TranscoderError(message, { code: 'invalid-response', phase, cause });
}

/**
 * Parses an XML document from the service into plain objects of strings.
 *
 * Throws a `invalid-response` {@link TranscoderError} for anything that is not one well-formed element tree:
 * an empty body, an HTML page from a proxy, truncated XML, or a document with a DTD (the service never sends
 * one, and entity expansion is an attack surface).
 */
export function parseXml(text: string, phase: Phase = 'request'): Record<string, unknown> {
  const body = typeof text === 'string' ? text.trim() : '';
  if (body === '') throw invalid('Expected an XML document, got an empty body', phase);
  if (!body.startsWith('<') || /<!DOCTYPE|<!ENTITY/i.test(body)) {
    throw invalid('Expected an XML document, got something else (an HTML page or plain text?)', phase);
  }
  // `true` runs fast-xml-parser's validator first: unbalanced or truncated documents throw instead of half-parsing.
  let parsed: unknown;
  try {
    parsed = parser.parse(body, true);
  } catch (error) {
    throw invalid('Malformed XML in the response', phase, syntaxErrorCause(error));
  }
  const tree = dropLayoutText(parsed) as Record<string, unknown>;
  const roots = Object.keys(tree);
  if (roots.length !== 1) throw invalid('Expected exactly one root element in the XML document', phase);
  const root = roots[0]!;
  if (/^html$/i.test(root)) throw invalid('Expected an XML document, got an HTML page', phase);
  return tree;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
/** An XML 1.0 element name (letters, digits, `_`, `-`, `.`, `:`; not starting with a digit, `-` or `.`). */
const NAME = /^[\p{L}_:][\p{L}\p{M}\p{N}_.:-]*$/u;

function element(name: string, value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => element(name, item)).join('');
  // A name that is not one (`a b`, `x><y`) would splice markup; names come from our code and parsed documents.
  if (!NAME.test(name)) {
    throw new TranscoderError('Cannot write XML: an element name is not an XML name', {
      code: 'invalid-request',
      phase: 'request',
    });
  }
  if (value === null) return `<${name}/>`;
  const body =
    typeof value === 'object' && !(value instanceof Date)
      ? buildXml(value as Record<string, unknown>)
      : String(value).replace(/[&<>"']/g, (char) => ESCAPES[char]!);
  return `<${name}>${body}</${name}>`;
}

/**
 * Serialises plain objects to XML (no declaration, no formatting). Text is escaped (`&`, `<`, `>`, both quotes), so
 * a value such as `</UserData><Tag>x</Tag>` stays text. Arrays become repeated elements, `undefined` is left out,
 * `null` is an empty element (`<Name/>`), and an empty string or object is `<Name></Name>`. A key that is not an XML
 * name throws an `invalid-request` {@link TranscoderError}.
 */
export function buildXml(value: Record<string, unknown>): string {
  return Object.entries(value)
    .map(([name, child]) => element(name, child))
    .join('');
}
