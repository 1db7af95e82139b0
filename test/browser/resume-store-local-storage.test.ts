import { expect } from 'chai';
import {
  LocalStorageResumeStore,
  defaultResumeStore,
  resumeRecordId,
  type ResumeRecord,
} from '../../src/core/upload/resume-store.js';

const MiB = 1024 * 1024;

const record = (overrides: Partial<ResumeRecord> = {}): ResumeRecord => ({
  version: 1,
  fingerprint: '1:10485760:123:456:789',
  bucket: 'examplebucket-1250000000',
  region: 'ap-guangzhou',
  key: 'videos/movie.mp4',
  uploadId: 'upload-1',
  partSize: 5 * MiB,
  size: 10 * MiB,
  createdAt: 1_700_000_000_000,
  ...overrides,
});

/** The real localStorage's keys starting with `prefix`. */
function keysUnder(prefix: string): string[] {
  const keys: string[] = [];
  for (let i = 0; i < localStorage.length; i += 1) {
    const key = localStorage.key(i);
    if (key?.startsWith(prefix)) keys.push(key);
  }
  return keys.sort();
}

// Other test files may share this origin's localStorage, so each test works under a prefix of its own.
describe('LocalStorageResumeStore on the real localStorage', () => {
  let prefix: string;

  beforeEach(() => {
    prefix = `test-resume-${Math.random().toString(36).slice(2)}:`;
  });

  afterEach(() => {
    for (const key of keysUnder(prefix)) localStorage.removeItem(key);
  });

  it('should use globalThis.localStorage by default', () => {
    const store = new LocalStorageResumeStore({ prefix });
    store.set('id', record());
    expect(JSON.parse(localStorage.getItem(`${prefix}id`)!)).to.deep.equal(record());
  });

  it('should read back a record written by another instance, as after a reload', () => {
    new LocalStorageResumeStore({ prefix }).set('id', record());
    expect(new LocalStorageResumeStore({ prefix }).get('id')).to.deep.equal(record());
  });

  it('should forget a record on delete', () => {
    const store = new LocalStorageResumeStore({ prefix });
    store.set('id', record());
    store.delete('id');
    expect(localStorage.getItem(`${prefix}id`)).to.equal(null);
  });

  it('should drop and remove a tampered record', () => {
    localStorage.setItem(`${prefix}id`, JSON.stringify({ ...record(), partSize: 1, uploadId: 'a b' }));
    expect(new LocalStorageResumeStore({ prefix }).get('id')).to.equal(undefined);
    expect(localStorage.getItem(`${prefix}id`)).to.equal(null);
  });

  it('should drop and remove a corrupt record', () => {
    localStorage.setItem(`${prefix}id`, '{"version":1,');
    expect(new LocalStorageResumeStore({ prefix }).get('id')).to.equal(undefined);
    expect(localStorage.getItem(`${prefix}id`)).to.equal(null);
  });

  it('should evict the oldest records beyond maxRecords', () => {
    const store = new LocalStorageResumeStore({ prefix, maxRecords: 2 });
    store.set('b', record({ createdAt: 2 }));
    store.set('a', record({ createdAt: 1 }));
    store.set('c', record({ createdAt: 3 }));
    expect(keysUnder(prefix)).to.deep.equal([`${prefix}b`, `${prefix}c`]);
  });

  it('should leave keys outside its prefix alone', () => {
    const foreign = `${prefix.slice(0, -1)}-host-setting`;
    localStorage.setItem(foreign, 'keep');
    try {
      const store = new LocalStorageResumeStore({ prefix, maxRecords: 1 });
      store.set('a', record({ createdAt: 1 }));
      store.set('b', record({ createdAt: 2 }));
      store.delete('b');
      expect(localStorage.getItem(foreign)).to.equal('keep');
    } finally {
      localStorage.removeItem(foreign);
    }
  });
});

describe('defaultResumeStore in Chromium', () => {
  it('should keep records in localStorage under the default prefix', () => {
    const id = resumeRecordId({ bucket: 'b-1', region: 'r', key: `k-${Math.random()}`, fingerprint: 'f' });
    const store = defaultResumeStore();
    expect(store).to.be.instanceOf(LocalStorageResumeStore);
    try {
      store.set(id, record());
      expect(JSON.parse(localStorage.getItem(`cos-transcoder:upload:${id}`)!)).to.deep.equal(record());
    } finally {
      store.delete(id);
    }
    expect(localStorage.getItem(`cos-transcoder:upload:${id}`)).to.equal(null);
  });
});
