import { expect } from 'chai';
import { JSON_CALLBACK_ARRAY, XML_CALLBACK } from '../fixtures/callbacks.js';
import { relayServers } from '../helpers/relay-server.js';

const XML_JOB = 'j06668dc0f86811ecb90d0b03267ce0e5';
const JSON_JOB = 'j7d0e5f8af86b11ecb90d0b03267ce0e5';

/** A small valid JSON callback of `jobId`; `marker` goes into UserData so that bodies can be told apart. */
const callbackOf = (jobId: string, marker = ''): string =>
  JSON.stringify({
    EventName: 'TaskFinish',
    JobsDetail: [{ JobId: jobId, Tag: 'Transcode', State: 'Success', Operation: { UserData: marker } }],
  });

describe('callback relay (demo host)', function () {
  this.timeout(10_000);
  const { start, subscribe } = relayServers();

  describe('POST /api/ci-callback', () => {
    it('should accept an XML callback with 204', async () => {
      const server = await start();
      const reply = await server.post(XML_CALLBACK);
      expect([reply.status, reply.text]).to.deep.equal([204, '']);
    });

    it('should accept a JSON callback with 204', async () => {
      const server = await start();
      expect((await server.post(JSON_CALLBACK_ARRAY)).status).to.equal(204);
    });

    it('should refuse a body that is not a callback with a short 400 that does not echo it', async () => {
      const server = await start();
      const reply = await server.post('{"EventName":"TaskFinish","JobsDetail":[{"JobId":"<script>x</script>"}]}');
      expect(reply.status).to.equal(400);
      expect(JSON.parse(reply.text)).to.deep.equal({ error: 'The body is not a CI job callback' });
      expect(reply.text).to.not.include('script');
    });

    it('should refuse a body larger than maxBodyBytes with 413 (Content-Length)', async () => {
      const server = await start({ maxBodyBytes: 1024 });
      const reply = await server.post(' '.repeat(1025));
      expect([reply.status, reply.headers['connection']]).to.deep.equal([413, 'close']);
    });

    it('should refuse a chunked body that grows past maxBodyBytes with 413', async () => {
      const server = await start({ maxBodyBytes: 1024 });
      const reply = await server.post(`${callbackOf('jbig')}${' '.repeat(1024)}`, { chunked: true });
      expect(reply.status).to.equal(413);
    });

    it('should answer other methods with 405', async () => {
      const server = await start();
      const reply = await server.send('GET', '/api/ci-callback');
      expect([reply.status, reply.headers['allow']]).to.deep.equal([405, 'POST']);
    });

    it('should pass other paths to next()', async () => {
      const server = await start();
      const replies = [await server.send('GET', '/api/other'), await server.send('POST', '/ci-callback', '{}')];
      expect(replies.map((reply) => [reply.status, reply.text])).to.deep.equal([
        [404, 'next'],
        [404, 'next'],
      ]);
    });
  });

  describe('GET /api/job-events', () => {
    it('should open an event stream with the SSE headers and retry: 2000 first', async () => {
      const server = await start();
      const client = await subscribe(server, 'jheaders');
      await client.waitForRaw('\n\n');
      expect(client.status).to.equal(200);
      expect(client.headers).to.include({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      expect(client.raw).to.equal('retry: 2000\n\n');
    });

    it('should replay the kept XML callback of the job, one data line per body line', async () => {
      const server = await start();
      await server.post(XML_CALLBACK);
      const client = await subscribe(server, XML_JOB);
      const [event] = await client.waitForEvents(1);
      expect(event).to.deep.equal({ event: 'message', data: XML_CALLBACK, id: '1' });
      const lines = XML_CALLBACK.split('\n');
      expect(client.raw).to.equal(`retry: 2000\n\nid: 1\n${lines.map((line) => `data: ${line}\n`).join('')}\n`);
    });

    it('should deliver callbacks that arrive while the stream is open, in order', async () => {
      const server = await start();
      const client = await subscribe(server, JSON_JOB);
      await client.waitForRaw('retry: 2000\n\n');
      await server.post(JSON_CALLBACK_ARRAY);
      await server.post(callbackOf(JSON_JOB, 'second'));
      const events = await client.waitForEvents(2);
      expect(events).to.deep.equal([
        { event: 'message', data: JSON_CALLBACK_ARRAY, id: '1' },
        { event: 'message', data: callbackOf(JSON_JOB, 'second'), id: '2' },
      ]);
    });

    it('should normalise CRLF line breaks of a body to data lines', async () => {
      const server = await start();
      const body = XML_CALLBACK.replaceAll('\n', '\r\n');
      await server.post(body);
      const client = await subscribe(server, XML_JOB);
      const [event] = await client.waitForEvents(1);
      expect(event?.data).to.equal(XML_CALLBACK);
      expect(client.raw).to.not.include('\r');
    });

    it('should not send a job the callbacks of other jobs', async () => {
      const server = await start();
      const client = await subscribe(server, 'jmine');
      await client.waitForRaw('retry: 2000\n\n');
      await server.post(callbackOf('jother', 'other'));
      await server.post(callbackOf('jmine', 'mine'));
      const events = await client.waitForEvents(1);
      expect(events.map((event) => event.data)).to.deep.equal([callbackOf('jmine', 'mine')]);
      expect(events[0]?.id).to.equal('2');
    });

    it('should send a callback naming several jobs to each of them', async () => {
      const server = await start();
      const body = JSON.stringify({
        EventName: 'TaskFinish',
        JobsDetail: [
          { JobId: 'jfirst', Tag: 'Transcode', State: 'Success' },
          { JobId: 'jsecond', Tag: 'Transcode', State: 'Failed' },
        ],
      });
      await server.post(body);
      const first = await subscribe(server, 'jfirst');
      const second = await subscribe(server, 'jsecond');
      expect((await first.waitForEvents(1))[0]?.data).to.equal(body);
      expect((await second.waitForEvents(1))[0]?.data).to.equal(body);
    });

    it('should replay only what follows the Last-Event-ID of a reconnecting client', async () => {
      const server = await start();
      await server.post(callbackOf('jlast', 'one'));
      await server.post(callbackOf('jlast', 'two'));
      await server.post(callbackOf('jlast', 'three'));
      const client = await subscribe(server, 'jlast', { 'last-event-id': '2' });
      await server.post(callbackOf('jlast', 'four'));
      const events = await client.waitForEvents(2);
      expect(events.map((event) => [event.id, event.data])).to.deep.equal([
        ['3', callbackOf('jlast', 'three')],
        ['4', callbackOf('jlast', 'four')],
      ]);
    });

    it('should replay everything to a Last-Event-ID the relay never issued (it restarted)', async () => {
      const server = await start();
      await server.post(callbackOf('jrestart', 'one'));
      const client = await subscribe(server, 'jrestart', { 'last-event-id': '99' });
      expect((await client.waitForEvents(1)).map((event) => event.id)).to.deep.equal(['1']);
    });

    it('should keep only the last keepPerJob bodies of a job', async () => {
      const server = await start({ keepPerJob: 2 });
      for (const marker of ['one', 'two', 'three']) await server.post(callbackOf('jkeep', marker));
      const client = await subscribe(server, 'jkeep');
      await server.post(callbackOf('jkeep', 'four'));
      const events = await client.waitForEvents(3);
      expect(events.map((event) => event.data)).to.deep.equal(
        ['two', 'three', 'four'].map((marker) => callbackOf('jkeep', marker)),
      );
    });

    it('should forget the job that received a callback the longest ago beyond maxJobs', async () => {
      const server = await start({ maxJobs: 2 });
      await server.post(callbackOf('jolder', 'a'));
      await server.post(callbackOf('jold', 'b'));
      await server.post(callbackOf('jolder', 'c'));
      await server.post(callbackOf('jnew', 'd'));
      const forgotten = await subscribe(server, 'jold');
      const kept = await subscribe(server, 'jolder');
      await server.post(callbackOf('jold', 'after'));
      const replayed = await forgotten.waitForEvents(1);
      expect(replayed.map((event) => event.data)).to.deep.equal([callbackOf('jold', 'after')]);
      expect((await kept.waitForEvents(2)).map((event) => event.id)).to.deep.equal(['1', '3']);
    });

    it('should send heartbeat comments every heartbeatMs', async () => {
      const server = await start({ heartbeatMs: 20 });
      const client = await subscribe(server, 'jbeat');
      expect(await client.waitForComment()).to.equal('heartbeat');
      expect(client.events).to.deep.equal([]);
    });

    for (const [name, jobId] of [
      ['an empty jobId', ''],
      ['a jobId with other characters', '../jobs'],
      ['a jobId longer than 128 characters', 'j'.repeat(129)],
    ] as const) {
      it(`should refuse ${name} with 400`, async () => {
        const server = await start();
        const client = await subscribe(server, jobId);
        expect(client.status).to.equal(400);
        expect(JSON.parse(await client.text())).to.have.property('error');
      });
    }

    it('should refuse a request without jobId with 400', async () => {
      const server = await start();
      expect((await server.send('GET', '/api/job-events')).status).to.equal(400);
    });

    it('should refuse streams beyond maxSubscribers with 503 until one closes', async () => {
      const server = await start({ maxSubscribers: 1 });
      const first = await subscribe(server, 'jlimit');
      const refused = await subscribe(server, 'jlimit');
      expect([first.status, refused.status, refused.headers['retry-after']]).to.deep.equal([200, 503, '5']);
      first.close();
      const deadline = Date.now() + 3000;
      let again = await subscribe(server, 'jlimit');
      while (again.status !== 200 && Date.now() < deadline) again = await subscribe(server, 'jlimit');
      expect(again.status).to.equal(200);
    });

    it('should keep delivering to the other streams of a job after one client left', async () => {
      const server = await start();
      const gone = await subscribe(server, 'jgone');
      const stays = await subscribe(server, 'jgone');
      await gone.waitForRaw('retry: 2000\n\n');
      gone.close();
      await server.post(callbackOf('jgone', 'after'));
      expect((await stays.waitForEvents(1)).map((event) => event.data)).to.deep.equal([callbackOf('jgone', 'after')]);
      expect(gone.events).to.deep.equal([]);
    });

    it('should end every stream on close() and refuse requests afterwards with 503', async () => {
      const server = await start();
      const client = await subscribe(server, 'jclose');
      server.relay.close();
      await client.waitForEnd();
      expect((await server.post(callbackOf('jclose'))).status).to.equal(503);
    });
  });
});
