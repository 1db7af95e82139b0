import { expect } from 'chai';
import { CredentialProvider } from '../../../src/core/signing/credential-provider.js';
import type { AuthorizationResult } from '../../../src/core/signing/credentials.js';
import type { SignedAuthorization } from '../../../src/core/signing/types.js';
import { SkewCorrectedClock } from '../../../src/core/transport/clock.js';
import {
  countKeyDerivations,
  credentials,
  deferred,
  expectSignedWith,
  fakeHost,
  ID,
  ID2,
  KEY,
  KEY2,
  keyTimeOf,
  request,
  serverSign,
  T0,
  TOKEN,
} from '../../helpers/fake-get-authorization.js';

let nowMs = 0;
let clock: SkewCorrectedClock;

const TOKEN2 = 'sessionTokenExampleSecondMustNeverLeak';
const newer = () => credentials({ TmpSecretId: ID2, TmpSecretKey: KEY2, SecurityToken: TOKEN2 });

describe('CredentialProvider', () => {
  beforeEach(() => {
    nowMs = (T0 + 10) * 1000;
    clock = new SkewCorrectedClock(() => nowMs);
  });

  describe('clock', () => {
    it('should expose the clock it was given', () => {
      const provider = new CredentialProvider({ getAuthorization: () => credentials(), clock });
      expect(provider.clock).to.equal(clock);
    });

    it('should expose its default clock, the one it signs with', async () => {
      const now = Math.floor(Date.now() / 1000);
      const host = fakeHost(() => credentials({ StartTime: undefined, ExpiredTime: now + 7200 }));
      const provider = new CredentialProvider(host);
      provider.clock.observe((now + 3600) * 1000);
      const { start } = keyTimeOf((await provider.authorize(request())).authorization);
      expect(start).to.be.within(now + 3600 - 61, now + 3600 - 59);
    });
  });

  describe('invalidate(rejected)', () => {
    it('should ask the host once when concurrent requests are all rejected with the same signature', async () => {
      const refreshed = deferred<AuthorizationResult>();
      const host = fakeHost((_, call) => (call === 1 ? credentials() : refreshed.promise));
      const provider = new CredentialProvider({ ...host, clock });
      const keys = Array.from({ length: 5 }, (_, i) => `part-${i}.mp4`);
      const rejected = await Promise.all(keys.map((key) => provider.authorize(request(key))));

      // Each failure arrives on its own and is retried at once, as the transport does it.
      const retried = keys.map((key, i) => {
        provider.invalidate(rejected[i]);
        return provider.authorize(request(key));
      });
      refreshed.resolve(newer());
      const signed = await Promise.all(retried);

      expect(host.requests).to.have.length(2);
      await Promise.all(signed.map((s, i) => expectSignedWith(s.authorization, ID2, KEY2, request(keys[i]))));
    });

    it('should keep newer credentials when a request signed with older ones is rejected late', async () => {
      const host = fakeHost((_, call) => (call === 1 ? credentials() : newer()));
      const provider = new CredentialProvider({ ...host, clock });
      const old = await provider.authorize(request());
      provider.invalidate(old);
      await provider.authorize(request());
      provider.invalidate(old);
      const signed = await provider.authorize(request());
      expect(host.requests).to.have.length(2);
      await expectSignedWith(signed.authorization, ID2, KEY2);
    });

    it('should keep a refresh in flight when a signature of the credentials it replaces is rejected', async () => {
      const refreshed = deferred<AuthorizationResult>();
      const host = fakeHost((_, call) => (call === 1 ? credentials() : refreshed.promise));
      const provider = new CredentialProvider({ ...host, clock, refreshAhead: 60 });
      const old = await provider.authorize(request());
      nowMs = (T0 + 1800 - 60) * 1000;
      const refreshing = provider.authorize(request());
      provider.invalidate(old);
      refreshed.resolve(credentials({ TmpSecretId: ID2, TmpSecretKey: KEY2, ExpiredTime: T0 + 3600 }));
      await refreshing;
      const signed = await provider.authorize(request());
      expect(host.requests).to.have.length(2);
      await expectSignedWith(signed.authorization, ID2, KEY2);
    });

    it('should drop the cached credentials that made the rejected signature', async () => {
      const host = fakeHost((_, call) => (call === 1 ? credentials() : newer()));
      const provider = new CredentialProvider({ ...host, clock });
      provider.invalidate(await provider.authorize(request()));
      await expectSignedWith((await provider.authorize(request())).authorization, ID2, KEY2);
      expect(host.requests).to.have.length(2);
    });

    it('should drop the cached credentials whose session token came with the rejected signature', async () => {
      const host = fakeHost((_, call) => (call === 1 ? credentials() : newer()));
      const provider = new CredentialProvider({ ...host, clock });
      await provider.authorize(request());
      provider.invalidate({ authorization: await serverSign(request()), securityToken: TOKEN });
      await provider.authorize(request());
      expect(host.requests).to.have.length(2);
    });

    it('should keep cached credentials when the rejected signature was made with other keys', async () => {
      const host = fakeHost(() => credentials());
      const provider = new CredentialProvider({ ...host, clock });
      await provider.authorize(request());
      provider.invalidate({ authorization: await serverSign(request()) });
      provider.invalidate({ authorization: 'not an Authorization value' });
      await provider.authorize(request());
      expect(host.requests).to.have.length(1);
    });

    it('should still drop everything, a fetch in flight included, without a rejected signature', async () => {
      const answer = deferred<AuthorizationResult>();
      const host = fakeHost((_, call) => (call === 1 ? answer.promise : newer()));
      const provider = new CredentialProvider({ ...host, clock });
      const first = provider.authorize(request());
      provider.invalidate();
      const second = provider.authorize(request());
      answer.resolve(credentials());
      await first;
      await expectSignedWith((await second).authorization, ID2, KEY2);
      expect(host.requests).to.have.length(2);
    });
  });

  describe('SignKey', () => {
    it('should derive the SignKey once for requests that share a key time', async () => {
      const provider = new CredentialProvider({ getAuthorization: () => credentials(), clock });
      const keys = ['a.mp4', 'b.mp4', 'c.mp4', 'd.mp4'];
      const derivations = await countKeyDerivations(KEY, async () => {
        await Promise.all(keys.map((key) => provider.authorize(request(key))));
        await provider.authorize(request('e.mp4'));
      });
      expect(derivations).to.equal(1);
    });

    it('should derive the SignKey again after invalidate, even for the same credentials and key time', async () => {
      const provider = new CredentialProvider({ getAuthorization: () => credentials(), clock });
      const signed: SignedAuthorization[] = [];
      const derivations = await countKeyDerivations(KEY, async () => {
        signed.push(await provider.authorize(request()));
        provider.invalidate(signed[0]);
        signed.push(await provider.authorize(request()));
      });
      expect(derivations).to.equal(2);
      expect(keyTimeOf(signed[1]!.authorization)).to.deep.equal(keyTimeOf(signed[0]!.authorization));
    });

    it('should share no SignKey between providers', async () => {
      const derivations = await countKeyDerivations(KEY, async () => {
        for (let i = 0; i < 2; i += 1) {
          await new CredentialProvider({ getAuthorization: () => credentials(), clock }).authorize(request());
        }
      });
      expect(derivations).to.equal(2);
    });

    it('should derive a new SignKey when the credentials change', async () => {
      const host = fakeHost((_, call) => (call === 1 ? credentials() : newer()));
      const provider = new CredentialProvider({ ...host, clock });
      const first = await provider.authorize(request());
      provider.invalidate(first);
      const second = await provider.authorize(request());
      await expectSignedWith(first.authorization, ID, KEY);
      await expectSignedWith(second.authorization, ID2, KEY2);
    });
  });
});
