import { expect } from 'chai';
import { LocalStorageResumeStore, MemoryResumeStore } from '../../../src/core/upload/resume-store.js';
import { uploadLockName } from '../../../src/core/upload/upload-lock.js';
import { MapStorage } from '../../helpers/map-storage.js';

describe('uploadLockName', () => {
  it("should name the same lock for stores over the page's localStorage and one prefix, as two tabs make them", () => {
    // Node has no localStorage: a stand-in is the page's for the length of the test (Chromium has the real one).
    const stand = 'localStorage' in globalThis ? undefined : new MapStorage();
    if (stand) Object.defineProperty(globalThis, 'localStorage', { value: stand, configurable: true });
    try {
      const one = new LocalStorageResumeStore();
      const two = new LocalStorageResumeStore({ storage: globalThis.localStorage });
      expect(uploadLockName(one, 'abc')).to.equal(uploadLockName(two, 'abc'));
      expect(uploadLockName(one, 'abc')).to.equal('upload:storage:cos-transcoder:upload::abc');
      expect(uploadLockName(one, 'abc')).to.not.equal(uploadLockName(one, 'abd'));
      const other = new LocalStorageResumeStore({ prefix: 'app:' });
      expect(uploadLockName(other, 'abc')).to.not.equal(uploadLockName(one, 'abc'));
    } finally {
      if (stand) delete (globalThis as { localStorage?: Storage }).localStorage;
    }
  });

  it('should name one lock per store over another Storage (sessionStorage, a test double), unique to this page', () => {
    const one = new LocalStorageResumeStore({ storage: new MapStorage() });
    const two = new LocalStorageResumeStore({ storage: new MapStorage() });
    expect(uploadLockName(one, 'abc')).to.equal(uploadLockName(one, 'abc'));
    expect(uploadLockName(one, 'abc')).to.not.equal(uploadLockName(two, 'abc'));
    // Web Locks are shared by every page of the origin: another page's first store must not get the same name.
    expect(uploadLockName(one, 'abc')).to.match(/^upload:store-[a-z0-9]+-\d+:abc$/);
  });

  it('should name one lock per store object for stores without a lockScope', () => {
    const memory = new MemoryResumeStore();
    expect(uploadLockName(memory, 'abc')).to.equal(uploadLockName(memory, 'abc'));
    expect(uploadLockName(memory, 'abc')).to.not.equal(uploadLockName(new MemoryResumeStore(), 'abc'));
    const custom = { get: () => undefined, set: () => undefined, delete: () => undefined, lockScope: 'idb:uploads' };
    expect(uploadLockName(custom, 'abc')).to.equal('upload:idb:uploads:abc');
  });
});
