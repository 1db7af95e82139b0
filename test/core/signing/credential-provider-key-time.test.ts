import { expect } from 'chai';
import { CredentialProvider } from '../../../src/core/signing/credential-provider.js';
import { SkewCorrectedClock } from '../../../src/core/transport/clock.js';
import {
  credentials,
  expectSignedWith,
  fakeHost,
  ID,
  KEY,
  keyTimeOf,
  rejection,
  request,
  T0,
} from '../../helpers/fake-get-authorization.js';

let nowMs = 0;
let clock: SkewCorrectedClock;

const seconds = () => Math.floor(nowMs / 1000);

describe('CredentialProvider', () => {
  beforeEach(() => {
    nowMs = (T0 + 10) * 1000;
    clock = new SkewCorrectedClock(() => nowMs);
  });

  describe('key time', () => {
    it('should keep the key time inside the credential lifetime', async () => {
      const host = fakeHost(() => credentials({ StartTime: T0, ExpiredTime: T0 + 300 }));
      const signed = await new CredentialProvider({ ...host, clock }).authorize(request());
      expect(keyTimeOf(signed.authorization)).to.deep.equal({ start: T0, end: T0 + 300 });
    });

    it('should start the key time 60 s back and end it after signatureLifetime without StartTime', async () => {
      const host = fakeHost(() => credentials({ StartTime: undefined }));
      const provider = new CredentialProvider({ ...host, clock, signatureLifetime: 600 });
      const signed = await provider.authorize(request());
      expect(keyTimeOf(signed.authorization)).to.deep.equal({ start: seconds() - 60, end: seconds() + 600 });
    });

    it('should reuse one key time for requests signed within half the signature lifetime', async () => {
      const host = fakeHost(() => credentials({ StartTime: undefined }));
      const provider = new CredentialProvider({ ...host, clock, signatureLifetime: 900 });
      const first = await provider.authorize(request('a.mp4'));
      nowMs += 450_000;
      const second = await provider.authorize(request('b.mp4'));
      expect(keyTimeOf(second.authorization)).to.deep.equal(keyTimeOf(first.authorization));
      await expectSignedWith(second.authorization, ID, KEY, request('b.mp4'));
    });

    it('should start a new key time once half the signature lifetime has passed', async () => {
      const host = fakeHost(() => credentials({ StartTime: undefined }));
      const provider = new CredentialProvider({ ...host, clock, signatureLifetime: 900 });
      await provider.authorize(request());
      nowMs += 451_000;
      const later = await provider.authorize(request());
      expect(keyTimeOf(later.authorization)).to.deep.equal({ start: seconds() - 60, end: seconds() + 900 });
    });

    it('should start a new key time after the clock is corrected backwards', async () => {
      const host = fakeHost(() => credentials({ StartTime: undefined }));
      const provider = new CredentialProvider({ ...host, clock });
      await provider.authorize(request());
      clock.observe(nowMs - 120_000);
      const corrected = await provider.authorize(request());
      expect(keyTimeOf(corrected.authorization).start).to.equal(seconds() - 120 - 60);
    });
  });

  describe('server clock', () => {
    it('should correct a clock far behind StartTime', async () => {
      nowMs = (T0 - 600) * 1000;
      const host = fakeHost(() => credentials());
      const signed = await new CredentialProvider({ ...host, clock }).authorize(request());
      expect(clock.offset).to.equal(600_000);
      expect(keyTimeOf(signed.authorization).start).to.equal(T0);
    });

    it('should leave the clock alone when StartTime is within the threshold', async () => {
      nowMs = (T0 - 20) * 1000;
      const host = fakeHost(() => credentials());
      await new CredentialProvider({ ...host, clock }).authorize(request());
      expect(clock.offset).to.equal(0);
    });

    it('should leave the clock alone for credentials a backend cached for a while', async () => {
      nowMs = (T0 + 1200) * 1000;
      const host = fakeHost(() => credentials());
      const signed = await new CredentialProvider({ ...host, clock }).authorize(request());
      expect(clock.offset).to.equal(0);
      expect(keyTimeOf(signed.authorization)).to.deep.equal({ start: T0 + 1140, end: T0 + 1800 });
    });

    it('should correct a clock so far ahead that the credentials look expired', async () => {
      nowMs = (T0 + 86_400) * 1000;
      const host = fakeHost(() => credentials());
      const signed = await new CredentialProvider({ ...host, clock }).authorize(request());
      expect(clock.offset).to.equal(-86_400_000);
      const { start, end } = keyTimeOf(signed.authorization);
      expect(start).to.be.at.least(T0);
      expect(end).to.be.at.most(T0 + 1800);
    });

    it('should reject credentials that expired already when StartTime cannot correct the clock', async () => {
      nowMs = (T0 + 86_400) * 1000;
      const host = fakeHost(() => credentials({ StartTime: undefined }));
      const error = await rejection(new CredentialProvider({ ...host, clock }).authorize(request()));
      expect(error.code).to.equal('sign-failed');
      expect(error.message).to.include('expired 84600 s ago');
    });
  });
});
