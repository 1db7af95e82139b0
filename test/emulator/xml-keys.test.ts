// Valid XML always: keys with characters XML 1.0 cannot carry are refused at write, and no reply of any operation
// (errors echoing a Resource, multipart listings, Complete, CI job replies and listings) carries a raw control
// character; the controls XML allows (tab, LF, CR, DEL, C1) come back as character references.
import { expect } from 'chai';
import { XMLValidator } from 'fast-xml-parser';
import { parseListMultipartUploadsResult, parseListPartsResult } from '../../src/core/protocol/cos-document.js';
import { parseXml } from '../../src/core/protocol/xml.js';
import type { Emulator } from '../../src/emulator/index.js';
import { multipartCalls } from '../helpers/cos-multipart.js';
import { errorCode, rawRequest, seedObject, signedHeaders, startTestEmulator, type WireResponse } from '../helpers/emulator.js';
import { NOT_MP4, listJobs, postJob, transcodeBody, describeJobs } from './ci-support.js';

/** Characters outside XML 1.0's `Char` production. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Asserts that a reply body is a document a strict XML 1.0 parser accepts, with no raw control character at all. */
function expectStrictXml(response: WireResponse, what: string): void {
  const text = response.text;
  expect(NOT_XML_CHAR.test(text), `${what}: a character XML 1.0 forbids in ${JSON.stringify(text)}`).to.equal(false);
  const body = text.replace(/^<\?xml[^>]*\?>\n/, '');
  expect(/[\u0000-\u001F\u007F-\u009F]/.test(body), `${what}: a raw control in ${JSON.stringify(text)}`).to.equal(false);
  for (const [, hex] of body.matchAll(/&#x([0-9A-Fa-f]+);/g)) {
    const char = String.fromCodePoint(parseInt(hex!, 16));
    expect(NOT_XML_CHAR.test(char), `${what}: a reference to a forbidden character (&#x${hex};)`).to.equal(false);
  }
  expect(XMLValidator.validate(text), what).to.equal(true);
}

/** Characters no XML 1.0 document can carry: refused in keys. */
const FORBIDDEN = { 'U+0001': '\u0001', 'U+001F': '\u001f', 'U+FFFE': '\uFFFE', 'U+FFFF': '\uFFFF', ESC: '\u001b' };
/** Controls XML 1.0 allows: accepted in keys, written as character references. */
const ALLOWED = { tab: '\t', LF: '\n', CR: '\r', DEL: '\u007f', 'C1 NEL': '\u0085' };

describe('emulator: valid XML whatever the key', () => {
  let emulator: Emulator;
  const { cos, initiate, uploadPart, complete, listUploads } = multipartCalls(() => emulator);

  before(async () => {
    emulator = await startTestEmulator({ jobs: { queueDelayMs: 3_600_000 } });
  });
  after(() => emulator.close());

  describe('keys XML 1.0 cannot carry are refused at write', () => {
    for (const [name, char] of Object.entries(FORBIDDEN)) {
      it(`should refuse PutObject of a key with ${name} (400 InvalidObjectName, valid XML)`, async () => {
        const response = await cos('PUT', `bad/${char}name.bin`, {}, 'data');
        expect(response.status).to.equal(400);
        expect(errorCode(response)).to.equal('InvalidObjectName');
        expectStrictXml(response, `PUT ${name}`);
      });

      it(`should refuse InitiateMultipartUpload of a key with ${name}`, async () => {
        const response = await cos('POST', `bad/${char}upload.bin`, { uploads: '' });
        expect(response.status).to.equal(400);
        expect(errorCode(response)).to.equal('InvalidObjectName');
        expectStrictXml(response, `Initiate ${name}`);
      });

      it(`should answer GET of a key with ${name} with a valid NoSuchKey document`, async () => {
        const response = await cos('GET', `bad/${char}missing.bin`);
        expect(response.status).to.equal(404);
        expectStrictXml(response, `GET ${name}`);
      });
    }

    it('should answer a path that is not UTF-8 (a lone surrogate) with a valid InvalidURI document', async () => {
      const target = '/bad/%ED%A0%80.bin';
      const headers = await signedHeaders(emulator, { method: 'GET', path: '/bad/x.bin' });
      const response = await rawRequest(emulator, { method: 'GET', target, headers });
      expect(response.status).to.equal(400);
      expectStrictXml(response, 'lone surrogate');
    });
  });

  describe('controls XML 1.0 allows come back as character references', () => {
    for (const [name, char] of Object.entries(ALLOWED)) {
      const key = `ok/${char}key ${name}.bin`;

      it(`should keep a key with ${name} through Initiate, ListParts, ListMultipartUploads and Complete`, async () => {
        const uploadId = await initiate(key);
        const parts = await cos('GET', key, { uploadId });
        expectStrictXml(parts, `ListParts ${name}`);
        expect(parseListPartsResult(parts.text).Key).to.equal(key);
        const encoded = await cos('GET', key, { uploadId, 'encoding-type': 'url' });
        expect(parseListPartsResult(encoded.text).Key).to.equal(encodeURIComponent(key).replaceAll('%2F', '/'));

        const uploads = await listUploads({ prefix: 'ok/' });
        expectStrictXml(uploads, `ListMultipartUploads ${name}`);
        expect(parseListMultipartUploadsResult(uploads.text).Upload.map((upload) => upload.Key)).to.include(key);
        const urlUploads = await listUploads({ prefix: 'ok/', 'encoding-type': 'url' });
        expectStrictXml(urlUploads, `ListMultipartUploads url ${name}`);

        const part = await uploadPart(key, uploadId, 1, Buffer.from('data'));
        const done = await complete(key, uploadId, [{ PartNumber: 1, ETag: part.headers['etag'] as string }]);
        expect(done.status).to.equal(200);
        expectStrictXml(done, `Complete ${name}`);
        expect((parseXml(done.text)['CompleteMultipartUploadResult'] as Record<string, unknown>)['Key']).to.equal(key);
      });

      it(`should answer an error about a key with ${name} with a valid document`, async () => {
        const response = await cos('GET', key, { uploadId: 'nosuchupload' });
        expect(response.status).to.equal(404);
        expectStrictXml(response, `NoSuchUpload ${name}`);
      });
    }
  });

  describe('CI job replies', () => {
    /** A job body whose Input.Object / Output.Object is written as given (character references included). */
    const jobBody = (input: string, output = 'out/${jobid}.${ext}') =>
      transcodeBody('in/placeholder.mp4', { output: 'out/placeholder.mp4' })
        .replace('<Object>in/placeholder.mp4</Object>', `<Object>${input}</Object>`)
        .replace('<Object>out/placeholder.mp4</Object>', `<Object>${output}</Object>`);

    // As references or raw: the core's parser drops references to characters XML forbids (`&#x1;`, `&#xD800;`), its
    // key rule refuses raw C0 controls, and the emulator refuses U+FFFE / U+FFFF.
    const cases: Record<string, string> = {
      'U+0001 (reference)': '&#x1;',
      'U+001F (reference)': '&#x1F;',
      'U+FFFE (reference)': '&#xFFFE;',
      'U+FFFF (reference)': '&#xFFFF;',
      'lone surrogate (reference)': '&#xD800;',
      'U+0001 (raw)': '\u0001',
      'U+001F (raw)': '\u001f',
      'U+FFFE (raw)': '\uFFFE',
    };
    for (const [name, text] of Object.entries(cases)) {
      const mustRefuse = /FFF[EF]/i.test(name);

      it(`should refuse or answer validly a job whose Input.Object has ${name}`, async () => {
        const response = await postJob(emulator, jobBody(`in/${text}.mp4`));
        expect(response.status).to.equal(400);
        expectStrictXml(response, `job input ${name}`);
      });

      it(`should ${mustRefuse ? 'refuse' : 'refuse or answer validly'} a job whose Output.Object has ${name}`, async () => {
        await seedObject(emulator, 'in/ok.mp4', NOT_MP4);
        const response = await postJob(emulator, jobBody('in/ok.mp4', `out/${text}.mp4`));
        if (mustRefuse || response.status !== 200) {
          expect(response.status).to.equal(400);
          expect(errorCode(response)).to.equal('InvalidArgument');
        }
        expectStrictXml(response, `job output ${name}`);
      });
    }

    it('should echo Input.Object and Output.Object with a C1 control as character references', async () => {
      const input = 'in/\u0085c1.mp4';
      await seedObject(emulator, input, NOT_MP4);
      const submitted = await postJob(emulator, jobBody('in/&#x85;c1.mp4', 'out/\u0085${jobid}.${ext}'));
      expect(submitted.status, submitted.text).to.equal(200);
      expectStrictXml(submitted, 'submit');
      expect(submitted.text).to.contain('in/&#x85;c1.mp4');
      const jobId = /<JobId>([^<]+)<\/JobId>/.exec(submitted.text)![1]!;
      const described = await describeJobs(emulator, [jobId]);
      expect(described.JobsDetail[0]?.Input?.Object).to.equal(input);
      const listed = await listJobs(emulator, { tag: 'Transcode' });
      expectStrictXml(listed, 'list jobs');
    });
  });
});
