import { expect } from 'chai';
import { MemoryJobRecordStore } from '../../../src/core/jobs/job-records.js';
import { submitJob } from '../../../src/core/jobs/submit-job.js';
import { buildJobRequest } from '../../../src/core/protocol/job-request.js';
import {
  answer,
  echo,
  errorReply,
  jobsXml,
  newJobId,
  transcodeRequest,
  xmlReply,
} from '../../helpers/job-echo.js';
import { withLocalStorage } from '../../helpers/map-storage.js';
import { NOW, settle, setup } from '../../helpers/service-client-setup.js';
import { listReply, lookupLine, startSubmit } from '../../helpers/submit-setup.js';

const POST = 'POST /jobs';
const created = (jobId: string, creationTime = NOW) =>
  xmlReply(jobsXml([echo(transcodeRequest(), { jobId, creationTime })]));
const found = (...jobs: object[]) => listReply(jobs);
const none = () => listReply([]);

describe('submitJob', () => {
  it('should send POST /jobs once with the built body and keep a record naming the job', async () => {
    const jobId = newJobId();
    const { transport, records, outcome, id } = startSubmit();
    const request = await answer(transport, POST, created(jobId));
    const { value } = await outcome;
    expect([request.headers['content-type'], request.body]).to.deep.equal([
      'application/xml',
      buildJobRequest(transcodeRequest()),
    ]);
    expect([value?.origin, value?.submissions, value?.job.JobId, value?.job.State]).to.deep.equal([
      'submitted',
      1,
      jobId,
      'Submitted',
    ]);
    expect(records.get(id)).to.deep.include({ jobId, submittedAt: NOW, inputObject: 'input/demo.mp4' });
  });

  it('should write the pending record before the request leaves', async () => {
    const { transport, records, outcome, id } = startSubmit();
    const request = await transport.nextRequest();
    const record = records.get(id);
    request.respondWith(created(newJobId()));
    await outcome;
    expect(record).to.not.equal(undefined);
    expect(record).to.not.have.property('jobId');
  });

  it('should forget the record on release, once', async () => {
    const { transport, records, outcome, id } = startSubmit();
    await answer(transport, POST, created(newJobId()));
    const { value } = await outcome;
    value!.release();
    value!.release();
    expect(records.get(id)).to.equal(undefined);
  });

  it('should send nothing and store nothing for an invalid request', async () => {
    const records = new MemoryJobRecordStore();
    const written: string[] = [];
    records.set = (id) => void written.push(id);
    const { transport, outcome } = startSubmit(transcodeRequest({ UserData: 'caf\u00e9' }), { records });
    const { error } = await outcome;
    expect([error?.code, error?.phase, transport.requests.length, written]).to.deep.equal([
      'invalid-request',
      'submit',
      0,
      [],
    ]);
  });

  it('should refuse invalid lookup options before sending anything', async () => {
    const { transport, outcome } = startSubmit(transcodeRequest(), { lookup: { attempts: 0 } });
    const { error } = await outcome;
    expect([error?.code, transport.requests.length]).to.deep.equal(['invalid-options', 0]);
    expect(error?.message).to.contain('attempts must be an integer from 1 to 20');
  });

  it('should find the job of a lost answer through the list API instead of submitting again', async () => {
    const jobId = newJobId();
    const { transport, records, outcome, id } = startSubmit();
    await answer(transport, POST, 'network');
    await answer(transport, lookupLine(), found(echo(transcodeRequest(), { jobId, creationTime: NOW + 1000 })));
    const { value } = await outcome;
    expect([value?.origin, value?.submissions, value?.job.JobId]).to.deep.equal(['recovered', 1, jobId]);
    const posts = transport.requests.filter((request) => request.method === 'POST');
    expect([posts.length, records.get(id)?.jobId]).to.deep.equal([1, jobId]);
  });

  it('should look for the job after a 500 too, since the service may have created it', async () => {
    const jobId = newJobId();
    const { transport, outcome } = startSubmit();
    await answer(transport, POST, errorReply(500, 'InternalError'));
    await answer(transport, lookupLine(), found(echo(transcodeRequest(), { jobId })));
    expect((await outcome).value?.origin).to.equal('recovered');
  });

  it('should look again after a delay, then submit again when every search found nothing', async () => {
    const jobId = newJobId();
    const { transport, outcome } = startSubmit();
    await answer(transport, POST, 'network');
    await answer(transport, lookupLine(), none());
    await answer(transport, lookupLine(), none());
    await answer(transport, POST, created(jobId));
    const { value } = await outcome;
    expect([value?.origin, value?.submissions, value?.job.JobId]).to.deep.equal(['submitted', 2, jobId]);
    expect(transport.requests.map((request) => request.method)).to.deep.equal(['POST', 'GET', 'GET', 'POST']);
  });

  it('should not adopt a look-alike job this page already holds', async () => {
    const client = setup();
    const first = startSubmit(transcodeRequest(), { records: false }, client);
    const earlier = newJobId();
    await answer(client.transport, POST, created(earlier, NOW - 1000));
    expect((await first.outcome).value?.job.JobId).to.equal(earlier);
    const second = startSubmit(transcodeRequest(), { records: false, lookup: { attempts: 1, delay: 1 } }, client);
    await answer(client.transport, POST, 'network');
    await answer(client.transport, lookupLine(), found(echo(transcodeRequest(), { jobId: earlier })));
    const later = newJobId();
    await answer(client.transport, POST, created(later));
    const { value } = await second.outcome;
    expect([value?.origin, value?.job.JobId, value?.submissions]).to.deep.equal(['submitted', later, 2]);
  });

  it('should adopt the matching job created closest after the submission', async () => {
    const [other, before, closest, after] = [newJobId(), newJobId(), newJobId(), newJobId()];
    const { transport, outcome } = startSubmit();
    await answer(transport, POST, 'network');
    await answer(
      transport,
      lookupLine(),
      found(
        echo(transcodeRequest({ UserData: 'order-43' }), { jobId: other, creationTime: NOW }),
        echo(transcodeRequest(), { jobId: after, creationTime: NOW + 2000 }),
        echo(transcodeRequest(), { jobId: closest, creationTime: NOW + 1000 }),
        echo(transcodeRequest(), { jobId: before, creationTime: NOW - 2000 }),
      ),
    );
    expect((await outcome).value?.job.JobId).to.equal(closest);
  });

  it('should follow the list pages while looking', async () => {
    const jobId = newJobId();
    const { transport, outcome } = startSubmit();
    await answer(transport, POST, 'network');
    await answer(transport, lookupLine(), listReply([], { nextToken: 'cGFnZTI' }));
    await answer(transport, lookupLine({ nextToken: 'cGFnZTI' }), found(echo(transcodeRequest(), { jobId })));
    expect((await outcome).value?.job.JobId).to.equal(jobId);
  });

  it('should never submit again while a search failed, and keep the pending record', async () => {
    const client = setup({ retry: { delays: [] } });
    const { transport, records, outcome, id } = startSubmit(transcodeRequest(), {}, client);
    await answer(transport, POST, 'network');
    await answer(transport, lookupLine(), errorReply(500, 'InternalError'));
    await answer(transport, lookupLine(), none());
    const { error } = await outcome;
    expect([error?.code, error?.phase, error?.retryable, error?.attempts]).to.deep.equal([
      'network',
      'submit',
      true,
      1,
    ]);
    expect([transport.requests.length, records.get(id)?.submittedAt]).to.deep.equal([3, NOW]);
  });

  it('should send at most retry.delays.length + 1 submissions, then throw the last error', async () => {
    const lookup = { attempts: 1, delay: 1 };
    const { transport, records, outcome, id } = startSubmit(transcodeRequest(), { lookup });
    for (let post = 0; post < 4; post += 1) {
      await answer(transport, POST, 'network');
      await answer(transport, lookupLine(), none());
    }
    const { error } = await outcome;
    expect([error?.code, error?.attempts, transport.requests.length]).to.deep.equal(['network', 4, 8]);
    expect(records.get(id)).to.deep.include({ submittedAt: NOW }).and.not.have.property('jobId');
  });

  it('should keep a pending record between calls in the default store when localStorage is unusable', async () => {
    const { client, transport } = setup({ retry: { delays: [] } });
    const lookup = { attempts: 1, delay: 1 };
    const submit = () =>
      withLocalStorage({ value: undefined }, () => settle(submitJob(client, transcodeRequest(), { lookup })));
    const first = submit();
    await answer(transport, POST, 'network');
    await answer(transport, lookupLine(), errorReply(500, 'InternalError'));
    expect((await first).error?.code).to.equal('network');
    const jobId = newJobId();
    const second = submit();
    await answer(transport, lookupLine(), found(echo(transcodeRequest(), { jobId })));
    const { value } = await second;
    value?.release();
    expect([value?.origin, value?.job.JobId, transport.requests.length]).to.deep.equal(['reattached', jobId, 3]);
  });

  it('should look for the job, never resend, when a 200 answer is unreadable', async () => {
    const jobId = newJobId();
    const { transport, outcome } = startSubmit();
    await answer(transport, POST, xmlReply('<Response><JobsDetail><JobId>'));
    await answer(transport, lookupLine(), found(echo(transcodeRequest(), { jobId })));
    expect((await outcome).value?.origin).to.equal('recovered');
  });

  it('should throw an unreadable 200 answer when the job cannot be found, without resending', async () => {
    const { transport, outcome } = startSubmit();
    await answer(transport, POST, xmlReply('<Response/>'));
    await answer(transport, lookupLine(), none());
    await answer(transport, lookupLine(), none());
    const { error } = await outcome;
    expect([error?.code, transport.requests.length]).to.deep.equal(['invalid-response', 3]);
  });

  it('should throw a 4xx at once and forget the pending record', async () => {
    const { transport, records, outcome, id } = startSubmit();
    await answer(transport, POST, errorReply(400, 'InvalidArgument'));
    const { error } = await outcome;
    expect([error?.code, error?.status, error?.phase, transport.requests.length]).to.deep.equal([
      'service',
      400,
      'submit',
      1,
    ]);
    expect(records.get(id)).to.equal(undefined);
  });

  it('should reject with aborted and keep the pending record when aborted once the POST left', async () => {
    const controller = new AbortController();
    const { transport, records, outcome, id } = startSubmit(transcodeRequest(), { signal: controller.signal });
    await transport.nextRequest();
    controller.abort();
    const { error } = await outcome;
    expect([error?.code, error?.phase, records.get(id)?.submittedAt, transport.requests.length]).to.deep.equal([
      'aborted',
      'submit',
      NOW,
      1,
    ]);
  });

  it('should forget the pending record when aborted before the POST left', async () => {
    const controller = new AbortController();
    const inner = new MemoryJobRecordStore();
    const written: string[] = [];
    const records = {
      get: (key: string) => inner.get(key),
      delete: (key: string) => inner.delete(key),
      set: async (key: string, record: Parameters<MemoryJobRecordStore['set']>[1]) => {
        inner.set(key, record);
        written.push(key);
        controller.abort();
      },
    };
    const { transport, outcome, id } = startSubmit(transcodeRequest(), { signal: controller.signal, records });
    const { error } = await outcome;
    expect([error?.code, written, inner.get(id), transport.requests.length]).to.deep.equal([
      'aborted',
      [id],
      undefined,
      0,
    ]);
  });

  it('should keep the pending record when aborted while waiting between searches', async () => {
    const controller = new AbortController();
    const { transport, records, outcome, id } = startSubmit(transcodeRequest(), {
      signal: controller.signal,
      lookup: { attempts: 2, delay: 60_000 },
    });
    await answer(transport, POST, 'network');
    await answer(transport, lookupLine(), none());
    controller.abort();
    const { error } = await outcome;
    expect([error?.code, records.get(id)?.submittedAt, transport.requests.length]).to.deep.equal(['aborted', NOW, 2]);
  });

  it('should send nothing when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { transport, outcome } = startSubmit(transcodeRequest(), { signal: controller.signal });
    expect([(await outcome).error?.code, transport.requests.length]).to.deep.equal(['aborted', 0]);
  });
});
