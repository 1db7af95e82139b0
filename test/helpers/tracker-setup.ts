import { expect } from 'chai';
import { JobTracker, type JobTrackerOptions } from '../../src/core/jobs/job-tracker.js';
import type { JobSnapshot, SubmittedJob } from '../../src/core/jobs/job-types.js';
import type { JobsDetail } from '../../src/core/protocol/ci-schemas.js';
import type { RetryOptions } from '../../src/core/transport/retry.js';
import { FakeEnvironment, FakeEventSource } from './fake-tracker-environment.js';
import type { FakeTransport } from './fake-transport.js';
import { jobDetail } from './job-simulation.js';
import { ManualTimers } from './manual-timers.js';
import { setup } from './service-client-setup.js';

/** A `SubmittedJob` for `detail` that counts its `release()` calls. */
export function submittedJob(detail: JobsDetail = jobDetail('Submitted')): SubmittedJob & { released: number } {
  const job = {
    job: detail,
    origin: 'submitted' as const,
    submissions: 1,
    released: 0,
    release: () => {
      job.released += 1;
    },
  };
  return job;
}

/** Options of {@link trackerSetup}: the tracker's, minus what the setup provides, plus the client's retry policy. */
export type TrackerSetupOptions = Partial<Omit<JobTrackerOptions, 'client' | 'timers' | 'environment'>> & {
  /** The client's retry policy. @default no retries, so that the tracker sees every failure */
  retry?: RetryOptions;
};

/**
 * A {@link JobTracker} over a scripted transport, on {@link ManualTimers} and a {@link FakeEnvironment}, without
 * jitter, following a submitted job unless told otherwise; `events()` lists its snapshots as
 * `state percent% source`.
 */
export function trackerSetup(options: TrackerSetupOptions = {}) {
  const { retry = { delays: [], jitter: 0 }, ...rest } = options;
  const { client, transport } = setup({ retry });
  const timers = new ManualTimers();
  const environment = new FakeEnvironment();
  FakeEventSource.instances = [];
  const submitted = submittedJob();
  const tracker = new JobTracker({ client, job: submitted, random: () => 0.5, ...rest, timers, environment });
  const snapshots: JobSnapshot[] = [];
  tracker.subscribe((snapshot) => snapshots.push(snapshot));
  const events = () =>
    snapshots.map(
      (snapshot) =>
        `${snapshot.status} ${Math.round(snapshot.progress.percent * 100)}% ${snapshot.source}` +
        (snapshot.error ? ` ${snapshot.error.code}` : ''),
    );
  return { tracker, client, transport, timers, environment, submitted, snapshots, events };
}

/** Checks that nothing was sent that the test has not taken yet. */
export async function expectNoRequest(transport: FakeTransport, timers: ManualTimers): Promise<void> {
  await timers.settle();
  expect(transport.unclaimed, 'unexpected request').to.equal(0);
}

/** The outcome of `promise` without rejecting, for checks after the fact. */
export function outcomeOf<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const outcome: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(outcome, { value, settled: true }),
    (error: unknown) => Object.assign(outcome, { error, settled: true }),
  );
  return outcome;
}
