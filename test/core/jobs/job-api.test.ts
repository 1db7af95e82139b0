import { expect } from 'chai';
import { cancelJob, describeJobs, listJobs, type ListJobsQuery } from '../../../src/core/jobs/job-api.js';
import { rejection } from '../../helpers/expect-error.js';
import {
  answer,
  echo,
  errorReply,
  jobsXml,
  newJobId,
  transcodeRequest,
  xmlReply,
} from '../../helpers/job-echo.js';
import { settle, setup } from '../../helpers/service-client-setup.js';

const REQUEST_ID = 'NjQ2YzE4ZWFfOTBmYTUwXzZiZGNfMWY0';

describe('describeJobs', () => {
  it('should read ten ids per request, each id once, and report the unknown ones', async () => {
    const { client, transport } = setup();
    const ids = Array.from({ length: 11 }, () => newJobId());
    const pending = describeJobs(client, [...ids, ids[0]!]);
    const first = await answer(transport, `GET /jobs/${ids.slice(0, 10).join(',')}`, {
      ...xmlReply(jobsXml(ids.slice(0, 9).map((jobId) => echo(transcodeRequest(), { jobId })), { missing: [ids[9]!] })),
    });
    await answer(transport, `GET /jobs/${ids[10]}`, xmlReply(jobsXml([echo(transcodeRequest(), { jobId: ids[10]! })])));
    const { jobs, missing } = await pending;
    expect([first.method, jobs.map((job) => job.JobId), missing]).to.deep.equal([
      'GET',
      [...ids.slice(0, 9), ids[10]],
      [ids[9]],
    ]);
  });

  it('should ignore jobs and unknown ids it did not ask for', async () => {
    const { client, transport } = setup();
    const [asked, other] = [newJobId(), newJobId()];
    const pending = describeJobs(client, [asked]);
    const body = jobsXml([echo(transcodeRequest(), { jobId: other })], { missing: [asked, newJobId()] });
    await answer(transport, `GET /jobs/${asked}`, xmlReply(body));
    expect(await pending).to.deep.equal({ jobs: [], missing: [asked] });
  });

  it('should refuse an id that is not a job id without sending anything', async () => {
    const { client, transport } = setup();
    const error = await rejection(describeJobs(client, ['j1/../x']));
    expect([error.code, error.phase, transport.requests.length]).to.deep.equal(['invalid-request', 'track', 0]);
  });
});

describe('listJobs', () => {
  it('should send every filter as a query parameter, times in China time to the second', async () => {
    const { client, transport } = setup();
    const query: ListJobsQuery = {
      tag: 'Transcode',
      queueId: 'p2242ab62c7c94486915508540933a2c6',
      inputObject: 'input/a b+c.mp4',
      orderByTime: 'Asc',
      nextToken: 'NjQ2YzE4ZWFf',
      size: 100,
      states: ['Running', 'Submitted', 'Running'],
      startCreationTime: Date.UTC(2022, 5, 27, 7, 23, 12, 900),
      endCreationTime: Date.UTC(2022, 5, 27, 7, 25, 0, 1),
    };
    const pending = listJobs(client, query);
    const request = await answer(transport, /^GET \/jobs\?/, xmlReply(jobsXml([])));
    await pending;
    expect(request.query).to.deep.equal({
      tag: 'Transcode',
      queueId: 'p2242ab62c7c94486915508540933a2c6',
      inputObject: 'input/a b+c.mp4',
      orderByTime: 'Asc',
      nextToken: 'NjQ2YzE4ZWFf',
      size: '100',
      states: 'Running,Submitted',
      startCreationTime: '2022-06-27T15:23:12+0800',
      endCreationTime: '2022-06-27T15:25:01+0800',
    });
    expect(request.url).to.contain('startCreationTime=2022-06-27T15%3A23%3A12%2B0800');
  });

  it('should send only the tag when nothing else is asked, and return the jobs and the next token', async () => {
    const { client, transport } = setup();
    const jobId = newJobId();
    const pending = listJobs(client, { tag: 'ExtractDigitalWatermark' });
    const body = jobsXml([echo(transcodeRequest(), { jobId })], { nextToken: 'bmV4dA' });
    await answer(transport, 'GET /jobs?tag=ExtractDigitalWatermark', xmlReply(body));
    const { jobs, nextToken } = await pending;
    expect([jobs.map((job) => job.JobId), nextToken]).to.deep.equal([[jobId], 'bmV4dA']);
  });

  it('should leave nextToken out on the last page', async () => {
    const { client, transport } = setup();
    const pending = listJobs(client, { tag: 'Transcode' });
    await answer(transport, 'GET /jobs?tag=Transcode', xmlReply('<Response><NextToken/></Response>'));
    expect(await pending).to.deep.equal({ jobs: [] });
  });

  it("should return the service's time from the Date header", async () => {
    const { client, transport } = setup();
    const pending = listJobs(client, { tag: 'Transcode' });
    const reply = xmlReply(jobsXml([]));
    await answer(transport, 'GET /jobs?tag=Transcode', {
      ...reply,
      headers: { ...reply.headers, date: 'Thu, 16 May 2024 06:48:51 GMT' },
    });
    expect(await pending).to.deep.equal({ jobs: [], serverTime: Date.UTC(2024, 4, 16, 6, 48, 51) });
  });

  it('should leave serverTime out when the Date header is not a date', async () => {
    const { client, transport } = setup();
    const pending = listJobs(client, { tag: 'Transcode' });
    const reply = xmlReply(jobsXml([]));
    await answer(transport, 'GET /jobs?tag=Transcode', { ...reply, headers: { ...reply.headers, date: '1715841951' } });
    expect(await pending).to.deep.equal({ jobs: [] });
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['a missing tag', {}, 'tag is required'],
    ['a tag with a slash', { tag: 'Trans/code' }, 'tag must be a job tag'],
    ['a size of 0', { tag: 'Transcode', size: 0 }, 'size must be at least 1'],
    ['a size of 101', { tag: 'Transcode', size: 101 }, 'size must be at most 100'],
    ['a fractional size', { tag: 'Transcode', size: 2.5 }, 'size must be an integer'],
    ['a fractional size below 1', { tag: 'Transcode', size: 0.5 }, 'size must be an integer'],
    ['a state that does not exist', { tag: 'Transcode', states: ['Done'] }, 'states[0] must be one of'],
    ['an order other than Desc or Asc', { tag: 'Transcode', orderByTime: 'desc' }, 'orderByTime must be one of'],
    ['a time that is not a number', { tag: 'Transcode', startCreationTime: '2022-06-27' }, 'startCreationTime'],
    ['a negative time', { tag: 'Transcode', endCreationTime: -1 }, 'endCreationTime must be milliseconds'],
    ['an end before the start', { tag: 'Transcode', startCreationTime: 2000, endCreationTime: 1000 }, 'not be before'],
    ['a misspelt filter', { tag: 'Transcode', state: ['Running'] }, 'has unknown fields'],
    ['an input object with a line feed', { tag: 'Transcode', inputObject: 'a\nb' }, 'inputObject must be'],
  ];
  for (const [name, query, message] of invalid) {
    it(`should refuse ${name} without sending anything`, async () => {
      const { client, transport } = setup();
      const error = await rejection(listJobs(client, query as unknown as ListJobsQuery));
      expect([error.code, error.phase, transport.requests.length]).to.deep.equal(['invalid-request', 'track', 0]);
      expect(error.message).to.contain(message);
    });
  }

  it('should report an <Error> body as a service error', async () => {
    const { client, transport } = setup();
    const pending = settle(listJobs(client, { tag: 'Transcode' }));
    await answer(transport, 'GET /jobs?tag=Transcode', errorReply(400, 'InvalidArgument'));
    const { error } = await pending;
    expect([error?.code, error?.status, error?.serviceCode]).to.deep.equal(['service', 400, 'InvalidArgument']);
  });
});

describe('cancelJob', () => {
  const refused = () => errorReply(400, 'InvalidArgument', 'The job provided can not be modified');

  it('should send PUT /jobs/<id>?cancel and resolve on 200', async () => {
    const { client, transport } = setup();
    const jobId = newJobId();
    const pending = cancelJob(client, jobId);
    const request = await answer(transport, `PUT /jobs/${jobId}?cancel`, { status: 200 });
    expect(await pending).to.equal(undefined);
    expect([request.body ?? '', transport.requests.length]).to.deep.equal(['', 1]);
  });

  it('should resend after a lost answer, since cancelling twice is cancelling once', async () => {
    const { client, transport } = setup();
    const jobId = newJobId();
    const pending = cancelJob(client, jobId);
    await answer(transport, `PUT /jobs/${jobId}?cancel`, 'network');
    await answer(transport, `PUT /jobs/${jobId}?cancel`, { status: 200 });
    await pending;
    expect(transport.requests.length).to.equal(2);
  });

  it('should explain a refusal of a running job after reading it once', async () => {
    const { client, transport } = setup();
    const jobId = newJobId();
    const pending = settle(cancelJob(client, jobId));
    await answer(transport, `PUT /jobs/${jobId}?cancel`, refused());
    const running = echo(transcodeRequest(), { jobId, state: 'Running' });
    await answer(transport, `GET /jobs/${jobId}`, xmlReply(jobsXml([running])));
    const { error } = await pending;
    expect(error?.message).to.equal(
      `Cannot cancel job ${jobId}: it is Running; only a job that has not started (Submitted or Pause) can be ` +
        `cancelled (400 InvalidArgument, request id: ${REQUEST_ID})`,
    );
    expect([error?.code, error?.phase, error?.status, error?.serviceCode, error?.requestId]).to.deep.equal([
      'service',
      'cancel',
      400,
      'InvalidArgument',
      REQUEST_ID,
    ]);
    expect(transport.requests.length).to.equal(2);
  });

  it('should say that an ended job has ended', async () => {
    const { client, transport } = setup();
    const jobId = newJobId();
    const pending = settle(cancelJob(client, jobId));
    await answer(transport, `PUT /jobs/${jobId}?cancel`, refused());
    const ended = echo(transcodeRequest(), { jobId, state: 'Success' });
    await answer(transport, `GET /jobs/${jobId}`, xmlReply(jobsXml([ended])));
    const { error } = await pending;
    expect(error?.message).to.match(new RegExp(`^Cannot cancel job ${jobId}: it has ended \\(Success\\)`));
  });

  it('should say that the service knows no such job', async () => {
    const { client, transport } = setup();
    const jobId = newJobId();
    const pending = settle(cancelJob(client, jobId));
    await answer(transport, `PUT /jobs/${jobId}?cancel`, errorReply(400, 'InvalidArgument', 'The job does not exist.'));
    await answer(transport, `GET /jobs/${jobId}`, xmlReply(jobsXml([], { missing: [jobId] })));
    expect((await pending).error?.message).to.match(new RegExp(`^Cannot cancel job ${jobId}: no such job`));
  });

  it('should resolve when the refused job is cancelled already (a resend after a lost answer)', async () => {
    const { client, transport } = setup();
    const jobId = newJobId();
    const pending = cancelJob(client, jobId);
    await answer(transport, `PUT /jobs/${jobId}?cancel`, refused());
    const cancelled = echo(transcodeRequest(), { jobId, state: 'Cancel' });
    await answer(transport, `GET /jobs/${jobId}`, xmlReply(jobsXml([cancelled])));
    expect(await pending).to.equal(undefined);
  });

  it('should throw the refusal itself when the job cannot be read', async () => {
    const { client, transport } = setup({ retry: { delays: [] } });
    const jobId = newJobId();
    const pending = settle(cancelJob(client, jobId));
    await answer(transport, `PUT /jobs/${jobId}?cancel`, refused());
    await answer(transport, `GET /jobs/${jobId}`, 'network');
    const { error } = await pending;
    expect([error?.code, error?.phase, error?.serviceCode]).to.deep.equal(['service', 'cancel', 'InvalidArgument']);
    expect(error?.message).to.match(/^ci:CancelMediaJob failed/);
  });

  it('should throw other refusals at once, without reading the job', async () => {
    const { client, transport } = setup();
    const jobId = newJobId();
    const pending = settle(cancelJob(client, jobId));
    await answer(transport, `PUT /jobs/${jobId}?cancel`, errorReply(403, 'AccessDenied'));
    const { error } = await pending;
    expect([error?.code, error?.status, transport.requests.length]).to.deep.equal(['service', 403, 1]);
  });

  it('should refuse an id that is not a job id without sending anything', async () => {
    const { client, transport } = setup();
    const error = await rejection(cancelJob(client, 'j1?x'));
    expect([error.code, error.phase, transport.requests.length]).to.deep.equal(['invalid-request', 'cancel', 0]);
  });

  it('should reject with aborted when aborted while it waits for the answer', async () => {
    const { client, transport } = setup();
    const controller = new AbortController();
    const pending = settle(cancelJob(client, newJobId(), { signal: controller.signal }));
    await transport.nextRequest();
    controller.abort();
    expect((await pending).error?.code).to.equal('aborted');
  });
});
