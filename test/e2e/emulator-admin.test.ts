// The emulator's admin endpoint as a hostile page sees it: a page on the test server's origin (another port of
// localhost, so another origin of the same site) can neither read the admin's state nor change its faults. What
// the emulator holds is checked through the test server's own proxy (/__emulator/, test/helpers/
// emulator-admin-proxy.ts), which reaches the admin from Node with its token.
import { expect } from 'chai';
import { acquireFaultsLock } from './upload-support.js';

interface AdminState {
  endpoints: { admin: string };
  faults: { config: unknown; stats: Record<string, number> };
}

async function throughProxy<T>(path: string): Promise<T> {
  const response = await fetch(`/__emulator/${path}`);
  expect(response.status).to.equal(200);
  return (await response.json()) as T;
}

/** How a page's fetch ends: `failed` (a network error, as a refused CORS request is) or its status. */
async function attempt(url: string, init: RequestInit = {}): Promise<string> {
  try {
    const response = await fetch(url, init);
    return response.type === 'opaque' ? 'opaque' : String(response.status);
  } catch (error) {
    return error instanceof TypeError ? 'failed' : String(error);
  }
}

describe('emulator admin endpoint from a page of another origin', function () {
  let admin: string;
  let release: () => void;

  before(async () => {
    admin = (await throughProxy<AdminState>('')).endpoints.admin;
    expect(new URL(admin).origin).to.not.equal(location.origin);
  });
  beforeEach(async () => {
    release = await acquireFaultsLock();
  });
  afterEach(() => release());

  it('should not let the page read its state or its faults', async () => {
    expect(await attempt(admin)).to.equal('failed');
    expect(await attempt(new URL('faults', admin).href)).to.equal('failed');
    expect(await attempt(new URL('health', admin).href)).to.equal('failed');
  });

  it('should not let the page change the faults, with or without a preflight', async () => {
    const before = (await throughProxy<AdminState['faults']>('faults')).config;
    const body = JSON.stringify({ rules: [{ errorRate: 1, keyPrefix: 'emulator-admin/' }] });
    const faults = new URL('faults', admin).href;
    const json = { 'content-type': 'application/json' };
    expect(await attempt(faults, { method: 'PUT', headers: json, body })).to.equal('failed');
    expect(await attempt(faults, { method: 'DELETE' })).to.equal('failed');
    const guessed = { ...json, 'x-emulator-admin-token': '0'.repeat(32) };
    expect(await attempt(faults, { method: 'PUT', headers: guessed, body })).to.equal('failed');
    // A "simple" request needs no preflight: it reaches the server, which must refuse it on its own.
    expect(await attempt(faults, { method: 'POST', mode: 'no-cors', body })).to.equal('opaque');
    expect(await attempt(faults, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body }))
      .to.equal('opaque');
    expect((await throughProxy<AdminState['faults']>('faults')).config).to.deep.equal(before);
  });
});
