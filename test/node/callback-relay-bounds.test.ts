import { expect } from 'chai';
import { request, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { RelayServer, relayServers } from '../helpers/relay-server.js';

const detail = (jobId: string, marker = '') => ({
  JobId: jobId,
  Tag: 'Transcode',
  State: 'Success',
  Operation: { UserData: marker },
});
/** A JSON callback naming `jobIds`, with `marker` in each UserData so that bodies can be told apart or sized. */
const callbackOf = (jobIds: string[], marker = ''): string =>
  JSON.stringify({ EventName: 'TaskFinish', JobsDetail: jobIds.map((jobId) => detail(jobId, marker)) });

/** Waits (bounded) until `done()`. */
async function until(done: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    await sleep(5);
  }
}

describe('callback relay (demo host) bounds', function () {
  this.timeout(10_000);
  const { start, subscribe } = relayServers();

  describe('JobsDetail per callback', () => {
    it('should refuse a callback naming more than 10 jobs with 400, and keep what it kept', async () => {
      const server = await start();
      expect((await server.post(callbackOf(['jkept']))).status).to.equal(204);
      const flood = Array.from({ length: 1000 }, (_, index) => `jflood${index}`);
      const reply = await server.post(callbackOf(flood));
      const client = await subscribe(server, 'jkept');
      const events = await client.waitForEvents(1);
      const flooded = await subscribe(server, 'jflood0');
      await flooded.waitForRaw('retry: 2000\n\n');
      await sleep(50);
      expect([reply.status, JSON.parse(reply.text)]).to.deep.equal([
        400,
        { error: 'A callback may name at most 10 jobs' },
      ]);
      expect([events.map((event) => event.data), flooded.events]).to.deep.equal([[callbackOf(['jkept'])], []]);
    });

    it('should accept a callback naming 10 jobs and send it to each', async () => {
      const server = await start();
      const jobIds = Array.from({ length: 10 }, (_, index) => `jten${index}`);
      expect((await server.post(callbackOf(jobIds))).status).to.equal(204);
      const last = await subscribe(server, 'jten9');
      expect((await last.waitForEvents(1)).map((event) => event.data)).to.deep.equal([callbackOf(jobIds)]);
    });

    it('should take another limit from maxJobsPerCallback', async () => {
      const server = await start({ maxJobsPerCallback: 1 });
      const replies = [await server.post(callbackOf(['jone'])), await server.post(callbackOf(['ja', 'jb']))];
      expect(replies.map((reply) => reply.status)).to.deep.equal([204, 400]);
    });
  });

  describe('kept bytes', () => {
    it('should forget the oldest bodies of the job updated the longest ago beyond maxKeptBytes', async () => {
      const body = (jobId: string, marker: string) => callbackOf([jobId], marker.padEnd(200, '.'));
      const size = Buffer.byteLength(body('jb1', 'x'));
      const server = await start({ maxBodyBytes: size, maxKeptBytes: 3 * size });
      await server.post(body('jb1', 'first'));
      await server.post(body('jb2', 'second'));
      await server.post(body('jb1', 'third'));
      await server.post(body('jb2', 'fourth'));
      const one = await subscribe(server, 'jb1');
      const two = await subscribe(server, 'jb2');
      await two.waitForEvents(2);
      await one.waitForEvents(1);
      await sleep(50);
      expect([one.events.map((event) => event.id), two.events.map((event) => event.id)]).to.deep.equal([
        ['3'],
        ['2', '4'],
      ]);
    });

    it('should refuse a maxKeptBytes smaller than maxBodyBytes', () => {
      expect(() => new RelayServer({ maxBodyBytes: 1000, maxKeptBytes: 999 })).to.throw(RangeError, 'maxKeptBytes');
    });
  });

  describe('replay', () => {
    it('should replay kept bodies far beyond the socket buffers in full, waiting for the reader', async () => {
      const maxBodyBytes = 256 * 1024;
      const server = await start({ maxBodyBytes, keepPerJob: 8 });
      const markers = Array.from({ length: 8 }, (_, index) => `${index}`.padEnd(maxBodyBytes - 200, 'x'));
      for (const marker of markers) expect((await server.post(callbackOf(['jbig'], marker))).status).to.equal(204);
      const client = await subscribe(server, 'jbig');
      await server.post(callbackOf(['jbig'], 'live'));
      const events = await client.waitForEvents(9, 5000);
      expect(events.map((event) => event.data)).to.deep.equal(
        [...markers, 'live'].map((marker) => callbackOf(['jbig'], marker)),
      );
      expect(client.ended).to.equal(false);
    });

    it('should still drop a stream whose reader stopped reading while callbacks pile up', async () => {
      const maxBodyBytes = 256 * 1024;
      const server = await start({ maxBodyBytes, keepPerJob: 2 });
      let stalled = true;
      let ended = false;
      let received = 0;
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(server.url('/api/job-events?jobId=jstall'), { agent: false }, (res) => {
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (stalled) res.pause();
          });
          for (const event of ['end', 'close', 'error']) res.on(event, () => (ended = true));
          resolve(res);
        });
        req.on('error', reject);
        req.end();
      });
      // 25 MB: more than the loopback socket buffers hold here (a few MB), so the relay sees the reader fall behind.
      const body = callbackOf(['jstall'], 'y'.repeat(maxBodyBytes - 200));
      for (let sent = 0; sent < 100; sent += 1) expect((await server.post(body)).status).to.equal(204);
      stalled = false;
      response.resume();
      await until(() => ended, 'the stalled stream is still open');
      expect(received).to.be.below(50 * Buffer.byteLength(body));
    });
  });
});
