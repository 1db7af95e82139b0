// `npm run bench`: the protocol core's throughput, bundle sizes, the emulator's ingest rate, uploads in headless
// Chromium side by side with cos-js-sdk-v5 and a raw PUT, the signing calls and requests of an upload plus a job, and
// the emulator's media processing; then bench/results.md with every table. `npm run bench -- --quick` checks only
// the size budgets (CI). BENCH_QUICK=1 shrinks every case for a smoke run (results.md is then not written).
import { fileURLToPath } from 'node:url';
import { createAuthorization } from '../src/core/signing/authorization.js';
import { parseJobsResponse } from '../src/core/protocol/ci-schemas.js';
import { buildTranscodeJobRequest } from '../src/core/protocol/job-request.js';
import { benchEmulatorIngest, type IngestSummary } from './emulator.js';
import { benchJobRequests } from './jobs-requests.js';
import { benchMedia } from './media.js';
import { printTable, verdict, writeResults, type Table } from './report.js';
import { reportSizes, sizeTable } from './size.js';
import { benchBrowserUpload } from './upload-browser.js';
import { CredentialProvider } from '../src/core/signing/credential-provider.js';

const FINISHED_JOB = `<Response><JobsDetail><Code>Success</Code><Message/><JobId>j8d121820f5e411ec926ef19d53ba9c6f</JobId>
<State>Success</State><Progress>100</Progress><CreationTime>2022-06-27T15:23:10+0800</CreationTime>
<StartTime>2022-06-27T15:23:11+0800</StartTime><EndTime>2022-06-27T15:23:40+0800</EndTime>
<QueueId>p2242ab62c7c94486915508540933a2c6</QueueId><Tag>Transcode</Tag>
<Input><BucketId>test-123456789</BucketId><Object>input/demo.mp4</Object><Region>ap-chongqing</Region></Input>
<Operation><TemplateId>t1460606b9752148c4ab182f55163ba7cd</TemplateId><TemplateName>high_993874</TemplateName>
<MediaInfo><Format><Bitrate>830.482000</Bitrate><Duration>4.000000</Duration><FormatName>mov,mp4,m4a,3gp,3g2,mj2</FormatName>
<NumStream>2</NumStream><Size>415241</Size></Format><Stream><Video><CodecName>h264</CodecName><Width>640</Width>
<Height>360</Height><Fps>30</Fps></Video><Audio><CodecName>aac</CodecName><SampleRate>44100</SampleRate></Audio></Stream></MediaInfo>
<MediaResult><OutputFile><Bucket>test-123456789</Bucket><Region>ap-chongqing</Region><ObjectName>output/out.mp4</ObjectName>
<Md5Info><Md5>852883012a6ba726e6ed8d9b984edfdf</Md5><ObjectName>output/out.mp4</ObjectName></Md5Info></OutputFile></MediaResult>
<Output><Region>ap-chongqing</Region><Bucket>test-123456789</Bucket><Object>output/out.mp4</Object></Output>
<UserData>This is my data.</UserData><JobLevel>0</JobLevel></Operation></JobsDetail></Response>`;

interface Case {
  name: string;
  run: () => Promise<unknown> | unknown;
}

async function measure({ name, run }: Case, budgetMs = 1000): Promise<string[]> {
  for (let i = 0; i < 50; i += 1) await run(); // warm-up (JIT, WebCrypto key import paths)
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    await run();
    ops += 1;
  }
  const seconds = (performance.now() - start) / 1000;
  const perOp = (seconds * 1e6) / ops;
  console.log(`${name.padEnd(48)} ${Math.round(ops / seconds).toString().padStart(9)} ops/s  ${perOp.toFixed(1).padStart(8)} µs/op`);
  return [name, Math.round(ops / seconds).toLocaleString('en-US'), perOp.toFixed(1)];
}

// Temporary credentials valid for an hour from now: the provider caches them and the derived SignKey.
const now = Math.floor(Date.now() / 1000);
const provider = new CredentialProvider({
  getAuthorization: () => ({
    TmpSecretId: 'AKIDEXAMPLETMPID',
    TmpSecretKey: 'EXAMPLETMPSECRETKEY',
    SecurityToken: 'token',
    StartTime: now,
    ExpiredTime: now + 3600,
  }),
});

const cases: Case[] = [
  {
    name: 'createAuthorization (PUT, 4 headers, 2 params)',
    run: () =>
      createAuthorization({
        secretId: 'AKIDEXAMPLE',
        secretKey: 'EXAMPLESECRET',
        method: 'PUT',
        pathname: '/input/a b(1).mp4',
        query: { partNumber: '7', uploadId: '1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361' },
        headers: {
          host: 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
          'content-length': 1048576,
          'content-md5': 'mQ/fVh815F3k6TAUm8m0eg==',
          'x-cos-security-token': 'token',
        },
        keyTime: { start: 1700000000, end: 1700000900 },
      }),
  },
  {
    name: 'CredentialProvider.authorize (cached credentials)',
    run: () =>
      provider.authorize({
        method: 'PUT',
        host: 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
        pathname: '/input/a b(1).mp4',
        query: { partNumber: '7', uploadId: 'u1' },
        headers: { host: 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com', 'content-length': '1048576' },
        bucket: 'examplebucket-1250000000',
        region: 'ap-guangzhou',
        key: 'input/a b(1).mp4',
        service: 'cos',
        action: 'name/cos:UploadPart',
      }),
  },
  {
    name: 'parseJobsResponse (a finished job with MediaInfo)',
    run: () => parseJobsResponse(FINISHED_JOB, 'track'),
  },
  {
    name: 'buildTranscodeJobRequest (the seed example)',
    run: () =>
      buildTranscodeJobRequest({
        Input: { Object: 'input/demo.mp4' },
        Operation: {
          TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
          WatermarkTemplateId: ['t1318c5f428d474afba1797f84091cbe22', 't1318c5f428d474afba1797f84091cbe23'],
          DigitalWatermark: { Type: 'Text', Message: '123456789ab', Version: 'V1', IgnoreError: false },
          Output: { Region: 'ap-chongqing', Bucket: 'test-123456789', Object: 'output/out.${ext}' },
          UserData: 'This is my data.',
          JobLevel: 0,
        },
        CallBack: 'http://callback.demo.com',
        CallBackFormat: 'JSON',
      }),
  },
];

function ingestTable(summary: IngestSummary): Table {
  const title = 'Emulator ingest vs a bare Node HTTP server (MD5 + write) on the same machine, same run';
  const { emulatorMBps, bareMBps, ratio, lines } = summary;
  return {
    title,
    head: ['emulator MB/s', 'bare server MB/s', 'ratio', 'goal'],
    rows: [[emulatorMBps.toFixed(0), bareMBps.toFixed(0), ratio.toFixed(2), `>= 0.70: ${verdict(ratio >= 0.7)}`]],
    notes: lines.map((line) => line.trim()),
  };
}

console.log(`cos-transcoder bench — Node ${process.version}, ${process.platform}/${process.arch}`);
if (process.argv.includes('--quick')) {
  // The size budgets only (CI runs this): exit 1 when a bundle is over its budget.
  console.log('\nbundle size (budgets)');
  const { over } = await reportSizes();
  if (over.length > 0) {
    console.error(`\nOver budget: ${over.join('; ')}`);
    process.exit(1);
  }
  process.exit(0);
}
const started = new Date();
const tables: Table[] = [];
console.log('\nthroughput');
const rows: string[][] = [];
for (const c of cases) rows.push(await measure(c));
const head = ['operation', 'ops/s', 'µs/op'];
tables.push({ title: 'Protocol core throughput (Node, one core)', head, rows, notes: [] });
console.log('\nbundle size');
tables.push(sizeTable(await reportSizes()));
console.log('\nemulator ingest (CRC-64 and MD5 included; client in another process)');
// It prints its own lines; its summary becomes the results table.
tables.push(ingestTable(await benchEmulatorIngest()));
const browser = await benchBrowserUpload();
tables.push(...browser.tables);
// The upload + job section spends a minute mostly waiting on the job's clock, with a few requests: it runs while the
// media section encodes, whose figures are wall times of FFmpeg and hardly notice it.
console.log('\nemulator media processing (real FFmpeg; the emulator CLI in a child process), and meanwhile an upload + job');
const [jobs, media] = await Promise.all([benchJobRequests(), benchMedia()]);
printTable(jobs);
tables.push(jobs);
if (media) tables.push(media);
const totalSeconds = (Date.now() - started.getTime()) / 1000;
console.log(`\ntotal: ${totalSeconds.toFixed(0)} s (goal: under 600 s)`);
if (process.env['BENCH_QUICK'] === '1') {
  console.log('BENCH_QUICK=1: bench/results.md left as it is');
} else {
  const path = fileURLToPath(new URL('./results.md', import.meta.url));
  await writeResults(path, { started, totalSeconds, browser: browser.browser }, tables);
  console.log(`wrote ${path}`);
}
