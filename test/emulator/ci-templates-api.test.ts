// The CI template API (POST/GET /template, PUT/DELETE /template/<id>) over real HTTP: created templates are
// described, used by jobs at once, kept across a restart on the same data folder, validated and authorised.
import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseXml } from '../../src/core/protocol/xml.js';
import type { Emulator } from '../../src/emulator/index.js';
import {
  APP_ID,
  BUCKET,
  REGION,
  errorCode,
  permanentKeys,
  seedObject,
  send,
  startTestEmulator,
  temporaryKeys,
  type SigningKeys,
  type WireResponse,
} from '../helpers/emulator.js';
import { SAMPLE, postJob, submit, transcodeBody, waitForJob } from './ci-support.js';

const OTHER_BUCKET = `otherbucket-${APP_ID}`;

const WATERMARK_BODY = (name: string, text = 'offline') =>
  '<Request><Tag>Watermark</Tag><Name>' +
  name +
  '</Name><Watermark><Type>Text</Type><LocMode>Absolute</LocMode><Dx>128</Dx><Dy>128</Dy><Pos>TopRight</Pos>' +
  '<StartTime>0</StartTime><EndTime>100.5</EndTime><Text><Text>' +
  text +
  '</Text><FontSize>30</FontSize><FontType></FontType><FontColor>0xF0F8F0</FontColor>' +
  '<Transparency>30</Transparency></Text></Watermark></Request>';

/** The documentation's transcode sample, without the fields the emulator refuses (Profile, Preset, Duration). */
const TRANSCODE_BODY =
  '<Request><Tag>Transcode</Tag><Name>my_720p</Name><Container><Format>mp4</Format></Container>' +
  '<Video><Codec>H.264</Codec><Bitrate>1000</Bitrate><Crf></Crf><Width>1280</Width><Height></Height><Fps>30</Fps>' +
  '<Gop></Gop><ScanMode></ScanMode><Bufsize>0</Bufsize><Maxrate>0</Maxrate></Video>' +
  '<Audio><Codec>aac</Codec><Samplerate>44100</Samplerate><Bitrate>128</Bitrate><Channels>2</Channels></Audio>' +
  '<TransConfig><AdjDarMethod>none</AdjDarMethod><IsCheckReso>false</IsCheckReso></TransConfig></Request>';

type Node = Record<string, unknown>;
const many = (value: unknown): Node[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]) as Node[];

function templateRequest(
  emulator: Emulator,
  method: string,
  path: string,
  options: { body?: string; query?: Record<string, string>; keys?: SigningKeys; bucket?: string } = {},
): Promise<WireResponse> {
  return send(emulator, {
    service: 'ci',
    method,
    path,
    ...(options.body !== undefined && { body: options.body, headers: { 'content-type': 'application/xml' } }),
    ...(options.query && { query: options.query }),
    ...(options.bucket && { bucket: options.bucket }),
    keys: options.keys ?? permanentKeys(emulator),
  });
}

/** `POST /template` that must succeed: its `Response.Template`. */
async function create(emulator: Emulator, body: string, bucket?: string): Promise<Node> {
  const response = await templateRequest(emulator, 'POST', '/template', { body, ...(bucket && { bucket }) });
  expect(response.status, response.text).to.equal(200);
  return (parseXml(response.text)['Response'] as Node)['Template'] as Node;
}

/** `GET /template` that must succeed: its `Response`. */
async function describe_(emulator: Emulator, query: Record<string, string>): Promise<Node> {
  const response = await templateRequest(emulator, 'GET', '/template', { query });
  expect(response.status, response.text).to.equal(200);
  return parseXml(response.text)['Response'] as Node;
}

describe('emulator CI template API', function () {
  this.timeout(20_000);
  let dir: string;
  let emulator: Emulator;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cos-emulator-templates-'));
    emulator = await startTestEmulator({ dataDir: dir, buckets: [BUCKET, OTHER_BUCKET] });
    await seedObject(emulator, 'input/sample.mp4', SAMPLE);
  });

  after(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should create a watermark template, describe it, use it in a job and keep it across a restart', async () => {
    const template = await create(emulator, WATERMARK_BODY('offline_mark'));
    const id = template['TemplateId'] as string;
    expect(id).to.match(/^t1[0-9a-f]{32}$/);
    expect(template).to.include({ Tag: 'Watermark', Name: 'offline_mark', BucketId: BUCKET, Category: 'Custom' });
    expect(template['CreateTime']).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/);
    expect(template['Watermark']).to.deep.include({ Type: 'Text', Pos: 'TopRight', LocMode: 'Absolute', Dx: '128' });
    expect((template['Watermark'] as Node)['Text']).to.deep.include({ Text: 'offline', FontSize: '30' });

    const byId = await describe_(emulator, { ids: `${id},t1ffffffffffffffffffffffffffffffff` });
    expect(byId['TotalCount']).to.equal('1');
    expect(many(byId['TemplateList']).map((t) => t['TemplateId'])).to.deep.equal([id]);
    expect((byId['NonExistTIDs'] as Node)['TemplateId']).to.equal('t1ffffffffffffffffffffffffffffffff');
    const byName = await describe_(emulator, { tag: 'Watermark', name: 'offline_' });
    expect(many(byName['TemplateList']).map((t) => t['Name'])).to.deep.equal(['offline_mark']);

    const job = await submit(
      emulator,
      transcodeBody('input/sample.mp4', { operation: { WatermarkTemplateId: [id] } }),
    );
    expect(job.Operation?.WatermarkTemplateId).to.deep.equal([id]);
    expect((await waitForJob(emulator, job.JobId)).State).to.equal('Success');

    const dataDir = emulator.dataDir;
    await emulator.close();
    expect(await readdir(join(dataDir, 'templates'))).to.deep.equal([`${id}.json`]);
    emulator = await startTestEmulator({ dataDir: dir, buckets: [BUCKET, OTHER_BUCKET] });
    const after = await describe_(emulator, { ids: id });
    expect(many(after['TemplateList'])[0]).to.include({ TemplateId: id, Name: 'offline_mark', CreateTime: template['CreateTime'] });
    const again = await submit(emulator, transcodeBody('input/sample.mp4', { operation: { WatermarkTemplateId: [id] } }));
    expect((await waitForJob(emulator, again.JobId)).State).to.equal('Success');
  });

  it('should create a transcode template from the documented shape and run a job with it', async () => {
    const template = await create(emulator, TRANSCODE_BODY);
    const id = template['TemplateId'] as string;
    expect(template).to.include({ Tag: 'Transcode', Name: 'my_720p' });
    const transTpl = template['TransTpl'] as Node;
    expect(transTpl['Container']).to.deep.equal({ Format: 'mp4' });
    expect(transTpl['Video']).to.deep.equal({ Codec: 'H.264', Width: '1280', Bitrate: '1000', Fps: '30' });
    const job = await submit(emulator, transcodeBody('input/sample.mp4', { operation: { TemplateId: id } }));
    expect(job.Operation?.TemplateId).to.equal(id);
    expect(job.Operation?.TemplateName).to.equal('my_720p');
    expect((await waitForJob(emulator, job.JobId)).State).to.equal('Success');
  });

  it('should list built-in and created templates, paged', async () => {
    const all = await describe_(emulator, { tag: 'Watermark', pageSize: '100' });
    const total = Number(all['TotalCount']);
    expect(many(all['TemplateList']).map((t) => t['TemplateId'])).to.include('t1318c5f428d474afba1797f84091cbe22');
    const official = await describe_(emulator, { tag: 'Watermark', category: 'Official' });
    expect(official['TotalCount']).to.equal('3');
    const second = await describe_(emulator, { tag: 'Watermark', pageSize: '2', pageNumber: '2' });
    expect(second).to.include({ TotalCount: String(total), PageNumber: '2', PageSize: '2' });
    expect(many(second['TemplateList'])).to.have.length(Math.min(2, total - 2));
    const bad = await templateRequest(emulator, 'GET', '/template', { query: { pageSize: '101' } });
    expect(bad.status).to.equal(400);
    expect(bad.text).to.contain('pageSize');
  });

  it('should update and delete a created template; a job naming a deleted one is refused', async () => {
    const id = (await create(emulator, WATERMARK_BODY('to_delete')))['TemplateId'] as string;
    const update = await templateRequest(emulator, 'PUT', `/template/${id}`, { body: WATERMARK_BODY('renamed', 'v2') });
    expect(update.status, update.text).to.equal(200);
    expect(update.text).to.contain('<Name>renamed</Name>').and.contain('<Text>v2</Text>');
    const removed = await templateRequest(emulator, 'DELETE', `/template/${id}`);
    expect(removed.status, removed.text).to.equal(200);
    expect(removed.text).to.contain(`<TemplateId>${id}</TemplateId>`);
    const job = await postJob(emulator, transcodeBody('input/sample.mp4', { operation: { WatermarkTemplateId: [id] } }));
    expect(job.status).to.equal(400);
    expect(job.text).to.contain(`the watermark template ${id} does not exist`);
    const builtIn = await templateRequest(emulator, 'DELETE', '/template/t1318c5f428d474afba1797f84091cbe22');
    expect(errorCode(builtIn)).to.equal('InvalidArgument');
  });

  it('should keep a created template to its bucket', async () => {
    const id = (await create(emulator, WATERMARK_BODY('other_only'), OTHER_BUCKET))['TemplateId'] as string;
    const job = await postJob(emulator, transcodeBody('input/sample.mp4', { operation: { WatermarkTemplateId: [id] } }));
    expect(job.status).to.equal(400);
    expect((await describe_(emulator, { ids: id }))['TotalCount']).to.equal('0');
  });

  it('should still refuse an unknown template id in a job', async () => {
    const body = transcodeBody('input/sample.mp4', { operation: { TemplateId: 't1abcdefabcdefabcdefabcdefabcdefab' } });
    const response = await postJob(emulator, body);
    expect(errorCode(response)).to.equal('InvalidArgument');
    expect(response.text).to.contain('Operation.TemplateId');
  });

  const refusals: [string, string, RegExp][] = [
    ['no Name', WATERMARK_BODY('x').replace('<Name>x</Name>', ''), /Name is required/],
    ['a bad Name', WATERMARK_BODY('a b'), /Name must be 1 to 64/],
    ['a bad position', WATERMARK_BODY('p').replace('TopRight', 'Middle'), /Watermark\.Pos must be one of/],
    ['a bad offset', WATERMARK_BODY('d').replace('<Dx>128</Dx>', '<Dx>5000</Dx>'), /Watermark\.Dx must be from 0 to 4096/],
    ['an unknown tag', '<Request><Tag>Snapshot</Tag><Name>s</Name></Request>', /Tag must be Watermark or Transcode/],
    ['an unsupported transcode field', TRANSCODE_BODY.replace('<Gop></Gop>', '<Profile>high</Profile>'), /Video\.Profile is not supported/],
    ['a time interval', TRANSCODE_BODY.replace('</TransConfig>', '</TransConfig><TimeInterval><Duration>60</Duration></TimeInterval>'), /TimeInterval\.Duration is not supported/],
    ['a codec the container lacks', TRANSCODE_BODY.replace('<Codec>aac</Codec>', '<Codec>opus</Codec>'), /Audio\.Codec must be aac or mp3/],
    ['malformed XML', '<Request><Tag>Watermark', /not well-formed/],
  ];
  for (const [what, body, message] of refusals) {
    it(`should refuse a template with ${what}, naming the field`, async () => {
      const response = await templateRequest(emulator, 'POST', '/template', { body });
      expect(response.status, response.text).to.equal(400);
      expect(errorCode(response)).to.equal('InvalidArgument');
      expect(response.text).to.match(message);
    });
  }

  it('should answer AccessDenied to keys whose policy lacks the template actions', async () => {
    const resource = `qcs::ci:${REGION}:uid/${APP_ID}:bucket/${BUCKET}/*`;
    const policy = { version: '2.0', statement: [{ effect: 'allow', action: ['name/ci:DescribeMediaTemplates'], resource: [resource] }] };
    const keys = await temporaryKeys(emulator, policy);
    const denied = await templateRequest(emulator, 'POST', '/template', { body: WATERMARK_BODY('denied'), keys });
    expect(denied.status).to.equal(403);
    expect(errorCode(denied)).to.equal('AccessDenied');
    const allowed = await templateRequest(emulator, 'GET', '/template', { query: { tag: 'Watermark' }, keys });
    expect(allowed.status, allowed.text).to.equal(200);
  });
});

describe('emulator CI template API limits', function () {
  this.timeout(60_000);
  let emulator: Emulator;

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(async () => {
    await emulator.close();
  });

  it('should refuse the 1001st template of a bucket and accept one again after a delete', async () => {
    const ids: string[] = [];
    for (let start = 0; start < 1000; start += 50) {
      const batch = Array.from({ length: 50 }, (_, index) => create(emulator, WATERMARK_BODY(`n${start + index}`)));
      ids.push(...(await Promise.all(batch)).map((template) => template['TemplateId'] as string));
    }
    const over = await templateRequest(emulator, 'POST', '/template', { body: WATERMARK_BODY('over') });
    expect(errorCode(over)).to.equal('InvalidArgument');
    expect(over.text).to.contain('limit of 1000 templates');
    expect((await templateRequest(emulator, 'DELETE', `/template/${ids[0]!}`)).status).to.equal(200);
    await create(emulator, WATERMARK_BODY('again'));
  });
});
