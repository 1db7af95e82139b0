// The core, in Chromium, against the real emulator on other origins (`*.localhost:<port>`): every request is a
// cross-origin request, so the bucket's CORS rules, preflights and exposed headers are exercised for real. The
// test page gets STS credentials from the example host backend (/api/credentials), as a host page would.
import { expect } from 'chai';
import {
  CredentialProvider,
  JobTracker,
  ServiceClient,
  XhrTransport,
  isTranscoderError,
  submitJob,
} from '../../src/core/index.js';
import { config } from './host-config.js';
import { shownPage } from './jobs-support.js';

function client(getAuthorization = () => fetch('/api/credentials').then((r) => r.json())) {
  return new ServiceClient({
    transport: new XhrTransport(),
    authorizer: new CredentialProvider({ getAuthorization }),
    bucket: config.bucket,
    region: config.region,
    protocol: config.protocol,
    domains: config.domains,
    retry: { delays: [50, 100] },
  });
}

async function fixture(): Promise<Blob> {
  const response = await fetch('/test/fixtures/media/sample-640x360.mp4');
  return new Blob([await response.arrayBuffer()], { type: 'video/mp4' });
}

const unique = (name: string) => `e2e/${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}/${name}`;

describe('emulator from Chromium (cross-origin)', () => {
  it('should upload a file with PUT and read it back byte for byte', async () => {
    const cos = client();
    const video = await fixture();
    const key = unique('a b(1)+视频.mp4');
    let progress = 0;
    const put = await cos.request({
      service: 'cos',
      method: 'PUT',
      key,
      body: video,
      headers: { 'content-type': 'video/mp4' },
      action: 'name/cos:PutObject',
      phase: 'upload',
      onUploadProgress: (sent) => (progress = sent),
    });
    expect(put.headers['etag']).to.match(/^"[0-9a-f]{32}"$/);
    expect(put.headers['x-cos-hash-crc64ecma']).to.match(/^\d+$/);
    expect(put.requestId).to.be.a('string').and.not.equal('');
    expect(progress).to.equal(video.size);

    const got = await cos.request({ service: 'cos', method: 'GET', key, action: 'name/cos:GetObject', phase: 'upload' });
    expect(got.headers['content-length']).to.equal(String(video.size));
    expect(got.headers['etag']).to.equal(put.headers['etag']);
  });

  it('should submit a Transcode job and follow it to Success with an output object', async () => {
    const cos = client();
    const input = unique('input.mp4');
    await cos.request({
      service: 'cos',
      method: 'PUT',
      key: input,
      body: await fixture(),
      action: 'name/cos:PutObject',
      phase: 'upload',
    });
    const submitted = await submitJob(
      cos,
      {
        Tag: 'Transcode',
        Input: { Object: input },
        Operation: {
          TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
          Output: { Region: config.region, Bucket: config.bucket, Object: `${input}.out.\${ext}` },
          DigitalWatermark: { Type: 'Text', Message: 'e2e-mark', Version: 'V1' },
          UserData: '</UserData><Tag>x</Tag>',
        },
      },
      { records: false },
    );
    expect(submitted.origin).to.equal('submitted');
    expect(submitted.job.State).to.equal('Submitted');
    expect(submitted.job.Operation?.UserData).to.equal('</UserData><Tag>x</Tag>');

    // shownPage(): the test runner's pages may be hidden tabs, where the tracker rightly waits to be shown.
    const tracker = new JobTracker({ client: cos, job: submitted, poll: { delays: [100] }, environment: shownPage() });
    const states: string[] = [];
    tracker.subscribe(({ status }) => states.push(status));
    const { results } = await tracker.start();
    expect(states.indexOf('Running')).to.be.lessThan(states.indexOf('Success'));
    expect(results.outputs.map(({ key }) => key)).to.deep.equal([`${input}.out.mp4`]);
    const output = results.outputs[0]!.key;
    const head = await cos.request({
      service: 'cos',
      method: 'HEAD',
      key: output,
      action: 'name/cos:HeadObject',
      phase: 'track',
    });
    expect(Number(head.headers['content-length'])).to.be.greaterThan(200_000);
  });

  it('should be refused by the policy outside what the credentials allow', async () => {
    const denied = await client()
      .request({ service: 'cos', method: 'DELETE', key: unique('x'), action: 'name/cos:DeleteObject', phase: 'upload' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isTranscoderError(denied)).to.equal(true);
    expect(denied).to.include({ code: 'service', status: 403, serviceCode: 'AccessDenied' });
  });
});

describe('narrow host backend (/api/narrow/)', () => {
  const narrow = () => client(() => fetch('/api/narrow/credentials').then((r) => r.json()));
  const put = (key: string) =>
    narrow().request({ service: 'cos', method: 'PUT', key, body: 'x', action: 'name/cos:PutObject', phase: 'upload' });

  it('should report the narrow prefix in its config', async () => {
    const narrowConfig = (await (await fetch('/api/narrow/config')).json()) as { prefix: string };
    expect(narrowConfig.prefix).to.equal('narrow/');
  });

  it('should give credentials that may PUT under narrow/', async () => {
    const response = await put(`narrow/${unique('ok.bin')}`);
    expect(response.headers['etag']).to.match(/^"[0-9a-f]{32}"$/);
  });

  it('should give credentials that are refused outside narrow/', async () => {
    const denied = await put(unique('outside.bin')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(denied).to.include({ code: 'service', status: 403, serviceCode: 'AccessDenied' });
  });
});
