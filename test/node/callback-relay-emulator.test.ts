import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseJobCallback } from '../../src/core/protocol/callback.js';
import type { Emulator } from '../../src/emulator/index.js';
import { SAMPLE, submit, transcodeBody, waitForJob } from '../emulator/ci-support.js';
import type { CallbackDelivery } from '../../src/emulator/ci/callbacks.js';
import { send, seedObject, startTestEmulator } from '../helpers/emulator.js';
import { RelayServer } from '../helpers/relay-server.js';
import type { SseClient } from '../helpers/sse-client.js';

/** The emulator's record of a job's callback once its attempt has ended (bounded wait). */
async function delivered(emulator: Emulator, jobId: string): Promise<CallbackDelivery | undefined> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const response = await send(emulator, { service: 'base', method: 'GET', path: '/_emulator/' });
    type CiState = { module?: string; callbacks?: { deliveries: CallbackDelivery[] } };
    const { modules } = JSON.parse(response.text) as { modules: CiState[] };
    const ci = modules.find((module) => module.module === 'ci');
    const delivery = ci?.callbacks?.deliveries.find((record) => record.jobId === jobId);
    if (delivery?.state !== 'pending' || Date.now() > deadline) return delivery;
    await sleep(10);
  }
}

describe('callback relay (demo host) with the emulator', function () {
  this.timeout(10_000);
  let emulator: Emulator;
  let relay: RelayServer;
  const clients: SseClient[] = [];

  before(async () => {
    emulator = await startTestEmulator();
    relay = await new RelayServer().start();
    await seedObject(emulator, 'relay/input.mp4', SAMPLE);
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  after(async () => {
    await relay.close();
    await emulator.close();
  });

  for (const format of ['XML', 'JSON'] as const) {
    it(`should stream the TaskFinish callback the emulator posts in ${format} to the job's subscriber`, async () => {
      const job = await submit(
        emulator,
        transcodeBody('relay/input.mp4', {
          notification: { CallBack: relay.url('/api/ci-callback'), CallBackFormat: format },
        }),
      );
      const client = await relay.events(job.JobId);
      clients.push(client);
      const [event] = await client.waitForEvents(1, 5000);
      const callback = parseJobCallback(event?.data ?? '');
      expect([callback.EventName, callback.JobsDetail.map((detail) => [detail.JobId, detail.State])]).to.deep.equal([
        'TaskFinish',
        [[job.JobId, 'Success']],
      ]);
      expect(event?.data.trimStart().startsWith(format === 'XML' ? '<' : '{')).to.equal(true);
      expect((await waitForJob(emulator, job.JobId)).State).to.equal('Success');
      const delivery = await delivered(emulator, job.JobId);
      expect(delivery).to.include({ state: 'delivered', attempts: 1, lastStatus: 204, format });
    });
  }
});
