import { expect } from 'chai';
import { canonicalize, computeSignature, parseAuthorization } from '../../../src/core/signing/authorization.js';
import { createTranscodeSession } from '../../../src/core/session/transcode-session.js';
import { SkewCorrectedClock } from '../../../src/core/transport/clock.js';
import { FAKE_SECRET_KEY, FakeAuthorizer } from '../../helpers/fake-authorizer.js';
import { rejection } from '../../helpers/expect-error.js';
import { BUCKET, JOB, NOW, REGION, sessionSetup } from './session-setup.js';

const COS_HOST = `${BUCKET}.cos.${REGION}.myqcloud.com`;

describe('TranscodeSession.presignObjectUrl', () => {
  it('should sign a GET of the object through the authorizer, as name/cos:GetObject with only host', async () => {
    const { session, authorizer, transport } = sessionSetup();
    const url = new URL(await session.presignObjectUrl({ key: 'output/a b.mp4' }));
    expect(`${url.origin}${url.pathname}`).to.equal(`https://${COS_HOST}/output/a%20b.mp4`);
    expect(authorizer.calls).to.have.length(1);
    expect(authorizer.calls[0]).to.deep.include({
      method: 'GET',
      host: COS_HOST,
      pathname: '/output/a b.mp4',
      query: {},
      headers: { host: COS_HOST },
      key: 'output/a b.mp4',
      service: 'cos',
      action: 'name/cos:GetObject',
    });
    expect([...url.searchParams.keys()]).to.deep.equal([
      'q-sign-algorithm',
      'q-ak',
      'q-sign-time',
      'q-key-time',
      'q-header-list',
      'q-url-param-list',
      'q-signature',
      'x-cos-security-token',
    ]);
    expect(url.searchParams.get('q-header-list')).to.equal('host');
    expect(url.searchParams.get('q-url-param-list')).to.equal('');
    expect(url.searchParams.get('x-cos-security-token')).to.equal('token-1');
    expect(transport.requests).to.have.length(0);
  });

  it('should carry a signature a verifier recomputes from the URL alone', async () => {
    const { session } = sessionSetup();
    const url = new URL(await session.presignObjectUrl({ key: 'output/clip.mp4' }));
    const fields = [...url.searchParams].filter(([name]) => name.startsWith('q-'));
    const parsed = parseAuthorization(fields.map(([name, value]) => `${name}=${value}`).join('&'))!;
    const canonical = canonicalize({ method: 'GET', pathname: '/output/clip.mp4', headers: { host: url.host } });
    expect(await computeSignature(FAKE_SECRET_KEY, parsed.keyTime, canonical.httpString)).to.equal(parsed.signature);
  });

  it('should leave out a token the signature has not, and sign another bucket on its own host', async () => {
    const clock = new SkewCorrectedClock(() => NOW);
    const authorizer = new FakeAuthorizer({ clock, token: false });
    const session = createTranscodeSession({
      bucket: BUCKET,
      region: REGION,
      authorizer,
      key: 'in.mp4',
      job: JOB,
      storage: false,
    });
    const url = new URL(
      await session.presignObjectUrl({ bucket: 'outbucket-1250000000', region: 'ap-shanghai', key: 'out.mp4' }),
    );
    expect(url.host).to.equal('outbucket-1250000000.cos.ap-shanghai.myqcloud.com');
    expect(url.searchParams.has('x-cos-security-token')).to.equal(false);
    expect(authorizer.calls[0]).to.deep.include({ bucket: 'outbucket-1250000000', region: 'ap-shanghai' });
  });

  it('should sign with the chosen lifetime when the session signs through getAuthorization', async () => {
    const start = Math.floor(Date.now() / 1000);
    const credentials = {
      TmpSecretId: 'AKIDexampleTmpSecretId000000000000',
      TmpSecretKey: 'exampleTmpSecretKey0000000000000',
      SecurityToken: 'session-token',
      StartTime: start,
      ExpiredTime: start + 7200,
    };
    const session = createTranscodeSession({
      bucket: BUCKET,
      region: REGION,
      getAuthorization: () => credentials,
      key: 'in.mp4',
      job: JOB,
      storage: false,
    });
    const url = new URL(await session.presignObjectUrl({ key: 'out.mp4' }, { expiresSeconds: 120 }));
    const [from, to] = url.searchParams.get('q-key-time')!.split(';').map(Number);
    expect(to! - Math.floor(Date.now() / 1000)).to.be.within(110, 121);
    expect(from).to.be.at.most(start);
    expect(url.searchParams.get('x-cos-security-token')).to.equal('session-token');
  });

  it('should refuse a bad key or lifetime with invalid-options', async () => {
    const { session, authorizer } = sessionSetup();
    expect(await rejection(session.presignObjectUrl({ key: '' }))).to.include({ code: 'invalid-options' });
    const error = await rejection(session.presignObjectUrl({ key: 'a.mp4' }, { expiresSeconds: 10 }));
    expect(error).to.include({ code: 'invalid-options' });
    expect(error.message).to.contain('expiresSeconds');
    expect(authorizer.calls).to.have.length(0);
  });
});
