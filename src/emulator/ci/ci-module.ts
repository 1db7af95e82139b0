import type { EmulatorEnv, EmulatorModule, Handler } from '../env.js';
import { describeMediaTools } from '../media/ffmpeg-tools.js';
import { serviceError } from '../errors.js';
import { reply, replyXml } from '../http/reply.js';
import type { RequestContext } from '../http/request-context.js';
import type { BucketConfig } from '../options.js';
import { CallbackSender } from './callbacks.js';
import { jobDetail, type JobsDetailNode } from './job-detail.js';
import { JobQueue } from './job-queue.js';
import { runJob } from './job-runner.js';
import { JobFiles } from './job-files.js';
import { isJobId, JobStore, queueIdFor, type Job } from './job-store.js';
import { createJob, parseSubmission, readJobRequestBody } from './job-submission.js';
import { encodeCursor, parseListQuery } from './list-query.js';
import { createTemplateHandlers } from './template-handlers.js';
import { TemplateStore } from './template-store.js';

/** `Code` of a job that was running when the emulator stopped (it ends `Failed` at the next start). */
export const INTERRUPTED_CODE = 'InternalError';
/** `Message` of such a job. */
export const INTERRUPTED_MESSAGE = 'The emulator stopped while the job was running; submit the job again.';

/** Ends a job of an earlier run that was running when the emulator stopped, as `runJob` ends a failed one. */
function interrupt(job: Job, now: number): void {
  if (job.request.Tag === 'Transcode' && job.request.Operation.DigitalWatermark) {
    job.result.digitalWatermarkState = 'Failed';
  }
  job.state = 'Failed';
  job.code = INTERRUPTED_CODE;
  job.message = INTERRUPTED_MESSAGE;
  job.endTime = now;
}

/** Most ids one `GET /jobs/<id>,<id>...` may name. */
export const MAX_DESCRIBED_JOBS = 10;

/** The bucket the pipeline resolved from the host (always set for CI routes). */
function bucketOf(ctx: RequestContext): BucketConfig {
  if (!ctx.bucket) throw serviceError('NoSuchBucket', 'The specified bucket does not exist.');
  return ctx.bucket;
}

/** The ids after `/jobs/`, without empty entries or repeats. */
function idsOf(ctx: RequestContext): string[] {
  const list = ctx.pathname.slice('/jobs/'.length).replace(/\/+$/, '');
  return [...new Set(list.split(',').filter((id) => id !== ''))];
}

/** An unknown id as echoed in `NonExistJobIds`: printable and bounded, so that no path breaks the XML. */
const echoId = (id: string): string => id.replace(/[^\x20-\x7E]/g, '').slice(0, 128);

const response = (fields: Record<string, unknown>) => ({ Response: fields });

/**
 * The CI media-jobs API of a bucket's CI host (section 5): `POST /jobs` (CreateMediaJobs), `GET /jobs/<ids>`
 * (DescribeMediaJob), `GET /jobs` (DescribeMediaJobs) and `PUT /jobs/<id>?cancel` (CancelMediaJob), with a queue,
 * workers, the job life cycle and completion callbacks.
 *
 * Jobs are kept in the data folder ({@link JobFiles}) and survive a restart on it, as the cloud does not forget them:
 * ended jobs are listed as they ended; a job still `Submitted` is queued again and runs; a job that was `Running`
 * when the emulator stopped ends `Failed` with {@link INTERRUPTED_CODE} and {@link INTERRUPTED_MESSAGE}, and its
 * callback, if it has one, is sent. Each bucket has one queue, `p` + 32 hex derived from its name; all buckets share
 * the `jobs.workers` workers.
 *
 * Emulator choices where the service is silent:
 * - a cancelled job sends no callback (the cancel reply is the caller's confirmation); ended jobs
 *   (`Success`, `Failed`) send `TaskFinish`;
 * - cancelling an unknown job, or one that is running or has ended, is a 400 `InvalidArgument`
 *   ("The job provided can not be modified" for a known job);
 * - ids in `GET /jobs/<ids>` that do not look like job ids are reported in `NonExistJobIds` like unknown ones.
 *
 * It also serves the template API (`template-handlers.ts`): templates created there are stored in the data folder
 * ({@link TemplateStore}), usable by jobs at once, and listed with the others in the admin state's `templates`.
 *
 * Its admin state shows the media tools (`media`: `{ mode: 'ffmpeg', ffmpeg, ffprobe, source, version, encoders,
 * filters }` with the counts of encoders and filters, or `{ mode: 'copy', reason }`).
 */
export function createCiModule(env: EmulatorEnv): EmulatorModule {
  const files = new JobFiles(env.dataDir);
  const store = new JobStore(files);
  const stopping = new AbortController();
  const callbacks = new CallbackSender(env.options.callbacks, env.options.callbackAllow);
  const ended = (job: Job): void => {
    store.changed(job);
    callbacks.send(job.id, job.request, jobDetail(job));
  };
  const queue = new JobQueue({ workers: env.options.jobs.workers, delayMs: env.options.jobs.queueDelayMs }, (job) => {
    const run = runJob(env, job, stopping.signal, ended);
    store.changed(job); // Running: runJob sets the state before its first wait.
    return run;
  });
  const loaded = files.load().then((jobs) => {
    for (const job of jobs) {
      store.restore(job);
      if (job.state === 'Running') {
        interrupt(job, env.clock.now());
        ended(job);
      } else if (job.state === 'Submitted') queue.enqueue(job);
    }
  });
  loaded.catch(() => undefined);
  const templateStore = new TemplateStore(env.dataDir, env.templates);
  const templatesLoaded = templateStore.load();
  templatesLoaded.catch(() => undefined);

  const createMediaJobs: Handler = async (ctx) => {
    await loaded;
    const bucket = bucketOf(ctx);
    const request = parseSubmission(await readJobRequestBody(ctx));
    const job = await createJob(env, store, bucket, request);
    const saved = store.add(job);
    queue.enqueue(job);
    await saved;
    await replyXml(ctx, 200, response({ JobsDetail: [jobDetail(job)] }));
  };

  const describeMediaJob: Handler = async (ctx) => {
    await loaded;
    const bucket = bucketOf(ctx);
    const ids = idsOf(ctx);
    if (ids.length === 0) throw serviceError('InvalidArgument', 'At least one job id is required.');
    if (ids.length > MAX_DESCRIBED_JOBS) {
      throw serviceError('InvalidArgument', `At most ${MAX_DESCRIBED_JOBS} job ids may be queried at once.`);
    }
    const found: JobsDetailNode[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const job = isJobId(id) ? store.get(bucket.name, id) : undefined;
      if (job) found.push(jobDetail(job));
      else missing.push(echoId(id));
    }
    const fields: Record<string, unknown> = {};
    if (found.length > 0) fields['JobsDetail'] = found;
    if (missing.length > 0) fields['NonExistJobIds'] = missing;
    await replyXml(ctx, 200, response(fields));
  };

  const describeMediaJobs: Handler = async (ctx) => {
    await loaded;
    const bucket = bucketOf(ctx);
    const { jobs, next } = store.list(parseListQuery(ctx, bucket.name));
    const fields: Record<string, unknown> = {};
    if (jobs.length > 0) fields['JobsDetail'] = jobs.map(jobDetail);
    if (next) fields['NextToken'] = encodeCursor(next);
    await replyXml(ctx, 200, response(fields));
  };

  const cancelMediaJob: Handler = async (ctx) => {
    await loaded;
    const bucket = bucketOf(ctx);
    const [id, ...others] = idsOf(ctx);
    const job = id !== undefined && others.length === 0 && isJobId(id) ? store.get(bucket.name, id) : undefined;
    if (!job) throw serviceError('InvalidArgument', 'The job does not exist.');
    if (job.state !== 'Submitted' || !queue.remove(job)) {
      throw serviceError('InvalidArgument', 'The job provided can not be modified');
    }
    job.state = 'Cancel';
    job.endTime = env.clock.now();
    store.changed(job);
    await reply(ctx, 200);
  };

  return {
    handlers: {
      CreateMediaJobs: createMediaJobs,
      DescribeMediaJob: describeMediaJob,
      DescribeMediaJobs: describeMediaJobs,
      CancelMediaJob: cancelMediaJob,
      ...createTemplateHandlers(env, templateStore, templatesLoaded),
    },
    async close() {
      await loaded.catch(() => undefined);
      stopping.abort();
      await queue.close();
      await callbacks.close();
      await files.flush();
      await templatesLoaded.catch(() => undefined);
      await templateStore.flush();
    },
    state() {
      const templates = env.templates.list();
      return {
        module: 'ci',
        jobs: store.counts(),
        jobWriteFailures: files.failures,
        queue: queue.state(),
        queues: Object.fromEntries([...env.buckets.keys()].map((name) => [name, queueIdFor(name)])),
        templates: {
          transcode: templates.transcode.map(({ id, name, bucket }) => ({ id, name, bucket })),
          watermark: templates.watermark.map(({ id, name, bucket }) => ({ id, name, bucket })),
          writeFailures: templateStore.failures,
        },
        callbacks: callbacks.state(),
        media: describeMediaTools(env.media),
      };
    },
  };
}
