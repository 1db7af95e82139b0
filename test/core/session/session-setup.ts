// Shared pieces of the session tests: a session over a scripted transport, a fake authorizer, a Web Storage in a
// Map and a fake page; the replies of the protocol steps it goes through; and checks on its phases.
import { expect } from 'chai';
import { jobRequestFingerprint } from '../../../src/core/jobs/job-records.js';
import { buildJobRequest } from '../../../src/core/protocol/job-request.js';
import type { JobRequest } from '../../../src/core/protocol/job-request-schemas.js';
import type { JobState } from '../../../src/core/protocol/job-state.js';
import { SESSION_PHASE_TRANSITIONS, type SessionPhase } from '../../../src/core/session/session-phase.js';
import type { SessionJob, SessionSnapshot, TranscodeSessionOptions } from '../../../src/core/session/session-types.js';
import { createTranscodeSession } from '../../../src/core/session/transcode-session.js';
import { SkewCorrectedClock } from '../../../src/core/transport/clock.js';
import { FakeAuthorizer } from '../../helpers/fake-authorizer.js';
import { FakeEnvironment } from '../../helpers/fake-tracker-environment.js';
import { FakeTransport, type RecordedRequest, type ScriptedReply } from '../../helpers/fake-transport.js';
import { JOB_ID, OUTPUT_KEY, jobXml, jobsBody, pollReply } from '../../helpers/job-simulation.js';
import { MapStorage } from '../../helpers/map-storage.js';
import { randomBytes } from '../../helpers/random-bytes.js';
import { BUCKET, NOW, REGION } from '../../helpers/service-client-setup.js';

export { BUCKET, JOB_ID, NOW, OUTPUT_KEY, REGION, pollReply };

/** The key the sessions write and transcode: the input object of the scripted jobs. */
export const KEY = 'input/a.mp4';
export const MiB = 1024 * 1024;
/** The UploadId every scripted Initiate answers with. */
export const UPLOAD_ID = '1716000000a1b2c3d4e5';
/** A job a second submission creates. */
export const SECOND_JOB_ID = 'j06668dc0f86811ecb90d0b03267ce0e5';

/** The transcode job of the sessions. */
export const JOB: SessionJob = {
  Tag: 'Transcode',
  Operation: {
    TemplateId: 't1460606b9752148c4ab182f55163ba7cd',
    Output: { Region: REGION, Bucket: BUCKET, Object: OUTPUT_KEY },
  },
};

/** The `POST /jobs` request of {@link JOB} on {@link KEY}. */
export const REQUEST = { ...JOB, Input: { Object: KEY } } as JobRequest;
/** The id of its job record. */
export const JOB_RECORD_ID = jobRequestFingerprint(BUCKET, REGION, buildJobRequest(REQUEST));

/** What {@link sessionSetup} takes: any session option, and the file's size (0 for no file). */
export type SessionSetupOptions = Partial<TranscodeSessionOptions> & { size?: number };

/**
 * A session of a file of `size` bytes (1000: one `PUT`; from 1 MiB: multipart, 1 MiB parts) over a scripted
 * transport, with no retries, polls 1 ms apart, a fresh Map storage and a fake page. Every snapshot is collected.
 */
export function sessionSetup(options: SessionSetupOptions = {}) {
  const { size = 1000, ...overrides } = options;
  const clock = new SkewCorrectedClock(() => NOW);
  const transport = new FakeTransport();
  const authorizer = new FakeAuthorizer({ clock });
  const storage = new MapStorage();
  const data = randomBytes(size, 7);
  const file = size > 0 ? new File([data], 'a.mp4', { type: 'video/mp4', lastModified: NOW }) : undefined;
  const base: TranscodeSessionOptions = {
    bucket: BUCKET,
    region: REGION,
    authorizer,
    transport,
    key: KEY,
    job: JOB,
    ...(file ? { file } : {}),
    storage,
    retry: { delays: [], jitter: 0 },
    poll: { delays: [1], jitter: 0 },
    lookup: { attempts: 1, delay: 1 },
    upload: { verify: false, multipartThreshold: MiB, partSize: MiB, concurrency: 1, progressInterval: 0 },
    tracker: { environment: new FakeEnvironment() },
  };
  /** Another session with the same inputs (over the same transport and storage), as a reloaded page makes. */
  const makeSession = (more: Partial<TranscodeSessionOptions> = {}) =>
    createTranscodeSession({ ...base, ...overrides, ...more });
  const session = makeSession();
  const snapshots: SessionSnapshot[] = [];
  session.subscribe((snapshot) => snapshots.push(snapshot));
  /** The phases the session went through, each once per run of equal phases. */
  const phases = (): SessionPhase[] =>
    snapshots.map((s) => s.phase).filter((phase, i, all) => i === 0 || all[i - 1] !== phase);
  return { session, transport, authorizer, storage, file, data, snapshots, phases, makeSession };
}

/** A short transcript line for a request: `PUT /input/a.mp4?partNumber=1&uploadId=…`. */
export function line(request: RecordedRequest): string {
  const query = Object.entries(request.query)
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`))
    .join('&');
  return `${request.method} ${request.path}${query === '' ? '' : `?${query}`}`;
}

/** Takes the next request, expects its line, and answers it. */
export async function expectRequest(
  transport: FakeTransport,
  expected: string,
  reply: ScriptedReply | ((request: RecordedRequest) => ScriptedReply) = { status: 200 },
): Promise<RecordedRequest> {
  const request = await transport.nextRequest();
  expect(line(request)).to.equal(expected);
  request.respondWith(typeof reply === 'function' ? reply(request) : reply);
  return request;
}

/** The request lines of the protocol steps of {@link KEY}. */
export const lines = {
  put: `PUT /${KEY}`,
  head: `HEAD /${KEY}`,
  initiate: `POST /${KEY}?uploads`,
  part: (n: number) => `PUT /${KEY}?partNumber=${n}&uploadId=${UPLOAD_ID}`,
  list: `GET /${KEY}?uploadId=${UPLOAD_ID}&max-parts=1000`,
  complete: `POST /${KEY}?uploadId=${UPLOAD_ID}`,
  abort: `DELETE /${KEY}?uploadId=${UPLOAD_ID}`,
  submit: 'POST /jobs',
  poll: (id = JOB_ID) => `GET /jobs/${id}`,
  cancel: (id = JOB_ID) => `PUT /jobs/${id}?cancel`,
} as const;

/** `200` to a simple PUT. */
export const putReply: ScriptedReply = { status: 200, headers: { etag: '"0f343b0931126a20f133d67c2b018a3b"' } };

/** `200` to a `HEAD` of an object of `size` bytes. */
export const headReply = (size: number): ScriptedReply => ({
  status: 200,
  headers: { 'content-length': String(size) },
});

/** `200` to `POST /jobs` with the new job `Submitted`. */
export const submitReply = (jobId = JOB_ID): ScriptedReply => pollReply('Submitted', { jobId });

/** A poll answer for the job `jobId` in `state`. */
export const jobReply = (state: JobState, jobId = JOB_ID): ScriptedReply => ({
  status: 200,
  headers: { 'content-type': 'application/xml' },
  body: jobsBody([jobXml(state, { jobId })]),
});

/** `200` to InitiateMultipartUpload. */
export const initiateReply: ScriptedReply = {
  status: 200,
  headers: { 'content-type': 'application/xml' },
  body:
    `<InitiateMultipartUploadResult><Bucket>${BUCKET}</Bucket><Key>${KEY}</Key>` +
    `<UploadId>${UPLOAD_ID}</UploadId></InitiateMultipartUploadResult>`,
};

/** `200` to an UploadPart. */
export const partReply = (request: RecordedRequest): ScriptedReply => ({
  status: 200,
  headers: { etag: `"etag-${request.query['partNumber']}"` },
});

/** `200` to CompleteMultipartUpload of `parts` parts. */
export const completeReply = (parts: number): ScriptedReply => ({
  status: 200,
  headers: { 'content-type': 'application/xml' },
  body:
    `<CompleteMultipartUploadResult><Location>${BUCKET}.cos.${REGION}.myqcloud.com/${KEY}</Location>` +
    `<Bucket>${BUCKET}</Bucket><Key>${KEY}</Key><ETag>"0f343b0931126a20f133d67c2b018a3b-${parts}"</ETag>` +
    '</CompleteMultipartUploadResult>',
});

/** `200` to ListParts listing part 1 (1 MiB). */
export const listPartOneReply: ScriptedReply = {
  status: 200,
  headers: { 'content-type': 'application/xml' },
  body:
    `<ListPartsResult><Bucket>${BUCKET}</Bucket><Key>${KEY}</Key><UploadId>${UPLOAD_ID}</UploadId>` +
    '<MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber>' +
    `<LastModified>2024-05-16T06:40:00.000Z</LastModified><ETag>&quot;etag-1&quot;</ETag><Size>${MiB}</Size></Part>` +
    '</ListPartsResult>',
};

/** An error document with `status`. */
export const errorReply = (status: number, code: string): ScriptedReply => ({
  status,
  headers: { 'content-type': 'application/xml', 'x-cos-request-id': 'NjQ2MzZmZjRfYTBhZA==' },
  body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
});

/** Expects every change of phase in `snapshots` to be one the transition table allows. */
export function expectLegalMoves(snapshots: readonly SessionSnapshot[]): void {
  let from: SessionPhase = 'idle';
  for (const { phase } of snapshots) {
    if (phase !== from) expect(SESSION_PHASE_TRANSITIONS[from], `${from} -> ${phase}`).to.include(phase);
    from = phase;
  }
}

/** Waits until `ready()` (real time, bounded). */
export async function until(ready: () => boolean, what: string, ms = 1000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Answers the `PUT` of the 1000-byte file and the `POST /jobs`: the session then follows job {@link JOB_ID}. */
export async function uploadAndSubmit(transport: FakeTransport): Promise<void> {
  await expectRequest(transport, lines.put, putReply);
  await expectRequest(transport, lines.submit, submitReply());
}

/** Answers a two-part upload until its second part is refused (403): part 1 stays on the service. */
export async function failSecondPart(transport: FakeTransport): Promise<void> {
  await expectRequest(transport, lines.initiate, initiateReply);
  await expectRequest(transport, lines.part(1), partReply);
  await expectRequest(transport, lines.part(2), errorReply(403, 'AccessDenied'));
}

/**
 * A job id of its own for each test: a page follows a recorded job only if it was not given that job itself, and
 * every test runs in the same page.
 */
let earlierJobs = 0;
export const earlierJobId = (): string => `j${(0xe0000000 + (earlierJobs += 1)).toString(16)}${'0'.repeat(24)}`;

/** Writes the job record an earlier page left when it submitted the session's request (job `jobId`). */
export function recordEarlierJob(storage: Storage, jobId: string): void {
  const record = {
    version: 1,
    fingerprint: JOB_RECORD_ID,
    bucket: BUCKET,
    region: REGION,
    tag: 'Transcode',
    inputObject: KEY,
    submittedAt: NOW - 60_000,
    ...(jobId ? { jobId } : {}),
  };
  storage.setItem(`cos-transcoder:job:${JOB_RECORD_ID}`, JSON.stringify(record));
}
