import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseJobCallback } from '../../src/core/protocol/callback.js';
import type { Emulator } from '../../src/emulator/index.js';
import type { CallbackDelivery } from '../../src/emulator/ci/callbacks.js';
import { seedObject, send, startTestEmulator } from '../helpers/emulator.js';
import { NOT_MP4, SAMPLE, submit, transcodeBody, waitForJob } from './ci-support.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local callback listener on 127.0.0.1: records every POST and answers with the next scripted status (then 200). */
class Listener {
  readonly received: Received[] = [];
  readonly statuses: number[] = [];
  #server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(this.statuses.shift() ?? 200).end();
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((done) => this.#server.listen(0, '127.0.0.1', done));
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  /** Waits until `count` callbacks to `path` arrived (bounded), and returns them. */
  async waitFor(path: string, count = 1, timeoutMs = 3000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hits = this.received.filter((hit) => hit.path === path);
      if (hits.length >= count) return hits;
      if (Date.now() > deadline) throw new Error(`${hits.length} callbacks to ${path}, expected ${count}`);
      await sleep(10);
    }
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((done) => this.#server.close(() => done()));
  }
}

describe('CI emulator: job callbacks', () => {
  let emulator: Emulator;
  const listener = new Listener();

  before(async () => {
    await listener.start();
    emulator = await startTestEmulator({ callbacks: { attempts: 3, retryDelayMs: 30, timeoutMs: 1000 } });
    await seedObject(emulator, 'input/sample.mp4', SAMPLE);
    await seedObject(emulator, 'input/not-a-video.mp4', NOT_MP4);
  });

  after(async () => {
    await emulator.close();
    await listener.close();
  });

  const withCallback = (input: string, path: string, format?: 'XML' | 'JSON') =>
    transcodeBody(input, {
      operation: { UserData: `callback ${path}` },
      notification: { CallBack: listener.url(path), ...(format && { CallBackFormat: format }) },
    });

  it('should POST an XML TaskFinish callback by default', async () => {
    const { JobId } = await submit(emulator, withCallback('input/sample.mp4', '/xml'));
    const [hit] = await listener.waitFor('/xml');
    expect(hit!.headers['content-type']).to.equal('application/xml');
    expect(hit!.body.startsWith('<Response><EventName>TaskFinish</EventName>')).to.equal(true);
    const { EventName, JobsDetail } = parseJobCallback(hit!.body);
    expect(EventName).to.equal('TaskFinish');
    expect(JobsDetail).to.have.length(1);
    const [job] = JobsDetail;
    expect([job!.JobId, job!.State, job!.Progress]).to.deep.equal([JobId, 'Success', 100]);
    expect(job!.Operation?.UserData).to.equal('callback /xml');
    expect(job!.Operation?.MediaResult?.OutputFile[0]?.ObjectName).to.deep.equal([`output/${JobId}.mp4`]);
  });

  it('should POST a JSON callback when CallBackFormat is JSON', async () => {
    const { JobId } = await submit(emulator, withCallback('input/sample.mp4', '/json', 'JSON'));
    const [hit] = await listener.waitFor('/json');
    expect(hit!.headers['content-type']).to.equal('application/json');
    const raw = JSON.parse(hit!.body) as { EventName: string; JobsDetail: Record<string, unknown>[] };
    expect(raw.EventName).to.equal('TaskFinish');
    expect(raw.JobsDetail).to.be.an('array').with.length(1);
    expect(raw.JobsDetail[0]!['Progress']).to.equal('100');
    expect(raw.JobsDetail[0]).to.not.have.property('Message');
    const { JobsDetail } = parseJobCallback(hit!.body);
    expect([JobsDetail[0]!.JobId, JobsDetail[0]!.State]).to.deep.equal([JobId, 'Success']);
    expect(JobsDetail[0]!.Operation?.MediaInfo?.Stream?.Video[0]?.Width).to.equal(640);
  });

  it('should send the callback of a failed job with its Code', async () => {
    const { JobId } = await submit(emulator, withCallback('input/not-a-video.mp4', '/failed'));
    const [hit] = await listener.waitFor('/failed');
    const [job] = parseJobCallback(hit!.body).JobsDetail;
    expect([job!.JobId, job!.State, job!.Code]).to.deep.equal([JobId, 'Failed', 'InvalidInput']);
  });

  it('should retry until a 2xx: 500 twice then 200 makes exactly 3 attempts', async () => {
    listener.statuses.push(500, 500);
    const { JobId } = await submit(emulator, withCallback('input/sample.mp4', '/retry'));
    const hits = await listener.waitFor('/retry', 3);
    await sleep(200);
    expect(listener.received.filter((hit) => hit.path === '/retry')).to.have.length(3);
    expect(new Set(hits.map((hit) => parseJobCallback(hit.body).JobsDetail[0]!.JobId))).to.deep.equal(new Set([JobId]));
  });

  it('should report deliveries in the admin state', async () => {
    await listener.waitFor('/retry', 3);
    const response = await send(emulator, { service: 'base', method: 'GET', path: '/_emulator/' });
    type CiState = { module?: string; callbacks?: { deliveries: CallbackDelivery[] } };
    const state = JSON.parse(response.text) as { modules: CiState[] };
    const ci = state.modules.find((module) => module.module === 'ci');
    const retried = ci?.callbacks?.deliveries.find((delivery) => delivery.target === listener.url('/retry'));
    expect(retried).to.include({ state: 'delivered', attempts: 3, lastStatus: 200, format: 'XML' });
  });

  it('should give up after the configured number of attempts', async () => {
    listener.statuses.push(503, 503, 503, 503);
    await submit(emulator, withCallback('input/sample.mp4', '/down'));
    await listener.waitFor('/down', 3);
    await sleep(300);
    expect(listener.received.filter((hit) => hit.path === '/down')).to.have.length(3);
    listener.statuses.length = 0;
  });

  it('should send nothing for CallBack=no', async () => {
    const before = listener.received.length;
    const body = transcodeBody('input/sample.mp4', { notification: { CallBack: 'no' } });
    const { JobId } = await submit(emulator, body);
    await waitForJob(emulator, JobId);
    await sleep(150);
    expect(listener.received.length).to.equal(before);
  });

  it('should not send a TDMQ callback over HTTP', async () => {
    const before = listener.received.length;
    const body = transcodeBody('input/sample.mp4', {
      notification: {
        CallBack: listener.url('/tdmq'),
        CallBackType: 'TDMQ',
        CallBackMqConfig: { MqRegion: 'gz', MqMode: 'Queue', MqName: 'jobs' },
      },
    });
    await waitForJob(emulator, (await submit(emulator, body)).JobId);
    await sleep(150);
    expect(listener.received.length).to.equal(before);
  });
});

describe('CI emulator: closing with work in progress', () => {
  it('should stop queued jobs and hanging callbacks at once', async () => {
    const hanging = createServer(() => undefined);
    await new Promise<void>((done) => hanging.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hang`;
    const emulator = await startTestEmulator({ callbacks: { attempts: 10, timeoutMs: 60_000, retryDelayMs: 60_000 } });
    try {
      await seedObject(emulator, 'input/sample.mp4', SAMPLE);
      const { JobId } = await submit(emulator, transcodeBody('input/sample.mp4', { notification: { CallBack: url } }));
      await waitForJob(emulator, JobId);
      await submit(emulator, transcodeBody('input/sample.mp4'));
      await sleep(50);
    } finally {
      const started = Date.now();
      await emulator.close();
      expect(Date.now() - started).to.be.below(1000);
      hanging.closeAllConnections();
      await new Promise<void>((done) => hanging.close(() => done()));
    }
  });
});
