import { expect } from 'chai';
import { LocalStorageResumeStore, MemoryResumeStore } from '../../../src/core/upload/resume-store.js';
import { uploadLockName } from '../../../src/core/upload/upload-lock.js';
import { MapStorage } from '../../helpers/map-storage.js';

describe('uploadLockName', () => {
  it('should name the same lock for stores of the same localStorage prefix, as two tabs make them', () => {
    const one = new LocalStorageResumeStore({ storage: new MapStorage() });
    const two = new LocalStorageResumeStore({ storage: new MapStorage() });
    expect(uploadLockName(one, 'abc')).to.equal(uploadLockName(two, 'abc'));
    expect(uploadLockName(one, 'abc')).to.equal('upload:storage:cos-transcoder:upload::abc');
    expect(uploadLockName(one, 'abc')).to.not.equal(uploadLockName(one, 'abd'));
    const other = new LocalStorageResumeStore({ storage: new MapStorage(), prefix: 'app:' });
    expect(uploadLockName(other, 'abc')).to.not.equal(uploadLockName(one, 'abc'));
  });

  it('should name one lock per store object for stores without a lockScope', () => {
    const memory = new MemoryResumeStore();
    expect(uploadLockName(memory, 'abc')).to.equal(uploadLockName(memory, 'abc'));
    expect(uploadLockName(memory, 'abc')).to.not.equal(uploadLockName(new MemoryResumeStore(), 'abc'));
    const custom = { get: () => undefined, set: () => undefined, delete: () => undefined, lockScope: 'idb:uploads' };
    expect(uploadLockName(custom, 'abc')).to.equal('upload:idb:uploads:abc');
  });
});
