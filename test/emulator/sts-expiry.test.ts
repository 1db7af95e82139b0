// STS keys are forgotten when they expire (the keyring holds only live ones, at most MAX_TEMPORARY_KEYS), yet a
// request signed with a forgotten key is still told ExpiredToken. Time is moved with the clock-offset fault.
import { expect } from 'chai';
import { KeyLimitError, Keyring, MAX_TEMPORARY_KEYS } from '../../src/emulator/auth/keyring.js';
import { parsePolicy } from '../../src/emulator/auth/policy.js';
import { EmulatorClock } from '../../src/emulator/clock.js';
import type { Emulator } from '../../src/emulator/index.js';
import {
  APP_ID,
  BUCKET,
  REGION,
  errorCode,
  seedObject,
  send,
  startTestEmulator,
  temporaryKeys,
  type SigningKeys,
} from '../helpers/emulator.js';
import { NOT_MP4 } from './ci-support.js';

const POLICY = {
  version: '2.0',
  statement: [
    {
      effect: 'allow',
      action: ['name/cos:HeadObject'],
      resource: [`qcs::cos:${REGION}:uid/${APP_ID}:${BUCKET}/input/*`],
    },
  ],
};

interface StsState {
  module?: string;
  issued?: number;
  live?: number;
  maxLive?: number;
}

async function stsState(emulator: Emulator): Promise<StsState> {
  const response = await send(emulator, { service: 'base', method: 'GET', path: '/_emulator/' });
  const state = JSON.parse(response.text) as { modules: StsState[] };
  return state.modules.find((module) => module.module === 'sts') ?? {};
}

describe('emulator: STS keys are forgotten when they expire', () => {
  let emulator: Emulator;
  let offset = 0;

  /** HEAD input/object.mp4 signed with `keys`, with a signature window around the emulator's (offset) clock. */
  const head = (keys: SigningKeys) => {
    const now = Math.floor(Date.now() / 1000) + offset;
    return send(emulator, {
      service: 'cos',
      method: 'HEAD',
      path: '/input/object.mp4',
      keys,
      keyTime: { start: now - 1, end: now + 600 },
    });
  };
  /** The error code of a HEAD, which has no body: GET the same key instead. */
  const getCode = async (keys: SigningKeys) => {
    const now = Math.floor(Date.now() / 1000) + offset;
    const response = await send(emulator, {
      service: 'cos',
      method: 'GET',
      path: '/input/object.mp4',
      keys,
      keyTime: { start: now - 1, end: now + 600 },
    });
    return { status: response.status, code: errorCode(response) };
  };

  before(async () => {
    emulator = await startTestEmulator();
    await seedObject(emulator, 'input/object.mp4', NOT_MP4);
  });

  after(async () => {
    await emulator.close();
  });

  it('should drop an expired key from the count, refuse it as expired, and keep the live one', async () => {
    const short = await temporaryKeys(emulator, POLICY, 60);
    const long = await temporaryKeys(emulator, POLICY, 7200);
    expect((await head(short)).status).to.equal(200);
    expect(await stsState(emulator)).to.include({ issued: 2, live: 2, maxLive: MAX_TEMPORARY_KEYS });

    offset = 120;
    emulator.faults.update({ clockOffsetSeconds: offset });
    expect(await stsState(emulator)).to.include({ issued: 2, live: 1 });
    expect(await getCode(short)).to.deep.equal({ status: 400, code: 'ExpiredToken' });
    expect((await head(long)).status).to.equal(200);

    // A forgotten key with a token that is not its own is unknown, not expired.
    expect((await getCode({ ...short, token: long.token! })).code).to.equal('InvalidAccessKeyId');
    expect((await getCode({ ...short, token: `${short.token!.slice(0, -4)}AAAA` })).code).to.equal(
      'InvalidAccessKeyId',
    );

    offset = 7300;
    emulator.faults.update({ clockOffsetSeconds: offset });
    expect(await stsState(emulator)).to.include({ live: 0 });
    expect(await getCode(long)).to.deep.equal({ status: 400, code: 'ExpiredToken' });
    // A clock moved back does not revive a forgotten key: it stays expired.
    offset = 0;
    emulator.faults.update({ clockOffsetSeconds: 0 });
    expect((await getCode(short)).code).to.equal('InvalidAccessKeyId');
  });
});

describe('emulator keyring: a cap on live temporary keys', () => {
  it(`should refuse beyond ${MAX_TEMPORARY_KEYS} live keys, and issue again once some expire`, () => {
    let now = Date.UTC(2026, 0, 1);
    const clock = new EmulatorClock(() => now);
    const keyring = new Keyring(clock, { secretId: 'AKIDpermanent', secretKey: 'secret' });
    const policy = parsePolicy(JSON.stringify(POLICY));
    for (let index = 0; index < MAX_TEMPORARY_KEYS / 2; index += 1) keyring.issue(policy, 60);
    for (let index = 0; index < MAX_TEMPORARY_KEYS / 2; index += 1) keyring.issue(policy, 3600);
    expect(keyring.temporaryCount()).to.equal(MAX_TEMPORARY_KEYS);
    expect(() => keyring.issue(policy, 60)).to.throw(KeyLimitError);
    now += 61_000;
    expect(keyring.temporaryCount()).to.equal(MAX_TEMPORARY_KEYS / 2);
    expect(keyring.issue(policy, 60).tmpSecretId).to.match(/^AKID/);
    expect(keyring.find('AKIDpermanent')?.principal.kind).to.equal('permanent');
  });
});
