import { expect } from 'chai';
import type { TranscoderError } from '../../../src/core/errors.js';
import type { Authorizer } from '../../../src/core/signing/types.js';
import { SkewCorrectedClock } from '../../../src/core/transport/clock.js';
import { FetchTransport } from '../../../src/core/transport/fetch-transport.js';
import { ServiceClient } from '../../../src/core/transport/service-client.js';
import type { Transport } from '../../../src/core/transport/types.js';
import { BUCKET, NOW, REGION, put, settle, setup } from '../../helpers/service-client-setup.js';
import { settleTasks, watchAbortListeners, watchTimers } from './leak-tracker.js';

const AUTHORIZATION = 'q-sign-algorithm=sha1&q-ak=AKIDsecretKeyId&q-signature=SECRET-SIGNATURE';
const TOKEN = 'SECRET-SESSION-TOKEN';

/** An authorizer that signs every request with the same distinctive values. */
const fixedAuthorizer = (securityToken = TOKEN): Authorizer => ({
  authorize: async () => ({ authorization: AUTHORIZATION, securityToken }),
  invalidate: () => {},
  clock: new SkewCorrectedClock(() => NOW),
});

const client = (transport: Transport, authorizer = fixedAuthorizer()) =>
  new ServiceClient({ transport, authorizer, bucket: BUCKET, region: REGION, retry: { delays: [] } });

/** Everything an error shows a log or an error reporter: messages and stacks, down the `cause` chain. */
function everythingShown(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 10; e = (e as Error).cause, depth += 1) {
    parts.push(String(e), String((e as Error).message), String((e as Error).stack));
  }
  return parts.join('\n');
}

/** A `fetch` that fails as Chrome's `setRequestHeader` does: quoting the header values. */
const quotingFetch = (async (_url: string, init: RequestInit) => {
  const values = Object.values(init.headers as Record<string, string>).join("', '");
  throw new TypeError(`Failed to execute 'fetch': '${values}' is not a valid HTTP header field value.`);
}) as typeof fetch;

describe('ServiceClient', () => {
  describe('secrets in transport failures', () => {
    it('should keep the Authorization and the token out of a fetch failure', async () => {
      const { error } = await settle(client(new FetchTransport({ fetch: quotingFetch })).request({ ...put, key: 'a' }));
      expect(error).to.include({ code: 'network', attempts: 1 });
      const shown = everythingShown(error);
      expect(shown).to.include('TypeError from fetch');
      expect(shown).not.to.match(/SECRET|AKIDsecretKeyId|q-signature/);
    });

    it('should keep them out of the failure of a transport that breaks its contract', async () => {
      const transport: Transport = {
        send: async (request) => {
          throw new Error(`cannot send ${JSON.stringify(request.headers)}`);
        },
      };
      const { error } = await settle(client(transport).request({ ...put, key: 'a' }));
      expect(error).to.include({ code: 'network' });
      expect(everythingShown(error)).not.to.match(/SECRET|AKIDsecretKeyId|q-signature/);
    });

    it('should refuse, not retry, a token the runtime cannot send, without quoting it', async () => {
      let calls = 0;
      const fetch = (async () => (calls++, new Response(''))) as unknown as typeof globalThis.fetch;
      const sent = client(new FetchTransport({ fetch }), fixedAuthorizer(`${TOKEN}-腾`)).request({ ...put, key: 'a' });
      const { error } = await settle(sent);
      expect(error).to.include({ code: 'invalid-request', retryable: false, attempts: 1 });
      expect(everythingShown(error)).not.to.match(/SECRET|AKIDsecretKeyId|q-signature/);
      expect(calls).to.equal(0);
    });
  });

  describe('clean-up', () => {
    let timers: ReturnType<typeof watchTimers>;
    beforeEach(() => {
      timers = watchTimers();
    });
    afterEach(() => timers.restore());

    /** The listeners left on the signal and the timers left pending once the request settled. */
    async function leftovers(signal: { readonly listeners: number }, done: Promise<{ error?: TranscoderError }>) {
      const outcome = await done;
      await settleTasks();
      return { code: outcome.error?.code, listeners: signal.listeners, timers: timers.pending };
    }

    it('should leave nothing behind after a request that succeeded on a retry', async () => {
      const { client, transport } = setup();
      const controller = new AbortController();
      const signal = watchAbortListeners(controller.signal);
      const done = settle(client.request({ ...put, key: 'a', body: 'x', signal: controller.signal }));
      (await transport.nextRequest()).respondWith({ status: 503 });
      (await transport.nextRequest()).respondWith({ status: 200 });
      expect(await leftovers(signal, done)).to.deep.equal({ code: undefined, listeners: 0, timers: 0 });
    });

    it('should leave nothing behind after an abort during the wait for a retry', async () => {
      const { client, transport } = setup({ retry: { delays: [60_000] } });
      const controller = new AbortController();
      const signal = watchAbortListeners(controller.signal);
      const done = settle(client.request({ ...put, key: 'a', body: 'x', signal: controller.signal }));
      (await transport.nextRequest()).respondWith({ status: 503 });
      await settleTasks();
      controller.abort();
      expect(await leftovers(signal, done)).to.deep.equal({ code: 'aborted', listeners: 0, timers: 0 });
    });

    const fetchCases: [string, (signal: AbortSignal) => Promise<Response>, (c: AbortController) => void, string?][] =
      [
        ['a completed fetch', async () => new Response('<a/>'), () => {}],
        ['a fetch aborted by the caller', (signal) => never(signal), (c) => setTimeout(() => c.abort(), 5), 'aborted'],
        ['a fetch that timed out', (signal) => never(signal), () => {}, 'timeout'],
        ['a failed fetch', async () => Promise.reject(new TypeError('Failed to fetch')), () => {}, 'network'],
      ];
    for (const [name, answer, act, code] of fetchCases) {
      it(`should leave nothing behind after ${name}`, async () => {
        const fetch = ((_url: string, init: RequestInit) => answer(init.signal!)) as typeof globalThis.fetch;
        const controller = new AbortController();
        const signal = watchAbortListeners(controller.signal);
        const sent = client(new FetchTransport({ fetch })).request({
          ...put,
          key: 'a',
          body: 'x',
          timeout: 30,
          signal: controller.signal,
        });
        act(controller);
        expect(await leftovers(signal, settle(sent))).to.deep.equal({ code, listeners: 0, timers: 0 });
      });
    }
  });
});

/** A response that never comes, rejecting when the transport aborts the fetch. */
function never(signal: AbortSignal): Promise<Response> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true });
  });
}
