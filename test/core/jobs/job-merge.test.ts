import { expect } from 'chai';
import { initialJobSnapshot, jobFailedError, mergeJobReport } from '../../../src/core/jobs/job-merge.js';
import type { JobSnapshot } from '../../../src/core/jobs/job-types.js';
import type { JobState } from '../../../src/core/protocol/job-state.js';
import { JOB_ID, OTHER_JOB_ID, OUTPUT_KEY, jobDetail } from '../../helpers/job-simulation.js';
import { BUCKET, REGION } from '../../helpers/service-client-setup.js';

/** The snapshot a tracker holds after `state` (at `progress` percent) was reported by a poll. */
function known(state: JobState, progress?: number): JobSnapshot {
  const snapshot = mergeJobReport(undefined, jobDetail(state, progress === undefined ? {} : { progress }), 'poll');
  if (!snapshot) throw new Error('a first report is always news');
  return snapshot;
}

const brief = (snapshot: JobSnapshot | undefined) =>
  snapshot && { status: snapshot.status, percent: snapshot.progress.percent, source: snapshot.source };

describe('mergeJobReport', () => {
  describe('which reports are news', () => {
    const cases: [string, JobSnapshot | undefined, JobState, number | undefined, boolean][] = [
      ['a first report', undefined, 'Submitted', undefined, true],
      ['a repeated Submitted', known('Submitted'), 'Submitted', undefined, false],
      ['Submitted then Running', known('Submitted'), 'Running', 0, true],
      ['a skipped Running (Submitted then Success)', known('Submitted'), 'Success', 100, true],
      ['Running with the same progress', known('Running', 30), 'Running', 30, false],
      ['Running with more progress', known('Running', 30), 'Running', 31, true],
      ['Running with less progress', known('Running', 30), 'Running', 20, false],
      ['Running then Submitted (backwards)', known('Running', 30), 'Submitted', undefined, false],
      ['Running then Pause (unreachable)', known('Running', 30), 'Pause', undefined, false],
      ['Pause then Submitted (queue resumed)', known('Pause'), 'Submitted', undefined, true],
      ['Submitted then Cancel', known('Submitted'), 'Cancel', undefined, true],
      ['Running then Failed', known('Running', 50), 'Failed', undefined, true],
      ['a repeated Success', known('Success'), 'Success', 100, false],
      ['Running after Success', known('Success'), 'Running', 99, false],
      ['Failed after Success', known('Success'), 'Failed', undefined, false],
      ['Success after Failed', known('Failed'), 'Success', 100, false],
      ['Submitted after Cancel', known('Cancel'), 'Submitted', undefined, false],
      ['a first Running after the bare id', initialJobSnapshot(JOB_ID), 'Running', 40, true],
      ['a first Success after the bare id', initialJobSnapshot(JOB_ID), 'Success', 100, true],
      ['a first Submitted after the bare id', initialJobSnapshot(JOB_ID), 'Submitted', undefined, true],
    ];
    for (const [name, current, state, progress, news] of cases) {
      it(`should take ${name} as ${news ? 'news' : 'no news'}`, () => {
        const detail = jobDetail(state, progress === undefined ? {} : { progress });
        expect(mergeJobReport(current, detail, 'poll') !== undefined).to.equal(news);
      });
    }
  });

  it('should start a bare job id at Submitted, 0, source submit, with no results, tag or detail', () => {
    expect(initialJobSnapshot(JOB_ID)).to.deep.equal({
      jobId: JOB_ID,
      status: 'Submitted',
      progress: { percent: 0 },
      source: 'submit',
      results: { outputs: [] },
    });
  });

  it('should ignore a report about another job after the bare id', () => {
    expect(mergeJobReport(initialJobSnapshot(JOB_ID), jobDetail('Running', { jobId: OTHER_JOB_ID }), 'poll')).to.equal(
      undefined,
    );
  });

  it('should ignore a report about another job', () => {
    const report = jobDetail('Running', { jobId: OTHER_JOB_ID, progress: 90 });
    expect(mergeJobReport(known('Running', 10), report, 'callback')).to.equal(undefined);
  });

  it('should tag the change with its source and keep the report', () => {
    const detail = jobDetail('Running', { progress: 40 });
    const next = mergeJobReport(known('Submitted'), detail, 'callback');
    expect(brief(next)).to.deep.equal({ status: 'Running', percent: 0.4, source: 'callback' });
    expect([next?.jobId, next?.tag, next?.detail]).to.deep.equal([JOB_ID, 'Transcode', detail]);
  });

  it('should never lower the progress when the state moves on', () => {
    const next = mergeJobReport(known('Running', 70), jobDetail('Failed', { progress: 10 }), 'poll');
    expect(brief(next)).to.deep.equal({ status: 'Failed', percent: 0.7, source: 'poll' });
  });

  it('should set the progress to 1 on Success whatever the report says', () => {
    const next = mergeJobReport(known('Running', 20), jobDetail('Success', { progress: 50 }), 'poll');
    expect(next?.progress).to.deep.equal({ percent: 1 });
  });

  it('should read a report without Progress as 0', () => {
    expect(known('Submitted').progress).to.deep.equal({ percent: 0 });
  });

  it('should give the results in plain form', () => {
    const next = mergeJobReport(known('Running', 20), jobDetail('Success'), 'poll');
    expect(next?.results.outputs).to.deep.equal([
      { bucket: BUCKET, region: REGION, key: OUTPUT_KEY, md5: '852883012a6ba726e6ed8d9b984edfdf' },
    ]);
  });

  it('should clear a tracking error with the next news', () => {
    const failing = { ...known('Running', 10), error: jobFailedError(jobDetail('Failed')) };
    const next = mergeJobReport(failing, jobDetail('Running', { progress: 20 }), 'poll');
    expect(next && 'error' in next).to.equal(false);
  });

  describe('for a Failed job', () => {
    const failed = (message: string) =>
      mergeJobReport(known('Running', 10), jobDetail('Failed', { code: 'InvalidInput', message }), 'poll');

    it('should carry a job-failed error with the job code', () => {
      const error = failed('The input is not a media file')?.error;
      expect([error?.code, error?.phase, error?.serviceCode]).to.deep.equal(['job-failed', 'track', 'InvalidInput']);
    });

    it('should name the job, the code and the message', () => {
      expect(failed('The input is not a media file')?.error?.message).to.equal(
        `Job ${JOB_ID} failed: InvalidInput: "The input is not a media file"`,
      );
    });

    it('should strip markup and query strings from the message and cap its length', () => {
      const message = failed(`&lt;img src=x&gt; see https://x.test/a?q-signature=abc ${'long '.repeat(100)}`)?.error
        ?.message;
      expect(message).to.not.match(/<|q-signature|\?/);
      expect(message?.length).to.be.lessThan(300);
    });

    it('should say only that the job failed when it has neither code nor message', () => {
      expect(jobFailedError(jobDetail('Failed', { code: '' })).message).to.equal(`Job ${JOB_ID} failed`);
    });
  });
});
