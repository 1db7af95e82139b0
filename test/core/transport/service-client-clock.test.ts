import { expect } from 'chai';
import { parseAuthorization } from '../../../src/core/signing/authorization.js';
import { CredentialProvider } from '../../../src/core/signing/credential-provider.js';
import { SkewCorrectedClock } from '../../../src/core/transport/clock.js';
import { ServiceClient } from '../../../src/core/transport/service-client.js';
import { thrown } from '../../helpers/expect-error.js';
import { FakeAuthorizer } from '../../helpers/fake-authorizer.js';
import { FakeTransport } from '../../helpers/fake-transport.js';
import { BUCKET, NOW, REGION, put, setup } from '../../helpers/service-client-setup.js';

const skewed = (serverTime: number) => ({
  status: 403,
  headers: { Date: new Date(serverTime).toUTCString() },
  body: '<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the ' +
    'server time is too large.</Message></Error>',
});

/** `q-sign-time` as whole Unix seconds. */
function signTime(authorization: string | undefined): { start: number; end: number } {
  const [start, end] = parseAuthorization(authorization ?? '')!.signTime.split(';').map(Number);
  return { start: start!, end: end! };
}

describe('ServiceClient', () => {
  describe('clock', () => {
    const base = { transport: new FakeTransport(), bucket: BUCKET, region: REGION };

    it("should use the authorizer's clock when given none", () => {
      const clock = new SkewCorrectedClock(() => NOW);
      const client = new ServiceClient({ ...base, authorizer: new FakeAuthorizer({ clock }) });
      expect(client.clock).to.equal(clock);
    });

    it("should accept the authorizer's own clock given again", () => {
      const clock = new SkewCorrectedClock(() => NOW);
      const client = new ServiceClient({ ...base, authorizer: new FakeAuthorizer({ clock }), clock });
      expect(client.clock).to.equal(clock);
    });

    it("should reject a clock other than the authorizer's with invalid-options", () => {
      const authorizer = new FakeAuthorizer({ clock: new SkewCorrectedClock(() => NOW) });
      const error = thrown(() => new ServiceClient({ ...base, authorizer, clock: new SkewCorrectedClock(() => NOW) }));
      expect(error).to.include({ code: 'invalid-options', phase: 'options' });
      expect(error.message).to.include('authorizer.clock');
    });

    it('should use the given clock, or make one, for an authorizer without a clock', () => {
      const clock = new SkewCorrectedClock(() => NOW);
      const authorizer = new FakeAuthorizer({ clock, shareClock: false });
      expect(new ServiceClient({ ...base, authorizer, clock }).clock).to.equal(clock);
      const own = new ServiceClient({ ...base, authorizer }).clock;
      expect(own).to.be.instanceOf(SkewCorrectedClock).and.not.equal(clock);
    });

    it("should correct the authorizer's clock, so that the retry is signed with the server's time", async () => {
      const { client, transport, authorizer } = setup({ retry: { delays: [] } });
      const done = client.request({ ...put, key: 'a', body: 'x' });
      (await transport.nextRequest()).respondWith(skewed(NOW + 600_000));
      const retry = await transport.nextRequest();
      expect(authorizer.clock!.offset).to.equal(600_000);
      expect(signTime(retry.headers.authorization).start).to.equal(Math.floor((NOW + 600_000) / 1000));
      retry.respondWith({ status: 200 });
      expect((await done).attempts).to.equal(2);
    });

    it('should re-sign through a real CredentialProvider with a window around the server time', async () => {
      const clock = new SkewCorrectedClock(() => NOW);
      const issued = Math.floor(NOW / 1000) - 10;
      const authorizer = new CredentialProvider({
        getAuthorization: async () => ({
          TmpSecretId: 'AKIDfakeTmpSecretId0000000000000000',
          TmpSecretKey: 'fakeTmpSecretKey000000000000000',
          SecurityToken: 'fake-session-token',
          StartTime: issued,
          ExpiredTime: issued + 1800,
        }),
        clock,
        // Shorter than the skew, so that a window signed with the uncorrected clock cannot reach the server time.
        signatureLifetime: 300,
      });
      const transport = new FakeTransport();
      const noRetry = { delays: [] };
      const client = new ServiceClient({ transport, authorizer, bucket: BUCKET, region: REGION, retry: noRetry });
      const serverTime = Math.floor((NOW + 600_000) / 1000);

      const done = client.request({ ...put, key: 'a', body: 'x' });
      const first = await transport.nextRequest();
      const before = signTime(first.headers.authorization);
      expect(serverTime).to.be.above(before.end);
      first.respondWith(skewed(NOW + 600_000));
      const retry = await transport.nextRequest();
      const after = signTime(retry.headers.authorization);
      expect(after.start).to.be.at.most(serverTime);
      expect(after.end).to.be.at.least(serverTime);
      expect(retry.headers['x-cos-security-token']).to.equal('fake-session-token');
      retry.respondWith({ status: 200 });
      expect((await done).attempts).to.equal(2);
    });
  });
});
