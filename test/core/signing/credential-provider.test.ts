import { expect } from 'chai';
import { isTranscoderError } from '../../../src/core/errors.js';
import { parseAuthorization } from '../../../src/core/signing/authorization.js';
import { CredentialProvider } from '../../../src/core/signing/credential-provider.js';
import type { AuthorizationResult } from '../../../src/core/signing/credentials.js';
import { SkewCorrectedClock } from '../../../src/core/transport/clock.js';
import {
  credentials,
  deferred,
  expectSignedWith,
  fakeHost,
  ID,
  ID2,
  KEY,
  KEY2,
  rejection,
  request,
  serverSign,
  T0,
  TOKEN,
} from '../../helpers/fake-get-authorization.js';

let nowMs = 0;
let clock: SkewCorrectedClock;

describe('CredentialProvider', () => {
  beforeEach(() => {
    nowMs = (T0 + 10) * 1000;
    clock = new SkewCorrectedClock(() => nowMs);
  });

  describe('options', () => {
    it('should reject missing getAuthorization with invalid-options', () => {
      let error: unknown;
      try {
        new CredentialProvider({} as never);
      } catch (e) {
        error = e;
      }
      expect(isTranscoderError(error) && error.code).to.equal('invalid-options');
      expect((error as Error).message).to.include('Invalid CredentialProvider options: getAuthorization must be a function');
    });

    it('should name an invalid timeout', () => {
      expect(() => new CredentialProvider({ getAuthorization: () => '', timeout: -1 })).to.throw(
        'timeout must be milliseconds from 1 to 2147483647',
      );
    });

    it('should reject a signatureLifetime under 60 seconds', () => {
      expect(() => new CredentialProvider({ getAuthorization: () => '', signatureLifetime: 10 })).to.throw(
        'signatureLifetime must be a whole number of seconds, 60 or more',
      );
    });
  });

  describe('credentials', () => {
    it('should pass the request and a signal to the host', async () => {
      const host = fakeHost(() => credentials());
      await new CredentialProvider({ ...host, clock }).authorize(request());
      expect(host.requests).to.deep.equal([request()]);
      expect(host.contexts[0]!.signal.aborted).to.equal(false);
    });

    it('should return a signature and the session token', async () => {
      const host = fakeHost(() => credentials());
      const signed = await new CredentialProvider({ ...host, clock }).authorize(request());
      expect(parseAuthorization(signed.authorization)).to.include({ algorithm: 'sha1', secretId: ID });
      expect(signed.securityToken).to.equal(TOKEN);
    });

    it('should sign the request with the temporary key', async () => {
      const host = fakeHost(() => credentials());
      const signed = await new CredentialProvider({ ...host, clock }).authorize(request());
      await expectSignedWith(signed.authorization, ID, KEY);
    });

    it('should accept an answer given synchronously', async () => {
      const provider = new CredentialProvider({ getAuthorization: () => credentials(), clock });
      expect((await provider.authorize(request())).securityToken).to.equal(TOKEN);
    });

    it('should accept the qcloud-cos-sts output as it comes', async () => {
      const host = fakeHost(() => ({
        credentials: { tmpSecretId: ID, tmpSecretKey: KEY, sessionToken: TOKEN },
        expiration: new Date((T0 + 1800) * 1000).toISOString(),
        expiredTime: T0 + 1800,
        startTime: T0,
        requestId: 'r-1',
      }));
      const signed = await new CredentialProvider({ ...host, clock }).authorize(request());
      await expectSignedWith(signed.authorization, ID, KEY);
    });

    it('should reuse cached credentials for later requests', async () => {
      const host = fakeHost(() => credentials());
      const provider = new CredentialProvider({ ...host, clock });
      const keys = ['a.mp4', 'b.mp4', 'c.mp4', 'd.mp4'];
      for (const key of keys) {
        const signed = await provider.authorize(request(key));
        await expectSignedWith(signed.authorization, ID, KEY, request(key));
        nowMs += 100_000;
      }
      expect(host.requests).to.have.length(1);
    });

    it('should make one host call for ten concurrent requests', async () => {
      const answer = deferred<AuthorizationResult>();
      const host = fakeHost(() => answer.promise);
      const provider = new CredentialProvider({ ...host, clock });
      const keys = Array.from({ length: 10 }, (_, i) => `part-${i}.mp4`);
      const pending = keys.map((key) => provider.authorize(request(key)));
      answer.resolve(credentials());
      const signed = await Promise.all(pending);
      expect(host.requests).to.have.length(1);
      await Promise.all(signed.map((s, i) => expectSignedWith(s.authorization, ID, KEY, request(keys[i]))));
    });

    it('should fetch new credentials refreshAhead seconds before they expire', async () => {
      const host = fakeHost((_, call) =>
        call === 1
          ? credentials()
          : credentials({ TmpSecretId: ID2, TmpSecretKey: KEY2, StartTime: T0 + 1739, ExpiredTime: T0 + 3539 }),
      );
      const provider = new CredentialProvider({ ...host, clock, refreshAhead: 60 });
      await provider.authorize(request());
      nowMs = (T0 + 1800 - 61) * 1000;
      const beforeRefresh = await provider.authorize(request());
      nowMs = (T0 + 1800 - 60) * 1000;
      const afterRefresh = await provider.authorize(request());
      expect(host.requests).to.have.length(2);
      expect(parseAuthorization(beforeRefresh.authorization)!.secretId).to.equal(ID);
      await expectSignedWith(afterRefresh.authorization, ID2, KEY2);
    });

    it('should keep short-lived credentials for half of their remaining life', async () => {
      const host = fakeHost(() => credentials({ StartTime: T0, ExpiredTime: T0 + 50 }));
      const provider = new CredentialProvider({ ...host, clock, refreshAhead: 60 });
      await provider.authorize(request());
      nowMs = (T0 + 29) * 1000;
      await provider.authorize(request());
      expect(host.requests).to.have.length(1);
      nowMs = (T0 + 30) * 1000;
      await provider.authorize(request());
      expect(host.requests).to.have.length(2);
    });

    it('should ask the host again after invalidate', async () => {
      const host = fakeHost(() => credentials());
      const provider = new CredentialProvider({ ...host, clock });
      await provider.authorize(request());
      provider.invalidate();
      await provider.authorize(request());
      expect(host.requests).to.have.length(2);
    });

    it('should not cache credentials from a fetch that started before invalidate', async () => {
      const answer = deferred<AuthorizationResult>();
      const host = fakeHost((_, call) => (call === 1 ? answer.promise : credentials()));
      const provider = new CredentialProvider({ ...host, clock });
      const first = provider.authorize(request());
      provider.invalidate();
      answer.resolve(credentials());
      await first;
      await provider.authorize(request());
      expect(host.requests).to.have.length(2);
    });

    it('should not cache credentials marked ScopeLimit', async () => {
      const host = fakeHost(() => credentials({ ScopeLimit: true }));
      const provider = new CredentialProvider({ ...host, clock });
      await provider.authorize(request('a.mp4'));
      await provider.authorize(request('b.mp4'));
      expect(host.requests.map((r) => r.key)).to.deep.equal(['a.mp4', 'b.mp4']);
    });
  });

  describe('ready signatures', () => {
    it('should pass a signature string through for each request', async () => {
      const host = fakeHost((req) => serverSign(req));
      const provider = new CredentialProvider({ ...host, clock });
      const keys = ['a.mp4', 'b.mp4', 'c.mp4'];
      for (const key of keys) {
        expect((await provider.authorize(request(key))).authorization).to.equal(await serverSign(request(key)));
      }
      expect(host.requests.map((r) => r.key)).to.deep.equal(keys);
    });

    it('should return the token given next to an Authorization', async () => {
      const host = fakeHost(async (req) => ({ Authorization: await serverSign(req), SecurityToken: TOKEN }));
      const signed = await new CredentialProvider({ ...host, clock }).authorize(request());
      expect(signed).to.deep.equal({ authorization: await serverSign(request()), securityToken: TOKEN });
    });

    it('should ask the host once per concurrent request when it signs on its server', async () => {
      const host = fakeHost((req) => serverSign(req));
      const provider = new CredentialProvider({ ...host, clock });
      const keys = ['a.mp4', 'b.mp4', 'c.mp4'];
      const signed = await Promise.all(keys.map((key) => provider.authorize(request(key))));
      expect(host.requests.map((r) => r.key)).to.have.members(keys);
      for (const [i, key] of keys.entries()) {
        expect(signed[i]!.authorization).to.equal(await serverSign(request(key)));
      }
    });

    it('should reject a signature with white space', async () => {
      const host = fakeHost(async (req) => `${await serverSign(req)} `);
      const error = await rejection(new CredentialProvider({ ...host, clock }).authorize(request()));
      expect(error.code).to.equal('sign-failed');
      expect(error.message).to.include('white space');
    });

    it('should reject a malformed signature', async () => {
      const host = fakeHost(() => 'q-sign-algorithm=sha1&q-ak=AKID');
      const error = await rejection(new CredentialProvider({ ...host, clock }).authorize(request()));
      expect(error.message).to.include('not a COS v5 Authorization value');
    });
  });

  describe('failures', () => {
    it('should fail with sign-failed when the host does not answer in time', async () => {
      const host = fakeHost(() => new Promise<never>(() => undefined));
      const provider = new CredentialProvider({ ...host, clock, timeout: 30 });
      const error = await rejection(provider.authorize(request()));
      expect(error).to.include({ code: 'sign-failed', phase: 'sign', retryable: true });
      expect(error.message).to.equal('getAuthorization did not answer within 30 ms');
    });

    it('should abort the host signal when the time is up', async () => {
      const host = fakeHost(() => new Promise<never>(() => undefined));
      await rejection(new CredentialProvider({ ...host, clock, timeout: 30 }).authorize(request()));
      expect(host.contexts[0]!.signal.aborted).to.equal(true);
    });

    it('should ask the host again after a timeout', async () => {
      const host = fakeHost((_, call) => (call === 1 ? new Promise<never>(() => undefined) : credentials()));
      const provider = new CredentialProvider({ ...host, clock, timeout: 30 });
      await rejection(provider.authorize(request()));
      expect((await provider.authorize(request())).securityToken).to.equal(TOKEN);
    });

    it('should reject with aborted when the signal aborts the wait', async () => {
      const host = fakeHost(() => new Promise<never>(() => undefined));
      const controller = new AbortController();
      const pending = new CredentialProvider({ ...host, clock }).authorize(request(), { signal: controller.signal });
      controller.abort();
      expect(await rejection(pending)).to.include({ code: 'aborted', phase: 'sign' });
      expect(host.contexts[0]!.signal.aborted).to.equal(true);
    });

    it('should not call the host for an already aborted signal', async () => {
      const host = fakeHost(() => credentials());
      const signal = AbortSignal.abort();
      const error = await rejection(new CredentialProvider({ ...host, clock }).authorize(request(), { signal }));
      expect(error.code).to.equal('aborted');
      expect(host.requests).to.have.length(0);
    });

    it('should keep serving other callers when one of them aborts', async () => {
      const answer = deferred<AuthorizationResult>();
      const host = fakeHost(() => answer.promise);
      const provider = new CredentialProvider({ ...host, clock });
      const controller = new AbortController();
      const aborted = provider.authorize(request('a.mp4'), { signal: controller.signal });
      const kept = provider.authorize(request('b.mp4'));
      controller.abort();
      expect((await rejection(aborted)).code).to.equal('aborted');
      answer.resolve(credentials());
      await expectSignedWith((await kept).authorization, ID, KEY, request('b.mp4'));
      expect(host.contexts[0]!.signal.aborted).to.equal(false);
    });

    it('should keep the error a host throws as the cause', async () => {
      const thrown = new Error('backend said 403');
      const host = fakeHost(() => {
        throw thrown;
      });
      const error = await rejection(new CredentialProvider({ ...host, clock }).authorize(request()));
      expect(error).to.include({ code: 'sign-failed', phase: 'sign', retryable: true });
      expect(error.cause).to.equal(thrown);
    });

    it('should keep the rejection of an async host as the cause', async () => {
      const thrown = new TypeError('Failed to fetch');
      const host = fakeHost(() => Promise.reject(thrown));
      const error = await rejection(new CredentialProvider({ ...host, clock }).authorize(request()));
      expect(error).to.include({ code: 'sign-failed', phase: 'sign', retryable: true });
      expect(error.cause).to.equal(thrown);
    });

    it('should not mark an unusable answer retryable', async () => {
      for (const answer of [credentials({ TmpSecretKey: undefined }), 'q-sign-algorithm=sha1', { Authorization: 7 }]) {
        const host = fakeHost(() => answer as AuthorizationResult);
        const error = await rejection(new CredentialProvider({ ...host, clock }).authorize(request()));
        expect(error).to.include({ code: 'sign-failed', phase: 'sign', retryable: false });
      }
    });

    it('should not mark credentials that expired already retryable', async () => {
      const host = fakeHost(() => credentials({ StartTime: undefined, ExpiredTime: T0 }));
      const error = await rejection(new CredentialProvider({ ...host, clock }).authorize(request()));
      expect(error).to.include({ code: 'sign-failed', phase: 'sign', retryable: false });
    });

    it('should not mark an aborted wait retryable', async () => {
      const host = fakeHost(() => new Promise<never>(() => undefined));
      const controller = new AbortController();
      const pending = new CredentialProvider({ ...host, clock }).authorize(request(), { signal: controller.signal });
      controller.abort();
      expect(await rejection(pending)).to.include({ code: 'aborted', retryable: false });
    });

    it('should not cache an unusable answer', async () => {
      const host = fakeHost((_, call) => (call === 1 ? credentials({ TmpSecretKey: undefined }) : credentials()));
      const provider = new CredentialProvider({ ...host, clock });
      const error = await rejection(provider.authorize(request()));
      expect(error.message).to.equal('getAuthorization returned credentials without "TmpSecretKey"');
      expect((await provider.authorize(request())).securityToken).to.equal(TOKEN);
      expect(host.requests).to.have.length(2);
    });
  });

  describe('secrets', () => {
    it('should hold the credentials in no property a caller can reach', async () => {
      const provider = new CredentialProvider({ getAuthorization: () => credentials(), clock });
      await provider.authorize(request());
      expect(Reflect.ownKeys(provider)).to.deep.equal([]);
      expect(String(provider)).to.equal('[object Object]');
    });

    it('should keep secrets out of the error of every failure path', async () => {
      const never = () => new Promise<never>(() => undefined);
      const failing: [string, CredentialProvider, AbortSignal?][] = [
        ['timeout', new CredentialProvider({ getAuthorization: never, clock, timeout: 20 })],
        ['aborted', new CredentialProvider({ getAuthorization: never, clock }), AbortSignal.timeout(20)],
        ['host threw', new CredentialProvider({ getAuthorization: () => Promise.reject(new Error('503')), clock })],
        ...(
          [
            ['expired', credentials({ StartTime: undefined, ExpiredTime: T0 })],
            ['key with white space', credentials({ TmpSecretKey: `${KEY} ` })],
            ['key outside ASCII', credentials({ TmpSecretKey: `${KEY}é` })],
            ['token with a control character', credentials({ SecurityToken: `${TOKEN}\x01` })],
            ['bad times', credentials({ ExpiredTime: KEY })],
            ['malformed signature', `q-sign-algorithm=sha1&q-ak=${ID}&q-signature=${KEY}`],
            ['bad token next to a signature', { Authorization: `${KEY}`, SecurityToken: `${TOKEN} ` }],
          ] as const
        ).map(([name, answer]): [string, CredentialProvider] => [
          name,
          new CredentialProvider({ getAuthorization: () => answer as AuthorizationResult, clock }),
        ]),
      ];
      for (const [name, provider, signal] of failing) {
        const error = await rejection(provider.authorize(request(), signal ? { signal } : {}));
        const texts = [error.message, String(error), JSON.stringify(error)];
        if (name !== 'host threw') texts.push(String(error.cause), String(JSON.stringify(error.cause)));
        for (const secret of [KEY, TOKEN]) for (const text of texts) expect(text, name).not.to.include(secret);
      }
    });

    it('should keep secrets out of a rejected answer', async () => {
      const host = fakeHost(() => credentials({ TmpSecretKey: `${KEY} `, SecurityToken: `${TOKEN} ` }));
      const error = await rejection(new CredentialProvider({ ...host, clock }).authorize(request()));
      const texts = [error.message, JSON.stringify(error), String(error.cause), JSON.stringify(error.cause)];
      for (const secret of [KEY, TOKEN]) for (const text of texts) expect(text).not.to.include(secret);
    });

    it('should write nothing to the console', async () => {
      const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
      const saved = methods.map((m) => console[m]);
      const written: unknown[] = [];
      for (const m of methods) console[m] = (...args: unknown[]) => written.push(args);
      try {
        const provider = new CredentialProvider({ getAuthorization: () => credentials(), clock, timeout: 30 });
        await provider.authorize(request());
        provider.invalidate();
        await provider.authorize(request());
        await rejection(new CredentialProvider({ getAuthorization: () => 'nope', clock }).authorize(request()));
      } finally {
        methods.forEach((m, i) => (console[m] = saved[i]!));
      }
      expect(written).to.deep.equal([]);
    });
  });
});
