import { expect } from 'chai';
import type { TranscoderErrorCode, Phase } from '../../../src/core/errors.js';
import { parseJobCallback } from '../../../src/core/protocol/callback.js';
import { parseJobsResponse } from '../../../src/core/protocol/ci-schemas.js';
import { parseCompleteMultipartUploadResult, parseListPartsResult } from '../../../src/core/protocol/cos-document.js';
import {
  buildExtractDigitalWatermarkJobRequest,
  buildTranscodeJobRequest,
  parseJobRequest,
} from '../../../src/core/protocol/job-request.js';
import type { TranscodeJobInput } from '../../../src/core/protocol/job-request-schemas.js';
import { parseXml } from '../../../src/core/protocol/xml.js';
import { JSON_CALLBACK_SINGLE } from '../../fixtures/callbacks.js';
import { LIST_PARTS_ONE } from '../../fixtures/cos-documents.js';
import { TRANSCODE_RESPONSE } from '../../fixtures/seeds.js';
import { thrown } from '../../helpers/expect-error.js';

/** Values a caller or an attacker may put into free-text fields. */
const HOSTILE_TEXT = [
  '</UserData><Tag>x</Tag>',
  '</UserData></Operation><Tag>x</Tag><Operation><UserData>',
  ']]>',
  '<![CDATA[',
  '<![CDATA[</UserData>]]>',
  '&amp;',
  '&lt;Tag&gt;',
  '&#60;Tag&#62;',
  `"double" and 'single' quotes`,
  '<?xml version="1.0"?>',
  '<!-- comment -->',
  '  leading and trailing spaces  ',
];

const job = (UserData: string): TranscodeJobInput => ({
  Input: { Object: 'input/demo.mp4' },
  Operation: {
    TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
    DigitalWatermark: { Type: 'Text', Message: '123456789ab', Version: 'V1', IgnoreError: false },
    Output: { Region: 'ap-chongqing', Bucket: 'test-123456789', Object: 'output/out.${ext}' },
    UserData,
  },
});

describe('job request builders with hostile text', () => {
  for (const value of HOSTILE_TEXT) {
    it(`should keep UserData ${JSON.stringify(value)} as text`, () => {
      const xml = buildTranscodeJobRequest(job(value));
      const parsed = parseJobRequest(xml);
      expect(parsed.Operation.UserData).to.equal(value);
    });

    it(`should build exactly the expected elements for UserData ${JSON.stringify(value)}`, () => {
      const request = parseXml(buildTranscodeJobRequest(job(value)))['Request'] as Record<string, unknown>;
      expect(Object.keys(request)).to.deep.equal(['Tag', 'Input', 'Operation']);
      expect(request['Tag']).to.equal('Transcode');
      expect(Object.keys(request['Operation'] as object)).to.deep.equal([
        'TemplateId',
        'DigitalWatermark',
        'Output',
        'UserData',
      ]);
    });
  }

  it('should write exactly one Tag element whatever UserData holds', () => {
    const xml = buildTranscodeJobRequest(job('</UserData><Tag>x</Tag>'));
    expect(xml.match(/<Tag>/g)).to.have.length(1);
  });

  it('should keep hostile UserData as text in an extraction request', () => {
    const UserData = '</UserData><Tag>x</Tag>]]><![CDATA[&amp;"\'';
    const xml = buildExtractDigitalWatermarkJobRequest({
      Input: { Object: 'input/demo.mp4' },
      Operation: { ExtractDigitalWatermark: { Type: 'Text', Version: 'V1' }, UserData },
    });
    expect(parseJobRequest(xml).Operation.UserData).to.equal(UserData);
  });

  for (const value of HOSTILE_TEXT) {
    it(`should reject the digital watermark Message ${JSON.stringify(value)} by its charset`, () => {
      const input = job('x');
      input.Operation.DigitalWatermark = { Type: 'Text', Version: 'V1', Message: value };
      const error = thrown(() => buildTranscodeJobRequest(input));
      expect([error.code, error.phase]).to.deep.equal(['invalid-request', 'submit']);
      expect(error.message).to.contain('Operation.DigitalWatermark.Message must be 1 to 64 Chinese characters');
    });
  }

  it('should not echo a huge offending value in the message or the cause', () => {
    const huge = `${'é'.repeat(100_000)}MARKER`;
    const error = thrown(() => buildTranscodeJobRequest(job(huge)));
    expect(error.message.length).to.be.below(400);
    expect(JSON.stringify(error.cause)).not.to.contain('MARKER');
  });
});

interface Case {
  readonly name: string;
  readonly run: () => unknown;
  readonly code: TranscoderErrorCode;
  readonly phase: Phase;
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Response><JobsDetail><JobId>&lol3;</JobId><State>Success</State><Tag>Transcode</Tag></JobsDetail></Response>`;

const PROXY_502 = `<html>
<head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body>
</html>`;

const RUNNING =
  '<Response><JobsDetail><JobId>j1</JobId><State>Running</State><Progress>30</Progress><Tag>Transcode</Tag>' +
  '</JobsDetail></Response>';

const badResponse = (name: string, phase: Phase, run: () => unknown): Case => ({
  name,
  run,
  code: 'invalid-response',
  phase,
});
const badRequest = (name: string, run: () => unknown): Case => ({
  name,
  run,
  code: 'invalid-request',
  phase: 'submit',
});

const withJob = (change: (input: TranscodeJobInput) => void) => () => {
  const input = job('x');
  change(input);
  return buildTranscodeJobRequest(input);
};

const CASES: readonly Case[] = [
  badResponse('a truncated jobs response', 'track', () => parseJobsResponse(TRANSCODE_RESPONSE.slice(0, 400), 'track')),
  badResponse('an HTML 502 page from a proxy', 'submit', () => parseJobsResponse(PROXY_502, 'submit')),
  badResponse('an HTML page with a doctype', 'upload', () => parseListPartsResult(`<!DOCTYPE html>${PROXY_502}`)),
  badResponse('an empty body', 'complete', () => parseCompleteMultipartUploadResult('')),
  badResponse('a body of white space only', 'complete', () => parseCompleteMultipartUploadResult('   \n  ')),
  badResponse('a DOCTYPE with entities (billion laughs)', 'track', () => parseJobsResponse(BILLION_LAUGHS, 'track')),
  badResponse('a billion-laughs callback', 'callback', () => parseJobCallback(BILLION_LAUGHS)),
  badResponse('a plain-text body', 'track', () => parseJobsResponse('Service Unavailable', 'track')),
  badResponse('two root elements', 'track', () => parseJobsResponse(`${RUNNING}${RUNNING}`, 'track')),
  badResponse('truncated JSON in a callback', 'callback', () =>
    parseJobCallback('{"EventName": "TaskFinish", "JobsDetail": ['),
  ),
  badResponse('a JSON array as a callback', 'callback', () => parseJobCallback('[1, 2, 3]')),
  badResponse('JSON null as a callback', 'callback', () => parseJobCallback(null as unknown as object)),
  badResponse('a number as a callback', 'callback', () => parseJobCallback(42 as unknown as object)),
  badResponse('a callback of plain text', 'callback', () => parseJobCallback('OK')),
  badResponse("State 'Done'", 'track', () => parseJobsResponse(RUNNING.replace('Running', 'Done'), 'track')),
  badResponse("Progress 'abc'", 'track', () => parseJobsResponse(RUNNING.replace('>30<', '>abc<'), 'track')),
  badResponse('a JobsDetail without JobId', 'track', () =>
    parseJobsResponse(RUNNING.replace('<JobId>j1</JobId>', ''), 'track'),
  ),
  badResponse('a callback JobsDetail without JobId', 'callback', () =>
    parseJobCallback(JSON_CALLBACK_SINGLE.replace(/"JobId":"[^"]*",/, '')),
  ),
  badResponse('a JobsDetail that is text', 'track', () =>
    parseJobsResponse('<Response><JobsDetail>oops</JobsDetail></Response>', 'track'),
  ),
  badResponse('a ListParts Size that is an element', 'upload', () =>
    parseListPartsResult(LIST_PARTS_ONE.replace('<Size>1048576</Size>', '<Size><x>1</x></Size>')),
  ),
  badRequest('UserData of 1025 characters', () => buildTranscodeJobRequest(job('a'.repeat(1025)))),
  badRequest('non-ASCII UserData', () => buildTranscodeJobRequest(job('naïve'))),
  badRequest(
    '4 WatermarkTemplateIds',
    withJob((input) => {
      input.Operation.WatermarkTemplateId = ['t1', 't2', 't3', 't4'];
    }),
  ),
  badRequest(
    'JobLevel 3',
    withJob((input) => {
      input.Operation.JobLevel = 3 as 0;
    }),
  ),
  badRequest(
    'a digital watermark Message of 65 characters',
    withJob((input) => {
      input.Operation.DigitalWatermark = { Type: 'Text', Version: 'V1', Message: '1'.repeat(65) };
    }),
  ),
  badRequest('a job request that is not an object', () =>
    buildTranscodeJobRequest('<Request/>' as unknown as TranscodeJobInput),
  ),
  badRequest('a submitted body with a DOCTYPE', () => parseJobRequest(BILLION_LAUGHS.replace(/Response/g, 'Request'))),
];

describe('hostile and malformed input', () => {
  for (const { name, run, code, phase } of CASES) {
    it(`should reject ${name} with ${code} in phase ${phase}`, () => {
      const error = thrown(run);
      expect([error.code, error.phase]).to.deep.equal([code, phase]);
    });
  }

  it('should not quote the body of malformed XML in the cause', () => {
    const error = thrown(() => parseJobsResponse('<Response><SECRETTAG></Response>', 'track'));
    expect(String(error.cause)).not.to.contain('SECRETTAG');
  });

  for (const name of ['__proto__', 'constructor']) {
    it(`should reject a ${name} element as invalid-response`, () => {
      const body = RUNNING.replace('<Tag>', `<${name}><State>Failed</State></${name}><Tag>`);
      expect(thrown(() => parseJobsResponse(body, 'track')).code).to.equal('invalid-response');
    });
  }

  it('should keep markup in an echoed UserData as text', () => {
    const echo = '<Operation><UserData>&lt;/UserData&gt;&lt;Tag&gt;x&lt;/Tag&gt;</UserData></Operation>';
    const body = RUNNING.replace('<Tag>', `${echo}<Tag>`);
    const result = parseJobsResponse(body, 'track').JobsDetail[0]!;
    expect([result.Tag, result.Operation?.UserData]).to.deep.equal(['Transcode', '</UserData><Tag>x</Tag>']);
  });

  it('should redact credentials and cap the service message in a service error', () => {
    const message = `bad q-signature=abcdef0123 ${'x'.repeat(500)}`;
    const body = `<Error><Code>AccessDenied</Code><Message>${message}</Message></Error>`;
    const error = thrown(() => parseJobsResponse(body, 'submit', { status: 403 }));
    expect(error.message).not.to.contain('abcdef0123');
    expect(error.message.length).to.be.below(300);
  });

  it('should drop a service code that does not look like one', () => {
    const body = '<Error><Code>&lt;script&gt;alert(1)&lt;/script&gt;</Code><Message>m</Message></Error>';
    const error = thrown(() => parseJobsResponse(body, 'submit', { status: 400 }));
    expect([error.code, error.serviceCode]).to.deep.equal(['service', undefined]);
  });
});

describe('parseXml character references', () => {
  it('should decode numeric character references as XML requires', () => {
    const tree = parseXml('<Response><UserData>&#60;b&#x3E; &amp;lt;</UserData></Response>');
    expect((tree['Response'] as Record<string, unknown>)['UserData']).to.equal('<b> &lt;');
  });

  it('should build objects without a prototype, so element names cannot reach Object.prototype', () => {
    const tree = parseXml('<Response><Tag>Transcode</Tag></Response>');
    expect(Object.getPrototypeOf(tree)).to.equal(null);
    expect(Object.getPrototypeOf(tree['Response'])).to.equal(null);
  });
});
