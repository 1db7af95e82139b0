import { expect } from 'chai';
import { EmulatorClock } from '../../src/emulator/clock.js';
import { MAX_WAIT_MS, TokenBucket } from '../../src/emulator/faults/bandwidth.js';
import type { FaultConfig, Operation } from '../../src/emulator/faults/fault-config.js';
import { RandomFaultController } from '../../src/emulator/faults/fault-controller.js';
import type { Emulator } from '../../src/emulator/index.js';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { setTimeout } from 'node:timers/promises';
import {
  errorCode,
  permanentKeys,
  send,
  signedHeaders,
  startTestEmulator,
  type WireResponse,
} from '../helpers/emulator.js';
import { listJobs, SAMPLE, submit, transcodeBody, waitForJob } from './ci-support.js';

/** A compact trace of the decisions for a sequence of operations. */
function trace(controller: RandomFaultController, operations: readonly Operation[]): string[] {
  return operations.map((operation) => {
    const decision = controller.decide(operation);
    return [decision.dropBefore, decision.error?.code, decision.dropAfter, decision.corruptCrc].join('/');
  });
}

const SEQUENCE: Operation[] = Array.from({ length: 40 }, (_, index) => (index % 3 ? 'PutObject' : 'UploadPart'));
const HALF: FaultConfig = {
  seed: 7,
  rules: [{ errorRate: 0.3, dropBeforeRate: 0.2, dropAfterRate: 0.2, corruptCrcRate: 0.3 }],
};

describe('fault controller', () => {
  it('should make the same decisions for the same seed and sequence', () => {
    const first = trace(new RandomFaultController(HALF, new EmulatorClock()), SEQUENCE);
    const second = trace(new RandomFaultController(HALF, new EmulatorClock()), SEQUENCE);
    expect(first).to.deep.equal(second);
    expect(new Set(first).size).to.be.greaterThan(2);
  });

  it('should make other decisions with another seed', () => {
    const first = trace(new RandomFaultController(HALF, new EmulatorClock()), SEQUENCE);
    const other = trace(new RandomFaultController({ ...HALF, seed: 8 }, new EmulatorClock()), SEQUENCE);
    expect(other).to.not.deep.equal(first);
  });

  it('should restart the sequence, the limits and the stats on update', () => {
    const controller = new RandomFaultController(HALF, new EmulatorClock());
    const first = trace(controller, SEQUENCE);
    controller.update(HALF);
    expect(controller.stats()).to.deep.equal({});
    expect(trace(controller, SEQUENCE)).to.deep.equal(first);
  });

  it('should count injections by kind and operation', () => {
    const controller = new RandomFaultController({ rules: [{ errorRate: 1, limit: 3 }] }, new EmulatorClock());
    trace(controller, ['PutObject', 'UploadPart', 'PutObject', 'PutObject']);
    expect(controller.stats()).to.deep.equal({ 'error:PutObject': 2, 'error:UploadPart': 1 });
  });

  it('should inject nothing with a limit of 0', () => {
    const controller = new RandomFaultController({ rules: [{ errorRate: 1, limit: 0 }] }, new EmulatorClock());
    expect(controller.decide('PutObject').error).to.equal(undefined);
  });

  it('should corrupt CRCs only on operations whose replies carry one', () => {
    const controller = new RandomFaultController({ rules: [{ corruptCrcRate: 1 }] }, new EmulatorClock());
    expect(controller.decide('InitiateMultipartUpload').corruptCrc).to.equal(false);
    expect(controller.decide('UploadPart').corruptCrc).to.equal(true);
  });

  it('should sum the latency of every matching rule', () => {
    const config: FaultConfig = {
      rules: [
        { latencyMs: 100 },
        { latencyMs: 50, operations: ['GetObject'] },
        { latencyMs: 7, operations: ['PutObject'] },
      ],
    };
    const controller = new RandomFaultController(config, new EmulatorClock());
    expect(controller.decide('GetObject').latencyMs).to.equal(150);
  });

  it('should set and reset the clock offset', () => {
    const clock = new EmulatorClock(() => 1_000_000);
    const controller = new RandomFaultController({ clockOffsetSeconds: -60 }, clock);
    expect(clock.now()).to.equal(940_000);
    controller.update({});
    expect(clock.offsetSeconds).to.equal(0);
  });

  it('should fail jobs with the default code and message up to the limit', () => {
    const controller = new RandomFaultController({ failJobs: { limit: 2 } }, new EmulatorClock());
    const failures = [controller.jobFailure(), controller.jobFailure(), controller.jobFailure()];
    expect(failures).to.deep.equal([
      { code: 'InternalError', message: 'Injected failure' },
      { code: 'InternalError', message: 'Injected failure' },
      undefined,
    ]);
    expect(controller.stats()).to.deep.equal({ jobFailure: 2 });
  });

  it('should fail jobs with the configured code and rate', () => {
    const config: FaultConfig = { failJobs: { code: 'InvalidInput', message: 'bad', rate: 0.5 }, seed: 3 };
    const controller = new RandomFaultController(config, new EmulatorClock());
    const failures = Array.from({ length: 40 }, () => controller.jobFailure());
    expect(failures.filter(Boolean).length).to.be.within(8, 32);
    expect(failures.find(Boolean)).to.deep.equal({ code: 'InvalidInput', message: 'bad' });
  });

  it('should share one bandwidth bucket between the requests of a rule', async () => {
    const controller = new RandomFaultController({ rules: [{ bandwidth: 10_240 }] }, new EmulatorClock());
    const first = controller.decide('PutObject').throttle!;
    const second = controller.decide('UploadPart').throttle!;
    await first(1024);
    const started = performance.now();
    await second(1024);
    expect(performance.now() - started).to.be.within(80, 1000);
  });
});

describe('token bucket', () => {
  it('should let a short burst pass at once', () => {
    const bucket = new TokenBucket(100_000, () => 0);
    expect(bucket.reserve(1024)).to.equal(0);
  });

  it('should make bytes beyond the burst wait at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10_240, () => now);
    bucket.reserve(1024);
    expect(bucket.reserve(10_240)).to.be.closeTo(1000, 1);
    now = 1000;
    expect(bucket.reserve(0)).to.equal(0);
  });

  it('should charge concurrent takers in turn', () => {
    const bucket = new TokenBucket(10_240, () => 0);
    const first = bucket.reserve(1024 + 5120);
    expect(bucket.reserve(5120)).to.be.closeTo(first + 500, 1);
  });

  it('should cap one wait for a huge chunk', () => {
    const bucket = new TokenBucket(1024, () => 0);
    expect(bucket.reserve(1024 ** 3)).to.equal(MAX_WAIT_MS);
    expect(bucket.reserve(1)).to.be.at.most(MAX_WAIT_MS + 1);
  });
});

describe('faults over HTTP', function () {
  this.timeout(10_000);
  let emulator: Emulator;
  let counter = 0;
  const keyOf = () => `/faults/object-${(counter += 1)}.bin`;
  const put = (path: string, body: string | Buffer = 'hello'): Promise<WireResponse> =>
    send(emulator, { service: 'cos', method: 'PUT', path, body, keys: permanentKeys(emulator) });
  const head = (path: string): Promise<WireResponse> =>
    send(emulator, { service: 'cos', method: 'HEAD', path, keys: permanentKeys(emulator) });
  const get = (path: string): Promise<WireResponse> =>
    send(emulator, { service: 'cos', method: 'GET', path, keys: permanentKeys(emulator) });
  const socketError = async (request: Promise<unknown>): Promise<string> => {
    const error = (await request.then(
      () => undefined,
      (failure: unknown) => failure,
    )) as NodeJS.ErrnoException | undefined;
    expect(error, 'the request should fail at the socket').to.be.instanceOf(Error);
    return error!.code ?? error!.message;
  };

  before(async () => {
    emulator = await startTestEmulator();
  });
  afterEach(() => emulator.faults.update({}));
  after(() => emulator.close());

  it('should answer 500 InternalError when the error rate is 1', async () => {
    emulator.faults.update({ rules: [{ operations: ['PutObject'], errorRate: 1 }] });
    const response = await put(keyOf());
    expect(response.status).to.equal(500);
    expect(response.headers['content-type']).to.equal('application/xml');
    expect(errorCode(response)).to.equal('InternalError');
  });

  it('should answer 503 SlowDown with Retry-After', async () => {
    emulator.faults.update({ rules: [{ operations: ['PutObject'], errorRate: 1, error: 'SlowDown' }] });
    const response = await put(keyOf());
    expect(response.status).to.equal(503);
    expect(errorCode(response)).to.equal('SlowDown');
    expect(response.headers['retry-after']).to.equal('1');
  });

  it('should leave operations outside the rule alone', async () => {
    emulator.faults.update({ rules: [{ operations: ['PutObject'], errorRate: 1 }] });
    const response = await head(keyOf());
    expect(response.status).to.equal(404);
  });

  it('should stop injecting once the limit is reached', async () => {
    emulator.faults.update({ rules: [{ operations: ['PutObject'], errorRate: 1, limit: 2 }] });
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await put(keyOf())).status);
    expect(statuses).to.deep.equal([500, 500, 200]);
    expect(emulator.faults.stats()).to.deep.equal({ 'error:PutObject': 2 });
  });

  it('should close the connection before processing with dropBeforeRate', async () => {
    emulator.faults.update({ rules: [{ operations: ['PutObject'], dropBeforeRate: 1 }] });
    const key = keyOf();
    expect(await socketError(put(key))).to.match(/ECONNRESET|EPIPE|socket hang up/);
    expect((await head(key)).status).to.equal(404);
  });

  it('should process the request and then close the connection with dropAfterRate', async () => {
    emulator.faults.update({ rules: [{ operations: ['PutObject'], dropAfterRate: 1 }] });
    const key = keyOf();
    expect(await socketError(put(key))).to.match(/ECONNRESET|EPIPE|socket hang up/);
    expect((await head(key)).status).to.equal(200);
  });

  it('should delay requests by latencyMs', async () => {
    emulator.faults.update({ rules: [{ latencyMs: 300 }] });
    const started = performance.now();
    await head(keyOf());
    expect(performance.now() - started).to.be.within(295, 2000);
  });

  it('should drop a request delayed by latencyMs whose client went away, without processing it', async () => {
    const key = keyOf();
    await put(key);
    emulator.faults.update({ rules: [{ operations: ['DeleteObject'], latencyMs: 300 }] });
    const headers = await signedHeaders(emulator, { method: 'DELETE', path: key });
    const client = request({ host: '127.0.0.1', port: emulator.endpoints.port, method: 'DELETE', path: key, headers });
    client.on('error', () => undefined);
    client.end();
    await setTimeout(100);
    client.destroy();
    await setTimeout(400);
    expect((await head(key)).status).to.equal(200);
  });

  it('should pace an upload at the bandwidth', async () => {
    emulator.faults.update({ rules: [{ operations: ['PutObject'], bandwidth: 256 * 1024 }] });
    const started = performance.now();
    const response = await put(keyOf(), Buffer.alloc(128 * 1024, 7));
    expect(response.status).to.equal(200);
    expect(performance.now() - started).to.be.within(380, 3000);
  });

  it('should pace a download at the bandwidth', async () => {
    const key = keyOf();
    await put(key, Buffer.alloc(128 * 1024, 9));
    emulator.faults.update({ rules: [{ operations: ['GetObject'], bandwidth: 256 * 1024 }] });
    const started = performance.now();
    const response = await get(key);
    expect(response.body.length).to.equal(128 * 1024);
    expect(performance.now() - started).to.be.within(380, 3000);
  });

  it('should make the reply CRC wrong with corruptCrcRate', async () => {
    const key = keyOf();
    const truth = (await put(key, 'same bytes')).headers['x-cos-hash-crc64ecma'];
    emulator.faults.update({ rules: [{ operations: ['PutObject'], corruptCrcRate: 1 }] });
    const corrupted = await put(key, 'same bytes');
    expect(corrupted.status).to.equal(200);
    expect(truth).to.match(/^\d+$/);
    expect(corrupted.headers['x-cos-hash-crc64ecma']).to.be.a('string').and.not.equal(truth);
  });

  it('should move the Date header by clockOffsetSeconds', async () => {
    emulator.faults.update({ clockOffsetSeconds: -3600 });
    const response = await send(emulator, { service: 'base', method: 'GET', path: '/_emulator/health' });
    const skew = Date.parse(String(response.headers['date'])) - Date.now();
    expect(skew).to.be.within(-3_602_000, -3_598_000);
  });

  it('should stamp Last-Modified with the server clock that clockOffsetSeconds moves', async () => {
    emulator.faults.update({ clockOffsetSeconds: -600 });
    const key = keyOf();
    await put(key);
    const response = await head(key);
    const lastModified = Date.parse(String(response.headers['last-modified']));
    expect(lastModified - Date.parse(String(response.headers['date']))).to.be.within(-2000, 1000);
  });

  it('should reject a request signed by the local clock as too skewed when the server is an hour behind', async () => {
    emulator.faults.update({ clockOffsetSeconds: -3600 });
    const response = await get(keyOf());
    expect(response.status).to.equal(403);
    expect(errorCode(response)).to.equal('RequestTimeTooSkewed');
  });

  it('should reject a request signed by the local clock as expired when the server is an hour ahead', async () => {
    emulator.faults.update({ clockOffsetSeconds: 3600 });
    const response = await get(keyOf());
    expect(response.status).to.equal(403);
    expect(errorCode(response)).to.equal('AccessDenied');
    expect(response.text).to.contain('Request has expired');
  });

  it('should end a media job Failed with the failJobs code and message', async () => {
    await put('/faults/input.mp4', await readFile(SAMPLE));
    emulator.faults.update({ failJobs: { code: 'InjectedFault', message: 'failed on purpose' } });
    const job = await submit(emulator, transcodeBody('faults/input.mp4'));
    const ended = await waitForJob(emulator, job.JobId);
    expect([ended.State, ended.Code, ended.Message]).to.deep.equal(['Failed', 'InjectedFault', 'failed on purpose']);
    expect(emulator.faults.stats()).to.deep.equal({ jobFailure: 1 });
  });
});

describe('faults limited by keyPrefix', function () {
  this.timeout(10_000);
  let emulator: Emulator;
  const keys = () => permanentKeys(emulator);
  const put = (key: string): Promise<WireResponse> =>
    send(emulator, { service: 'cos', method: 'PUT', path: `/${key}`, body: 'x', keys: keys() });
  const listUploads = (prefix: string): Promise<WireResponse> =>
    send(emulator, { service: 'cos', method: 'GET', path: '/', query: { uploads: '', prefix }, keys: keys() });

  before(async () => {
    emulator = await startTestEmulator();
  });
  afterEach(() => emulator.faults.update({}));
  after(() => emulator.close());

  it('should apply a rule only to keys under its keyPrefix', () => {
    const config: FaultConfig = { rules: [{ errorRate: 1, keyPrefix: 'narrow/' }] };
    const controller = new RandomFaultController(config, new EmulatorClock());
    expect(controller.decide('PutObject', 'narrow/a.bin').error?.code).to.equal('InternalError');
    expect(controller.decide('PutObject', 'wide/narrow/a.bin').error).to.equal(undefined);
  });

  it('should never apply a rule with a keyPrefix to a request without a key', () => {
    const controller = new RandomFaultController({ rules: [{ errorRate: 1, keyPrefix: '' }] }, new EmulatorClock());
    expect(controller.decide('CreateMediaJobs').error).to.equal(undefined);
    expect(controller.decide('GetFederationToken').error).to.equal(undefined);
  });

  it('should fail requests whose decoded key is under the keyPrefix and leave the others alone', async () => {
    emulator.faults.update({ rules: [{ errorRate: 1, keyPrefix: 'faults/视频 a/' }] });
    const statuses = [(await put('faults/视频 a/b.bin')).status, (await put('faults/视频 b/b.bin')).status];
    expect(statuses).to.deep.equal([500, 200]);
    expect(emulator.faults.stats()).to.deep.equal({ 'error:PutObject': 1 });
  });

  it('should match ListMultipartUploads by its prefix parameter', async () => {
    emulator.faults.update({ rules: [{ operations: ['ListMultipartUploads'], errorRate: 1, keyPrefix: 'narrow/' }] });
    const statuses = [(await listUploads('narrow/x/')).status, (await listUploads('other/')).status];
    expect(statuses).to.deep.equal([500, 200]);
  });

  it('should leave CI requests without a key alone even with an empty keyPrefix', async () => {
    emulator.faults.update({ rules: [{ errorRate: 1, keyPrefix: '' }] });
    expect((await listJobs(emulator, { tag: 'Transcode' })).status).to.equal(200);
    expect((await put('faults/any.bin')).status).to.equal(500);
  });

  it('should accept a keyPrefix from the admin endpoint', async () => {
    const rules = [{ operations: ['PutObject'], errorRate: 1, keyPrefix: 'admin/' }];
    const body = JSON.stringify({ rules });
    const headers = { 'x-emulator-admin-token': emulator.endpoints.adminToken };
    const response = await send(emulator, { service: 'base', method: 'PUT', path: '/_emulator/faults', headers, body });
    expect(response.status, response.text).to.equal(200);
    expect((JSON.parse(response.text) as { config: FaultConfig }).config.rules).to.deep.equal(rules);
    expect([(await put('admin/a.bin')).status, (await put('other/a.bin')).status]).to.deep.equal([500, 200]);
  });
});
