// CI callbacks relayed by the example host backend, end to end: Chromium submits a job whose CallBack is the
// test server's /api/ci-callback, the emulator (another process) posts its TaskFinish there when the job ends, and
// the page receives it from the relay's Server-Sent Events stream with a plain EventSource.
import { expect } from 'chai';
import {
  buildTranscodeJobRequest,
  CredentialProvider,
  parseJobCallback,
  ServiceClient,
  XhrTransport,
  type CallbackFormat,
} from '../../src/core/index.js';
import { parseJobsResponse } from '../../src/core/protocol/ci-schemas.js';
import { config } from './host-config.js';

const client = new ServiceClient({
  transport: new XhrTransport(),
  authorizer: new CredentialProvider({ getAuthorization: () => fetch('/api/credentials').then((r) => r.json()) }),
  bucket: config.bucket,
  region: config.region,
  protocol: config.protocol,
  domains: config.domains,
  retry: { delays: [50, 100] },
});

const unique = (name: string) => `e2e/${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}/${name}`;

async function upload(key: string): Promise<void> {
  const response = await fetch('/test/fixtures/media/sample-640x360.mp4');
  const body = new Blob([await response.arrayBuffer()], { type: 'video/mp4' });
  await client.request({ service: 'cos', method: 'PUT', key, body, action: 'name/cos:PutObject', phase: 'upload' });
}

async function submitWithCallback(input: string, format: CallbackFormat): Promise<string> {
  const response = await client.request({
    service: 'ci',
    method: 'POST',
    pathname: '/jobs',
    headers: { 'content-type': 'application/xml' },
    body: buildTranscodeJobRequest({
      Input: { Object: input },
      Operation: {
        TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
        Output: { Region: config.region, Bucket: config.bucket, Object: `${input}.out.\${ext}` },
      },
      CallBack: config.callbackUrl!,
      CallBackFormat: format,
    }),
    action: 'name/ci:CreateMediaJobs',
    phase: 'submit',
  });
  const [job] = parseJobsResponse(response.body, 'submit').JobsDetail;
  return job!.JobId;
}

/** The data of the first `message` event of `url`, or a rejection after `timeoutMs`; the stream is closed after. */
function firstMessage(url: string, timeoutMs: number): Promise<string> {
  const source = new EventSource(url);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`No message from ${url} within ${timeoutMs} ms`)), timeoutMs);
    source.onmessage = (event: MessageEvent<string>) => {
      clearTimeout(timer);
      resolve(event.data);
    };
  }).finally(() => source.close());
}

describe('CI callbacks relayed by the host backend (Chromium)', function () {
  this.timeout(15_000);

  it("should tell the page the callback URL and the event stream's URL template", () => {
    expect([config.callbackUrl, config.jobEventsUrl]).to.deep.equal([
      `${location.origin}/api/ci-callback`,
      '/api/job-events?jobId={jobId}',
    ]);
  });

  for (const format of ['XML', 'JSON'] as const) {
    it(`should deliver a job's ${format} TaskFinish callback to an EventSource`, async () => {
      const input = unique('input.mp4');
      await upload(input);
      const jobId = await submitWithCallback(input, format);
      const data = await firstMessage(config.jobEventsUrl.replace('{jobId}', encodeURIComponent(jobId)), 10_000);
      expect(data.trimStart().charAt(0)).to.equal(format === 'XML' ? '<' : '{');
      const callback = parseJobCallback(data);
      expect(callback.JobsDetail.map((job) => [job.JobId, job.State])).to.deep.equal([[jobId, 'Success']]);
    });
  }
});
