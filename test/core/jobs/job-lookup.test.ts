import { expect } from 'chai';
import {
  DEFAULT_JOB_LOOKUP,
  creationWindow,
  findSubmittedJob,
  lookForSubmittedJob,
} from '../../../src/core/jobs/job-lookup.js';
import { answer, echo, errorReply, newJobId, transcodeRequest } from '../../helpers/job-echo.js';
import { NOW, settle, setup } from '../../helpers/service-client-setup.js';
import { listReply, lookupLine } from '../../helpers/submit-setup.js';

const WINDOW = DEFAULT_JOB_LOOKUP.window;
/** The service's clock, 7 minutes off the page's. */
const SERVICE = NOW + 420_000;
const jobAt = (creationTime: number, jobId = newJobId()) => echo(transcodeRequest(), { jobId, creationTime });

describe('creationWindow', () => {
  it("should anchor this page's POST on the service clock: its Date minus the time elapsed since the POST", () => {
    const page = { serverTime: SERVICE, respondedAt: 25_000, clockNow: NOW };
    expect(creationWindow({ at: NOW - 20_000, sentAt: 5000 }, page, WINDOW)).to.deep.equal({
      from: SERVICE - 23_000,
      to: SERVICE + 3000,
      sent: SERVICE - 20_000,
    });
  });

  it("should anchor an earlier page's record on the service clock, with window / 2 more slack", () => {
    const page = { serverTime: SERVICE, respondedAt: 1, clockNow: NOW };
    expect(creationWindow({ at: NOW - 10_000 }, page, WINDOW)).to.deep.equal({
      from: SERVICE - 10_000 - 60_000 - 3000,
      to: SERVICE + 3000,
      sent: SERVICE - 10_000,
    });
  });

  it('should use the page clock, window / 2 either side, without a Date', () => {
    const page = { respondedAt: 25_000, clockNow: NOW };
    expect(creationWindow({ at: NOW - 20_000, sentAt: 5000 }, page, WINDOW)).to.deep.equal({
      from: NOW - 80_000,
      to: NOW + 60_000,
      sent: NOW - 20_000,
    });
  });
});

describe('findSubmittedJob', () => {
  it('should send no time range, and judge creation times by the monotonic time elapsed since the POST', async () => {
    const { client, transport } = setup();
    let monotonic = 1000;
    const now = () => monotonic;
    const [before, after] = [newJobId(), newJobId()];
    const search = findSubmittedJob(client, transcodeRequest(), { at: NOW, sentAt: 1000 }, WINDOW, undefined, now);
    const request = await transport.nextRequest();
    monotonic += 30_000;
    const jobs = [jobAt(SERVICE - 29_000, after), jobAt(SERVICE - 34_000, before)];
    request.respondWith(listReply(jobs, { serverTime: SERVICE }));
    const result = await search;
    expect([Object.keys(request.query), result.job?.JobId]).to.deep.equal([
      ['tag', 'inputObject', 'orderByTime', 'size'],
      after,
    ]);
  });

  it('should report a search that read five pages still inside the window as incomplete', async () => {
    const { client, transport } = setup();
    const search = findSubmittedJob(client, transcodeRequest(), { at: NOW, sentAt: 0 }, WINDOW, undefined, () => 0);
    for (let page = 0; page < 5; page += 1) {
      const nextToken = page === 0 ? {} : { nextToken: `p${page}` };
      await answer(transport, lookupLine(nextToken), listReply([], { nextToken: `p${page + 1}` }));
    }
    expect(await search).to.deep.equal({ complete: false });
  });
});

describe('lookForSubmittedJob', () => {
  const settings = { attempts: 3, delay: 1, window: WINDOW };

  it('should stop at once, refused, when the service refuses the search for good', async () => {
    const { client, transport } = setup();
    const looking = lookForSubmittedJob(client, transcodeRequest(), { at: NOW, sentAt: 0 }, settings);
    await answer(transport, lookupLine(), errorReply(403, 'AccessDenied'));
    const outcome = await looking;
    const refusal = outcome.job || outcome.certain ? undefined : [outcome.refused, outcome.error.phase];
    expect([refusal, transport.requests.length]).to.deep.equal([[true, 'submit'], 1]);
  });

  it('should search again after a failure that may pass, and stay uncertain', async () => {
    const { client, transport } = setup({ retry: { delays: [] } });
    const looking = settle(lookForSubmittedJob(client, transcodeRequest(), { at: NOW, sentAt: 0 }, settings));
    await answer(transport, lookupLine(), errorReply(500, 'InternalError'));
    await answer(transport, lookupLine(), listReply([]));
    await answer(transport, lookupLine(), listReply([]));
    const { value } = await looking;
    const failure = !value || value.job || value.certain ? undefined : [value.refused, value.error.status];
    expect([failure, transport.requests.length]).to.deep.equal([[false, 500], 3]);
  });
});
