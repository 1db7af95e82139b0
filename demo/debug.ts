// The debugging page's script (demo/debug.html): the core's signature of a published example, and a job request
// body built from a form. Every value shown comes from the core and is written with textContent, never as markup.
// Internal modules: these are debugging tools, not what a page author imports.
import { isTranscoderError } from '../src/core/errors.js';
import { buildTranscodeJobRequest } from '../src/core/protocol/job-request.js';
import { createAuthorization } from '../src/core/signing/authorization.js';

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

async function showSignature(): Promise<void> {
  const authorization = await createAuthorization({
    secretId: 'AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q',
    secretKey: 'BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz',
    method: 'PUT',
    pathname: '/exampleobject(腾讯云)',
    headers: {
      Date: 'Thu, 16 May 2019 06:45:51 GMT',
      Host: 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com',
      'Content-Type': 'text/plain',
      'Content-Length': 13,
      'Content-MD5': 'mQ/fVh815F3k6TAUm8m0eg==',
      'x-cos-acl': 'private',
      'x-cos-grant-read': 'uin="100000000011"',
    },
    keyTime: { start: 1557989151, end: 1557996351 },
  });
  byId('sign-output').textContent = authorization;
  const verdict = byId('sign-verdict');
  const matches = authorization.endsWith('q-signature=3b8851a11a569213c17ba8fa7dcf2abec6935172');
  verdict.textContent = matches ? 'yes' : 'no';
  verdict.className = matches ? 'ok' : 'error';
}

function showJobRequest(form: HTMLFormElement): void {
  const field = (name: string) => String(new FormData(form).get(name) ?? '');
  const error = byId('job-error');
  const output = byId('job-output');
  try {
    output.textContent = buildTranscodeJobRequest({
      Tag: 'Transcode',
      Input: { Object: field('input') },
      Operation: {
        TemplateId: field('template'),
        Output: { Region: field('region'), Bucket: field('bucket'), Object: field('output') },
        DigitalWatermark: { Type: 'Text', Version: 'V1', Message: field('message'), IgnoreError: false },
        UserData: field('userData'),
        JobLevel: Number(field('level')) as 0 | 1 | 2,
      },
    })
      .replace(/></g, '>\n<');
    error.hidden = true;
  } catch (e) {
    error.textContent = isTranscoderError(e) ? `${e.code}: ${e.message}` : String(e as Error);
    error.hidden = false;
    output.textContent = '';
  }
}

const form = byId<HTMLFormElement>('job-form');
form.addEventListener('input', () => showJobRequest(form));
showJobRequest(form);
void showSignature();
