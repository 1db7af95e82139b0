import { expect } from 'chai';
import {
  DEFAULT_JOB_RECORD_TTL_MS,
  MemoryJobRecordStore,
  type JobRecord,
  type JobRecordStore,
} from '../../../src/core/jobs/job-records.js';
import { answer, echo, errorReply, jobsXml, newJobId, transcodeRequest, xmlReply } from '../../helpers/job-echo.js';
import { BUCKET, NOW, REGION, setup } from '../../helpers/service-client-setup.js';
import { fingerprintOf, listReply, lookupLine, startSubmit } from '../../helpers/submit-setup.js';

const POST = 'POST /jobs';
const ID = fingerprintOf(transcodeRequest());

/** The record an earlier page left for the default request. */
function recordOf(fields: Partial<JobRecord> = {}): JobRecord {
  return {
    version: 1,
    fingerprint: ID,
    bucket: BUCKET,
    region: REGION,
    tag: 'Transcode',
    inputObject: 'input/demo.mp4',
    submittedAt: NOW - 5000,
    ...fields,
  };
}

/** A memory store holding `record` under the default request's id. */
function storeWith(record: JobRecord): MemoryJobRecordStore {
  const store = new MemoryJobRecordStore();
  store.set(ID, record);
  return store;
}

const jobReply = (jobId: string, state: 'Submitted' | 'Running' = 'Submitted') =>
  xmlReply(jobsXml([echo(transcodeRequest(), { jobId, state })]));

describe('submitJob after a reload', () => {
  it('should re-attach to the job a record names, whatever its state, without submitting', async () => {
    const jobId = newJobId();
    const { transport, outcome, records } = startSubmit(transcodeRequest(), {
      records: storeWith(recordOf({ jobId })),
    });
    await answer(transport, `GET /jobs/${jobId}`, jobReply(jobId, 'Running'));
    const { value } = await outcome;
    expect([value?.origin, value?.submissions, value?.job.State, transport.requests.length]).to.deep.equal([
      'reattached',
      0,
      'Running',
      1,
    ]);
    expect(records.get(ID)?.jobId).to.equal(jobId);
  });

  it('should keep the record until release', async () => {
    const jobId = newJobId();
    const { transport, outcome, records } = startSubmit(transcodeRequest(), {
      records: storeWith(recordOf({ jobId })),
    });
    await answer(transport, `GET /jobs/${jobId}`, jobReply(jobId));
    (await outcome).value?.release();
    expect(records.get(ID)).to.equal(undefined);
  });

  it('should look for the job of a pending record (the page died mid-submit) and re-attach to it', async () => {
    const jobId = newJobId();
    const { transport, outcome, records } = startSubmit(transcodeRequest(), { records: storeWith(recordOf()) });
    await answer(transport, lookupLine(), listReply([echo(transcodeRequest(), { jobId, creationTime: NOW - 4000 })]));
    const { value } = await outcome;
    expect([value?.origin, value?.submissions, value?.job.JobId]).to.deep.equal(['reattached', 0, jobId]);
    expect(records.get(ID)).to.deep.equal(recordOf({ jobId }));
  });

  it('should submit when the job of a pending record cannot be found', async () => {
    const jobId = newJobId();
    const { transport, outcome } = startSubmit(transcodeRequest(), { records: storeWith(recordOf()) });
    await answer(transport, lookupLine(), listReply([]));
    await answer(transport, lookupLine(), listReply([]));
    await answer(transport, POST, jobReply(jobId));
    const { value } = await outcome;
    expect([value?.origin, value?.job.JobId]).to.deep.equal(['submitted', jobId]);
  });

  it('should neither submit nor re-attach while the search for a pending record fails', async () => {
    const client = setup({ retry: { delays: [] } });
    const options = { records: storeWith(recordOf()), lookup: { attempts: 1 } };
    const { transport, outcome, records } = startSubmit(transcodeRequest(), options, client);
    await answer(transport, lookupLine(), errorReply(500, 'InternalError'));
    const { error } = await outcome;
    expect([error?.code, error?.phase, error?.status, transport.requests.length]).to.deep.equal([
      'service',
      'submit',
      500,
      1,
    ]);
    expect(records.get(ID)).to.deep.equal(recordOf());
  });

  it('should drop a pending record whose search the service refuses for good, and say the job may exist', async () => {
    const options = { records: storeWith(recordOf()), lookup: { attempts: 3 } };
    const { transport, outcome, records } = startSubmit(transcodeRequest(), options);
    await answer(transport, lookupLine(), errorReply(403, 'AccessDenied'));
    const { error } = await outcome;
    expect([error?.code, error?.phase, error?.status, error?.serviceCode]).to.deep.equal([
      'service',
      'submit',
      403,
      'AccessDenied',
    ]);
    expect(error?.message).to.match(/^An earlier POST \/jobs of this request got no answer and the job could not be/);
    expect([records.get(ID), transport.requests.length]).to.deep.equal([undefined, 1]);
  });

  it('should throw a failure to read the recorded job with phase submit, keeping the record', async () => {
    const jobId = newJobId();
    const { transport, outcome, records } = startSubmit(transcodeRequest(), {
      records: storeWith(recordOf({ jobId })),
    });
    await answer(transport, `GET /jobs/${jobId}`, errorReply(403, 'AccessDenied'));
    const { error } = await outcome;
    expect([error?.code, error?.phase, error?.status, records.get(ID)?.jobId]).to.deep.equal([
      'service',
      'submit',
      403,
      jobId,
    ]);
  });

  it('should not adopt a job created long before the pending record was written', async () => {
    const { transport, outcome } = startSubmit(transcodeRequest(), { records: storeWith(recordOf()) });
    const old = echo(transcodeRequest(), { jobId: newJobId(), creationTime: NOW - 5000 - 70_000 });
    await answer(transport, lookupLine(), listReply([old]));
    await answer(transport, lookupLine(), listReply([old]));
    await answer(transport, POST, jobReply(newJobId()));
    expect((await outcome).value?.origin).to.equal('submitted');
  });

  it('should submit again, within one page, when the record names a job this page was given', async () => {
    const client = setup();
    const [first, second] = [newJobId(), newJobId()];
    const earlier = startSubmit(transcodeRequest(), {}, client);
    await answer(client.transport, POST, jobReply(first));
    await earlier.outcome;
    const again = startSubmit(transcodeRequest(), { records: earlier.records }, client);
    await answer(client.transport, POST, jobReply(second));
    const { value } = await again.outcome;
    expect([value?.origin, value?.job.JobId, earlier.records.get(ID)?.jobId]).to.deep.equal([
      'submitted',
      second,
      second,
    ]);
  });

  it('should drop a record of a job the service does not know, then submit', async () => {
    const [gone, jobId] = [newJobId(), newJobId()];
    const { transport, outcome, records } = startSubmit(transcodeRequest(), {
      records: storeWith(recordOf({ jobId: gone })),
    });
    await answer(transport, `GET /jobs/${gone}`, xmlReply(jobsXml([], { missing: [gone] })));
    const post = await transport.nextRequest();
    const during = records.get(ID);
    post.respondWith(jobReply(jobId));
    const { value } = await outcome;
    expect([value?.origin, value?.job.JobId, during?.jobId, records.get(ID)?.jobId]).to.deep.equal([
      'submitted',
      jobId,
      undefined,
      jobId,
    ]);
  });

  it('should ignore and replace a record older than a day', async () => {
    const jobId = newJobId();
    const stale = recordOf({ jobId: newJobId(), submittedAt: NOW - DEFAULT_JOB_RECORD_TTL_MS });
    const { transport, outcome, records } = startSubmit(transcodeRequest(), { records: storeWith(stale) });
    await answer(transport, POST, jobReply(jobId));
    const { value } = await outcome;
    expect([value?.origin, records.get(ID)?.jobId, records.get(ID)?.submittedAt]).to.deep.equal([
      'submitted',
      jobId,
      NOW,
    ]);
  });

  it('should ignore and replace a record from more than 5 minutes in the future', async () => {
    const jobId = newJobId();
    const ahead = recordOf({ jobId: newJobId(), submittedAt: NOW + 6 * 60_000 });
    const { transport, outcome, records } = startSubmit(transcodeRequest(), { records: storeWith(ahead) });
    await answer(transport, POST, jobReply(jobId));
    expect([(await outcome).value?.origin, records.get(ID)?.submittedAt]).to.deep.equal(['submitted', NOW]);
  });

  it('should trust a record a minute in the future (a page clock corrected differently)', async () => {
    const jobId = newJobId();
    const { transport, outcome } = startSubmit(transcodeRequest(), {
      records: storeWith(recordOf({ jobId, submittedAt: NOW + 60_000 })),
    });
    await answer(transport, `GET /jobs/${jobId}`, jobReply(jobId));
    expect((await outcome).value?.origin).to.equal('reattached');
  });

  it('should ignore a record that names another request under the same id', async () => {
    const jobId = newJobId();
    const foreign = recordOf({ jobId: newJobId(), inputObject: 'input/other.mp4' });
    const { transport, outcome } = startSubmit(transcodeRequest(), { records: storeWith(foreign) });
    await answer(transport, POST, jobReply(jobId));
    expect((await outcome).value?.origin).to.equal('submitted');
  });

  it('should not let an old release delete the record of a later job', async () => {
    const [first, second] = [newJobId(), newJobId()];
    const { transport, outcome, records } = startSubmit(transcodeRequest(), {
      records: storeWith(recordOf({ jobId: first })),
    });
    await answer(transport, `GET /jobs/${first}`, jobReply(first));
    const reattached = (await outcome).value!;
    records.set(ID, recordOf({ jobId: second, submittedAt: NOW }));
    reattached.release();
    expect(records.get(ID)?.jobId).to.equal(second);
    expect(transport.requests.length).to.equal(1);
  });

  it('should work with a store that answers with promises', async () => {
    const jobId = newJobId();
    const inner = storeWith(recordOf({ jobId }));
    const store: JobRecordStore = {
      get: async (id) => inner.get(id),
      set: async (id, record) => inner.set(id, record),
      delete: async (id) => inner.delete(id),
    };
    const { transport, outcome } = startSubmit(transcodeRequest(), { records: store });
    await answer(transport, `GET /jobs/${jobId}`, jobReply(jobId));
    const { value } = await outcome;
    value?.release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect([value?.origin, inner.get(ID)]).to.deep.equal(['reattached', undefined]);
  });

  it('should submit all the same when the store throws on every call', async () => {
    const jobId = newJobId();
    const broken: JobRecordStore = {
      get: () => {
        throw new Error('blocked');
      },
      set: () => Promise.reject(new Error('blocked')),
      delete: () => {
        throw new Error('blocked');
      },
    };
    const { transport, outcome } = startSubmit(transcodeRequest(), { records: broken });
    await answer(transport, POST, jobReply(jobId));
    const { value } = await outcome;
    expect(() => value?.release()).not.to.throw();
    expect([value?.origin, value?.job.JobId]).to.deep.equal(['submitted', jobId]);
  });

  describe('with another call of the same request in flight (the record lock)', () => {
    it('should wait for it, then follow its job without submitting', async () => {
      const client = setup();
      const jobId = newJobId();
      const first = startSubmit(transcodeRequest(), {}, client);
      const second = startSubmit(transcodeRequest(), { records: first.records }, client);
      await answer(client.transport, POST, jobReply(jobId));
      await answer(client.transport, `GET /jobs/${jobId}`, jobReply(jobId, 'Running'));
      const [one, two] = [(await first.outcome).value, (await second.outcome).value];
      expect([one?.origin, two?.origin, two?.job.JobId, two?.submissions]).to.deep.equal([
        'submitted',
        'reattached',
        jobId,
        0,
      ]);
      expect(client.transport.unclaimed).to.equal(0);
    });

    it('should stop waiting when its signal aborts, having sent nothing and left the record alone', async () => {
      const client = setup();
      const jobId = newJobId();
      const first = startSubmit(transcodeRequest(), {}, client);
      const post = await client.transport.nextRequest();
      const controller = new AbortController();
      const second = startSubmit(transcodeRequest(), { records: first.records, signal: controller.signal }, client);
      controller.abort();
      const { error } = await second.outcome;
      const pending = first.records.get(ID);
      post.respondWith(jobReply(jobId));
      const { value } = await first.outcome;
      expect([error?.code, error?.phase, pending?.jobId, pending?.submittedAt]).to.deep.equal([
        'aborted',
        'submit',
        undefined,
        NOW,
      ]);
      expect([value?.job.JobId, first.records.get(ID)?.jobId, client.transport.unclaimed]).to.deep.equal([
        jobId,
        jobId,
        0,
      ]);
    });
  });
});
