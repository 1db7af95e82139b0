import { expect } from 'chai';
import {
  answer,
  echo,
  errorReply,
  jobsXml,
  line,
  newJobId,
  transcodeRequest,
  xmlReply,
} from '../../helpers/job-echo.js';
import { NOW, setup } from '../../helpers/service-client-setup.js';
import { FAST_LOOKUP, listReply, lookupLine, startSubmit } from '../../helpers/submit-setup.js';

const POST = 'POST /jobs';
const created = (jobId: string) => xmlReply(jobsXml([echo(transcodeRequest(), { jobId })]));
/** A job of the default request, created at `creationTime` on the service's clock. */
const jobAt = (creationTime: number, jobId = newJobId()) => echo(transcodeRequest(), { jobId, creationTime });
const methods = (requests: readonly { method: string }[]) => requests.map((request) => request.method);

describe('submitJob after a lost answer', () => {
  describe('the search window, on the service clock', () => {
    for (const skew of [180_000, -180_000]) {
      const where = skew > 0 ? 'ahead of' : 'behind';
      it(`should find the job when the service clock is 3 minutes ${where} the page clock`, async () => {
        const jobId = newJobId();
        const { transport, outcome } = startSubmit();
        await answer(transport, POST, 'network');
        await answer(transport, lookupLine(), listReply([jobAt(NOW + skew, jobId)], { serverTime: NOW + skew }));
        const { value } = await outcome;
        expect([value?.origin, value?.job.JobId, methods(transport.requests)]).to.deep.equal([
          'recovered',
          jobId,
          ['POST', 'GET'],
        ]);
      });
    }

    it('should never adopt a job created 50 s before the POST, and submit again', async () => {
      const { transport, outcome } = startSubmit();
      await answer(transport, POST, 'network');
      const older = { ...jobAt(NOW - 50_000), State: 'Failed', Code: 'InternalError' };
      await answer(transport, lookupLine(), listReply([older]));
      await answer(transport, lookupLine(), listReply([older]));
      const jobId = newJobId();
      await answer(transport, POST, created(jobId));
      const { value } = await outcome;
      expect([value?.origin, value?.job.JobId, value?.submissions]).to.deep.equal(['submitted', jobId, 2]);
    });

    it('should take a job created up to 3 s before the POST by the service clock (whole seconds)', async () => {
      const jobId = newJobId();
      const { transport, outcome } = startSubmit();
      await answer(transport, POST, 'network');
      await answer(transport, lookupLine(), listReply([jobAt(NOW - 6000), jobAt(NOW - 3000, jobId)]));
      expect((await outcome).value?.job.JobId).to.equal(jobId);
    });

    it('should pass over a job created after the list answer by the service clock', async () => {
      const { transport, outcome } = startSubmit(transcodeRequest(), { lookup: { attempts: 1 } });
      await answer(transport, POST, 'network');
      await answer(transport, lookupLine(), listReply([jobAt(NOW + 10_000)]));
      const jobId = newJobId();
      await answer(transport, POST, created(jobId));
      expect((await outcome).value?.origin).to.equal('submitted');
    });

    it('should fall back to the page clock, window / 2 either side, when the Date header is hidden', async () => {
      const [near, far] = [newJobId(), newJobId()];
      const { transport, outcome } = startSubmit(transcodeRequest(), { lookup: { attempts: 1, window: 60_000 } });
      await answer(transport, POST, 'network');
      const hidden = { serverTime: null };
      await answer(transport, lookupLine(), listReply([jobAt(NOW + 40_000, far), jobAt(NOW - 25_000, near)], hidden));
      expect((await outcome).value?.job.JobId).to.equal(near);
    });

    it('should stop reading pages at the first job older than the window', async () => {
      const { transport, outcome } = startSubmit(transcodeRequest(), { lookup: { attempts: 1 } });
      await answer(transport, POST, 'network');
      const other = jobAt(NOW - 1000);
      other.Operation.UserData = 'someone-else';
      await answer(transport, lookupLine(), listReply([other, jobAt(NOW - 60_000)], { nextToken: 'cGFnZTI' }));
      await answer(transport, POST, created(newJobId()));
      expect([(await outcome).value?.origin, methods(transport.requests)]).to.deep.equal([
        'submitted',
        ['POST', 'GET', 'POST'],
      ]);
    });

    it('should not resend when five full pages were read still inside the window, and keep the record', async () => {
      const { transport, records, outcome, id } = startSubmit(transcodeRequest(), { lookup: { attempts: 1 } });
      await answer(transport, POST, 'network');
      const others = Array.from({ length: 100 }, () => ({ ...jobAt(NOW), Operation: { UserData: 'other' } }));
      for (let page = 0; page < 5; page += 1) {
        const token = `cGFnZ${page}`;
        const expected = page === 0 ? lookupLine() : lookupLine({ nextToken: `cGFnZ${page - 1}` });
        await answer(transport, expected, listReply(others, { nextToken: token }));
      }
      const { error } = await outcome;
      expect([error?.code, error?.phase, transport.requests.length]).to.deep.equal(['network', 'submit', 6]);
      expect(records.get(id)).to.deep.include({ submittedAt: NOW }).and.not.have.property('jobId');
    });
  });

  describe('a search the service refuses for good', () => {
    it('should throw a service error naming the refusal, and forget the pending record', async () => {
      const { transport, records, outcome, id } = startSubmit();
      await answer(transport, POST, 'network');
      await answer(transport, lookupLine(), errorReply(403, 'AccessDenied', 'Access Denied.'));
      const { error } = await outcome;
      expect([error?.code, error?.phase, error?.status, error?.serviceCode, error?.requestId]).to.deep.equal([
        'service',
        'submit',
        403,
        'AccessDenied',
        'NjQ2YzE4ZWFfOTBmYTUwXzZiZGNfMWY0',
      ]);
      expect(error?.message).to.equal(
        'POST /jobs got no answer and the job could not be looked up: DescribeMediaJobs was refused (403 ' +
          'AccessDenied). The job may exist; check before submitting again. The credentials need ci:DescribeMediaJobs.',
      );
      expect([records.get(id), transport.requests.length]).to.deep.equal([undefined, 2]);
    });

    it('should let the next call submit instead of locking the request out', async () => {
      const client = setup();
      const first = startSubmit(transcodeRequest(), {}, client);
      await answer(client.transport, POST, 'network');
      await answer(client.transport, lookupLine(), errorReply(403, 'AccessDenied'));
      await first.outcome;
      const second = startSubmit(transcodeRequest(), { records: first.records }, client);
      const next = await client.transport.nextRequest();
      const sent = line(next);
      next.respondWith(created(newJobId()));
      expect([sent, (await second.outcome).value?.origin]).to.deep.equal([POST, 'submitted']);
    });
  });

  describe('resending', () => {
    it('should wait the client retry delay between two POSTs', async () => {
      const client = setup({ retry: { delays: [150], jitter: 0 } });
      const { transport, outcome } = startSubmit(transcodeRequest(), { lookup: { attempts: 1, delay: 1 } }, client);
      await answer(transport, POST, 'network');
      await answer(transport, lookupLine(), listReply([]));
      const searched = performance.now();
      const resent = await transport.nextRequest(2000);
      const waited = performance.now() - searched;
      resent.respondWith(created(newJobId()));
      await outcome;
      expect([line(resent), waited >= 140]).to.deep.equal([POST, true]);
    });

    it("should wait the service's Retry-After instead, when it sent one", async () => {
      const { transport, outcome } = startSubmit(transcodeRequest(), { lookup: { attempts: 1, delay: 1 } });
      await answer(transport, POST, { ...errorReply(500, 'InternalError'), headers: { 'retry-after': '1' } });
      await answer(transport, lookupLine(), listReply([]));
      const searched = performance.now();
      const resent = await transport.nextRequest(3000);
      const waited = performance.now() - searched;
      resent.respondWith(created(newJobId()));
      await outcome;
      expect([line(resent), waited >= 950]).to.deep.equal([POST, true]);
    });

    it('should never resend a POST that timed out, and keep its pending record', async () => {
      const { transport, records, outcome, id } = startSubmit();
      await answer(transport, POST, 'timeout');
      await answer(transport, lookupLine(), listReply([]));
      await answer(transport, lookupLine(), listReply([]));
      const { error } = await outcome;
      expect([error?.code, error?.phase, error?.attempts, methods(transport.requests)]).to.deep.equal([
        'timeout',
        'submit',
        1,
        ['POST', 'GET', 'GET'],
      ]);
      expect(records.get(id)).to.deep.include({ submittedAt: NOW }).and.not.have.property('jobId');
    });

    it('should look first on the next call after a timeout, and find the job the slow service made', async () => {
      const client = setup();
      const first = startSubmit(transcodeRequest(), { lookup: { attempts: 1 } }, client);
      await answer(client.transport, POST, 'timeout');
      await answer(client.transport, lookupLine(), listReply([]));
      await first.outcome;
      const jobId = newJobId();
      const second = startSubmit(transcodeRequest(), { records: first.records }, client);
      await answer(client.transport, lookupLine(), listReply([jobAt(NOW + 2000, jobId)], { serverTime: NOW + 5000 }));
      const { value } = await second.outcome;
      expect([value?.origin, value?.job.JobId, client.transport.requests.length]).to.deep.equal([
        'reattached',
        jobId,
        3,
      ]);
    });
  });

  describe('an abort once the POST left', () => {
    it('should keep the pending record, so that the next call looks before submitting', async () => {
      const client = setup();
      const controller = new AbortController();
      const first = startSubmit(transcodeRequest(), { signal: controller.signal, lookup: FAST_LOOKUP }, client);
      await answer(client.transport, POST, 'network');
      await client.transport.nextRequest();
      controller.abort();
      expect((await first.outcome).error?.code).to.equal('aborted');
      const jobId = newJobId();
      const second = startSubmit(transcodeRequest(), { records: first.records }, client);
      await answer(client.transport, lookupLine(), listReply([jobAt(NOW, jobId)]));
      const { value } = await second.outcome;
      expect([value?.origin, value?.job.JobId, methods(client.transport.requests)]).to.deep.equal([
        'reattached',
        jobId,
        ['POST', 'GET', 'GET'],
      ]);
    });
  });
});
