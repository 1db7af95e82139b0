// Job callbacks go only to loopback and to the hosts the user allows (--callback-allow); redirects stay unfollowed.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallbackDelivery } from '../../src/emulator/ci/callbacks.js';
import { CallbackSender } from '../../src/emulator/ci/callbacks.js';
import type { Emulator } from '../../src/emulator/index.js';
import { errorCode, seedObject, send, startTestEmulator } from '../helpers/emulator.js';
import { NOT_MP4, SAMPLE, postJob, submit, transcodeBody } from './ci-support.js';

const INPUT = 'input/callback-allow.mp4';

/** A job body with `url` as its CallBack (written past the builder, which refuses what is not http(s)). */
const withCallback = (url: string) =>
  transcodeBody(INPUT, { notification: { CallBack: 'http://127.0.0.1/placeholder' } }).replace(
    '<CallBack>http://127.0.0.1/placeholder</CallBack>',
    `<CallBack>${url.replaceAll('&', '&amp;')}</CallBack>`,
  );

interface CiState {
  module?: string;
  jobs?: Record<string, number>;
  callbacks?: { deliveries: CallbackDelivery[] };
}

async function ciState(emulator: Emulator): Promise<CiState> {
  const response = await send(emulator, { service: 'base', method: 'GET', path: '/_emulator/' });
  const state = JSON.parse(response.text) as { modules: CiState[] };
  return state.modules.find((module) => module.module === 'ci') ?? {};
}

const jobCount = async (emulator: Emulator): Promise<number> =>
  Object.values((await ciState(emulator)).jobs ?? {}).reduce((total, count) => total + count, 0);

/** Submits a job with `url` as its CallBack; expects the refusal, and that no job was created. */
async function expectRefused(emulator: Emulator, url: string): Promise<void> {
  const before = await jobCount(emulator);
  const response = await postJob(emulator, withCallback(url));
  expect(response.status, `${url}: ${response.text}`).to.equal(400);
  expect(errorCode(response), url).to.equal('InvalidArgument');
  if (/^https?:/.test(url)) {
    expect(response.text, url).to.contain('CallBack').and.contain('--callback-allow');
  }
  expect(await jobCount(emulator), url).to.equal(before);
}

describe('emulator: job callback targets (loopback and --callback-allow only)', () => {
  describe('with no allow-list', () => {
    let emulator: Emulator;

    before(async () => {
      // Jobs never start: these tests are about submission only.
      emulator = await startTestEmulator({ jobs: { queueDelayMs: 3_600_000 } });
      await seedObject(emulator, INPUT, NOT_MP4);
    });

    after(async () => {
      await emulator.close();
    });

    for (const url of [
      'http://10.0.0.1/callback',
      'http://192.168.1.20:8080/callback',
      'http://172.16.0.5/callback',
      'http://169.254.169.254/latest/meta-data/',
      'http://callback.example.com/notify',
      'https://callback.example.com/notify',
      'http://0.0.0.0:8080/callback',
      'http://[fe80::1]/callback',
      'http://localhost.example.com/callback',
      'http://127.0.0.1.nip.io/callback',
    ]) {
      it(`should refuse CallBack ${url} with InvalidArgument and create no job`, async () => {
        await expectRefused(emulator, url);
      });
    }

    for (const url of ['ftp://127.0.0.1/callback', 'file:///etc/passwd', 'gopher://127.0.0.1:6379/_INFO']) {
      it(`should refuse the CallBack ${url}, which is not http or https`, async () => {
        await expectRefused(emulator, url);
      });
    }

    for (const url of [
      'http://127.0.0.1:9/callback',
      'http://127.8.9.10/callback',
      'http://localhost:9/callback',
      'http://LOCALHOST:9/callback',
      'http://hooks.localhost:9/callback',
      'http://[::1]:9/callback',
      'https://localhost/callback',
    ]) {
      it(`should accept the loopback CallBack ${url}`, async () => {
        const job = await submit(emulator, withCallback(url));
        expect(job.State).to.equal('Submitted');
      });
    }

    it('should still accept CallBack=no', async () => {
      const job = await submit(emulator, withCallback('no'));
      expect(job.State).to.equal('Submitted');
    });
  });

  describe('with --callback-allow entries', () => {
    let emulator: Emulator;

    before(async () => {
      emulator = await startTestEmulator({
        jobs: { queueDelayMs: 3_600_000 },
        callbackAllow: ['callback.example.test', 'Hooks.Example.Test:8080', '[fe80::1]:9000', '10.1.2.3'],
      });
      await seedObject(emulator, INPUT, NOT_MP4);
    });

    after(async () => {
      await emulator.close();
    });

    for (const url of [
      'http://callback.example.test/notify',
      'https://CALLBACK.Example.test:8443/notify',
      'http://hooks.example.test:8080/notify',
      'http://[fe80::1]:9000/notify',
      'http://10.1.2.3:7000/notify',
    ]) {
      it(`should accept the allowed CallBack ${url}`, async () => {
        const job = await submit(emulator, withCallback(url));
        expect(job.State).to.equal('Submitted');
      });
    }

    for (const url of [
      'http://hooks.example.test/notify',
      'http://hooks.example.test:8081/notify',
      'http://other.callback.example.test/notify',
      'http://[fe80::1]:9001/notify',
      'http://10.1.2.4/notify',
    ]) {
      it(`should refuse the CallBack ${url}, which no entry allows`, async () => {
        await expectRefused(emulator, url);
      });
    }
  });

  describe('delivery', () => {
    let emulator: Emulator;
    let target: Server;
    const requested: string[] = [];

    before(async () => {
      target = createServer((req, res) => {
        requested.push(req.url ?? '');
        req.resume();
        if (req.url === '/redirect') {
          const port = (target.address() as AddressInfo).port;
          res.writeHead(302, { Location: `http://127.0.0.1:${port}/landing` }).end();
        } else {
          res.writeHead(200).end();
        }
      });
      await new Promise<void>((done) => target.listen(0, '127.0.0.1', done));
      emulator = await startTestEmulator({ callbacks: { attempts: 2, retryDelayMs: 20, timeoutMs: 1000 } });
      await seedObject(emulator, 'input/sample.mp4', SAMPLE);
    });

    after(async () => {
      await emulator.close();
      target.closeAllConnections();
      await new Promise<void>((done) => target.close(() => done()));
    });

    it('should not follow a redirect: a 302 to another loopback URL is a failed attempt', async () => {
      const port = (target.address() as AddressInfo).port;
      const url = `http://127.0.0.1:${port}/redirect`;
      const { JobId } = await submit(emulator, transcodeBody('input/sample.mp4', { notification: { CallBack: url } }));
      const deadline = Date.now() + 5000;
      let delivery: CallbackDelivery | undefined;
      for (;;) {
        delivery = (await ciState(emulator)).callbacks?.deliveries.find((entry) => entry.jobId === JobId);
        if (delivery?.state === 'failed' || Date.now() > deadline) break;
        await sleep(20);
      }
      expect(delivery).to.include({ state: 'failed', attempts: 2, lastStatus: 302 });
      expect(requested.filter((path) => path === '/redirect')).to.have.length(2);
      expect(requested).to.not.include('/landing');
    });

    it('should deliver to *.localhost on loopback without asking DNS (which may not know the name, or lie)', async () => {
      const port = (target.address() as AddressInfo).port;
      const url = `http://hooks.localhost:${port}/named`;
      const { JobId } = await submit(emulator, transcodeBody('input/sample.mp4', { notification: { CallBack: url } }));
      const deadline = Date.now() + 5000;
      let delivery: CallbackDelivery | undefined;
      for (;;) {
        delivery = (await ciState(emulator)).callbacks?.deliveries.find((entry) => entry.jobId === JobId);
        if ((delivery && delivery.state !== 'pending') || Date.now() > deadline) break;
        await sleep(20);
      }
      expect(delivery).to.include({ state: 'delivered', lastStatus: 200 });
      expect(requested).to.include('/named');
    });

    it('should answer loopback names itself and leave no way to a LAN address', async () => {
      const { callbackLookup } = await import('../../src/emulator/ci/callback-post.js');
      const all = await new Promise<unknown>((done, fail) =>
        callbackLookup('evil.LOCALHOST.', { all: true }, (error, addresses) => (error ? fail(error) : done(addresses))),
      );
      expect(all).to.deep.equal([
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ]);
    });

    it('should check the target again when sending, and send nothing to a host no longer allowed', async () => {
      const sender = new CallbackSender({ attempts: 1, retryDelayMs: 10, timeoutMs: 500 }, []);
      const detail = { JobId: 'j0', State: 'Success' };
      sender.send('j0', { CallBack: 'http://169.254.169.254/latest/meta-data/' }, detail);
      await sender.close();
      const [delivery] = sender.state().deliveries;
      expect(delivery).to.include({ state: 'failed', attempts: 0, lastError: 'refused' });
    });
  });
});
