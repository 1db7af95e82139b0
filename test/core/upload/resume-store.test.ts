import { expect } from 'chai';
import {
  DEFAULT_RESUME_TTL_MS,
  LocalStorageResumeStore,
  MemoryResumeStore,
  ResumeRecordSchema,
  defaultResumeStore,
  resumeRecordId,
  type ResumeRecord,
} from '../../../src/core/upload/resume-store.js';
import { MapStorage, withLocalStorage } from '../../helpers/map-storage.js';

const MiB = 1024 * 1024;
const PREFIX = 'cos-transcoder:upload:';

const record = (overrides: Partial<ResumeRecord> = {}): ResumeRecord => ({
  version: 1,
  fingerprint: '1:10485760:123:456:789',
  bucket: 'examplebucket-1250000000',
  region: 'ap-guangzhou',
  key: 'videos/movie.mp4',
  uploadId: '1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361',
  partSize: 5 * MiB,
  size: 10 * MiB,
  createdAt: 1_700_000_000_000,
  ...overrides,
});

describe('ResumeRecordSchema', () => {
  it('should accept a complete record', () => {
    expect(ResumeRecordSchema.safeParse(record()).success).to.equal(true);
  });

  it('should reject hostile or out-of-range fields', () => {
    const bad: Array<Record<string, unknown>> = [
      { version: 2 }, { fingerprint: '' }, { bucket: 'evil.example.com/' }, { region: 'ap guangzhou' }, { key: '' },
      { key: 'k'.repeat(1025) }, { uploadId: '' }, { uploadId: 'a b' }, { uploadId: 'id\n' },
      { uploadId: 'x'.repeat(1025) }, { partSize: MiB - 1 }, { partSize: 5 * MiB + 0.5 },
      { partSize: 5 * 1024 * MiB + 1 }, { size: -1 }, { size: 1.5 }, { size: Number.MAX_SAFE_INTEGER + 2 },
      { createdAt: Infinity }, { createdAt: Number.NaN }, { createdAt: '2024-01-01' },
      { size: 10_001 * MiB, partSize: MiB }, { secretKey: 'leak' },
    ];
    for (const fields of bad) {
      expect(ResumeRecordSchema.safeParse({ ...record(), ...fields }).success, JSON.stringify(fields)).to.equal(false);
    }
  });

  it('should reject a record missing a field', () => {
    const { uploadId: _uploadId, ...rest } = record();
    expect(ResumeRecordSchema.safeParse(rest).success).to.equal(false);
  });
});

describe('DEFAULT_RESUME_TTL_MS', () => {
  it('should be seven days', () => {
    expect(DEFAULT_RESUME_TTL_MS).to.equal(604_800_000);
  });
});

describe('resumeRecordId', () => {
  const target = { bucket: 'examplebucket-1250000000', region: 'ap-guangzhou', key: 'a.mp4', fingerprint: 'fp' };

  it('should be 16 hex digits and stable', () => {
    const id = resumeRecordId(target);
    expect(id).to.match(/^[0-9a-f]{16}$/);
    expect(resumeRecordId({ ...target })).to.equal(id);
  });

  it('should differ when any one field differs', () => {
    const ids = [
      target,
      { ...target, bucket: 'otherbucket-1250000000' },
      { ...target, region: 'ap-beijing' },
      { ...target, key: 'b.mp4' },
      { ...target, fingerprint: 'fq' },
    ].map(resumeRecordId);
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('should keep fields apart when they contain separators', () => {
    const ids = [
      { bucket: 'b', region: 'r', key: 'a|b', fingerprint: 'f' },
      { bucket: 'b', region: 'r', key: 'a', fingerprint: 'b|f' },
      { bucket: 'b', region: 'r', key: 'a","b', fingerprint: 'f' },
      { bucket: 'b', region: 'r', key: 'a', fingerprint: 'b","f' },
      { bucket: 'b', region: 'r|a', key: '', fingerprint: 'f' },
      { bucket: 'b|r', region: '', key: 'a', fingerprint: 'f' },
    ].map(resumeRecordId);
    expect(new Set(ids).size).to.equal(ids.length);
  });
});

describe('MemoryResumeStore', () => {
  it('should round-trip a record and forget it on delete', () => {
    const store = new MemoryResumeStore();
    store.set('id', record());
    expect(store.get('id')).to.deep.equal(record());
    store.delete('id');
    expect(store.get('id')).to.equal(undefined);
  });

  it('should store only the record fields, as a copy', () => {
    const store = new MemoryResumeStore();
    const original = { ...record(), secretKey: 'leak' } as ResumeRecord;
    store.set('id', original);
    original.uploadId = 'changed';
    expect(store.get('id')).to.deep.equal(record());
  });

  it('should not keep an invalid record, nor the one it replaces', () => {
    const store = new MemoryResumeStore();
    store.set('id', record());
    store.set('id', record({ partSize: 1 }));
    expect(store.get('id')).to.equal(undefined);
  });
});

describe('LocalStorageResumeStore', () => {
  it('should round-trip a record under the prefixed key', () => {
    const storage = new MapStorage();
    const store = new LocalStorageResumeStore({ storage });
    store.set('id', record());
    expect(JSON.parse(storage.items.get(`${PREFIX}id`)!)).to.deep.equal(record());
    expect(store.get('id')).to.deep.equal(record());
  });

  it('should forget a record on delete', () => {
    const storage = new MapStorage();
    const store = new LocalStorageResumeStore({ storage });
    store.set('id', record());
    store.delete('id');
    expect(store.get('id')).to.equal(undefined);
    expect(storage.items.size).to.equal(0);
  });

  it('should write exactly the record fields, never extras such as credentials', () => {
    const storage = new MapStorage();
    const store = new LocalStorageResumeStore({ storage });
    store.set('id', { ...record(), tmpSecretKey: 'secret', sessionToken: 'token' } as ResumeRecord);
    const text = storage.items.get(`${PREFIX}id`)!;
    expect(Object.keys(JSON.parse(text)).sort()).to.deep.equal(Object.keys(record()).sort());
    expect(text).not.to.match(/secret|token/);
  });

  it('should not write an invalid record and remove the one it replaces', () => {
    const storage = new MapStorage();
    const store = new LocalStorageResumeStore({ storage });
    store.set('id', record());
    store.set('id', record({ uploadId: 'bad id' }));
    expect(storage.items.has(`${PREFIX}id`)).to.equal(false);
  });

  it('should drop and remove corrupt or tampered records', () => {
    const stored = JSON.stringify(record());
    const cases = [
      '{not json', '', 'null', '42', '[]',
      JSON.stringify({ ...record(), version: 2 }),
      JSON.stringify({ ...record(), partSize: 'x' }),
      JSON.stringify({ ...record(), uploadId: 'a\u0000b' }),
      JSON.stringify({ ...record(), size: -5 }),
      JSON.stringify({ ...record(), secretKey: 'leak' }),
      stored.replace('{', '{"__proto__":{"polluted":true},'),
      stored.replace('"version":1', '"version":1,"constructor":{"prototype":{}}'),
    ];
    for (const text of cases) {
      const storage = new MapStorage();
      storage.items.set(`${PREFIX}id`, text);
      const store = new LocalStorageResumeStore({ storage });
      expect(store.get('id'), text).to.equal(undefined);
      expect(storage.items.has(`${PREFIX}id`), text).to.equal(false);
    }
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  });

  it('should answer undefined for a missing record without writing anything', () => {
    const storage = new MapStorage();
    expect(new LocalStorageResumeStore({ storage }).get('missing')).to.equal(undefined);
    expect(storage.calls).to.deep.equal(['getItem']);
  });

  it('should never throw when every storage call throws', () => {
    const storage = new MapStorage();
    storage.items.set(`${PREFIX}id`, JSON.stringify(record()));
    storage.failure = () => new DOMException('The operation is insecure.', 'SecurityError');
    const store = new LocalStorageResumeStore({ storage });
    expect(store.get('id')).to.equal(undefined);
    expect(() => store.set('id', record())).not.to.throw();
    expect(() => store.delete('id')).not.to.throw();
    expect(storage.calls).to.include.members(['getItem', 'setItem', 'removeItem']);
  });

  it('should never throw when storage throws non-Error values', () => {
    const storage = new MapStorage();
    storage.failure = () => {
      throw 'nope';
    };
    const store = new LocalStorageResumeStore({ storage });
    expect(() => store.set('id', record())).not.to.throw();
    expect(store.get('id')).to.equal(undefined);
  });

  it('should evict its oldest records on a quota error and retry the write once', () => {
    const storage = new MapStorage();
    const store = new LocalStorageResumeStore({ storage });
    for (let i = 0; i < 4; i += 1) store.set(`r${i}`, record({ createdAt: 1000 + i }));
    const size = storage.items.get(`${PREFIX}r0`)!.length + `${PREFIX}r0`.length;
    storage.quota = size * 4;
    storage.calls.length = 0;
    store.set('new', record({ createdAt: 5000 }));
    expect(storage.calls.filter((call) => call === 'setItem')).to.have.length(2);
    expect([...storage.items.keys()].sort()).to.deep.equal([`${PREFIX}new`, `${PREFIX}r2`, `${PREFIX}r3`]);
    expect(store.get('new')).to.deep.equal(record({ createdAt: 5000 }));
  });

  it('should give up quietly when the retry also exceeds the quota, leaving no stale record', () => {
    const storage = new MapStorage();
    const store = new LocalStorageResumeStore({ storage });
    store.set('id', record({ uploadId: 'old' }));
    store.set('other', record());
    storage.items.set('host-data', 'x'.repeat(10_000));
    storage.quota = 10_000;
    expect(() => store.set('id', record({ uploadId: 'new' }))).not.to.throw();
    expect(storage.calls.filter((call) => call === 'setItem')).to.have.length(4);
    expect(store.get('id')).to.equal(undefined);
    expect(storage.items.get('host-data')).to.have.length(10_000);
  });

  it('should not retry a write that failed for another reason than quota', () => {
    const storage = new MapStorage();
    const store = new LocalStorageResumeStore({ storage });
    store.set('other', record());
    storage.calls.length = 0;
    storage.failure = (method) => (method === 'setItem' ? new DOMException('denied', 'SecurityError') : undefined);
    store.set('id', record());
    expect(storage.calls.filter((call) => call === 'setItem')).to.have.length(1);
    expect(store.get('other')).to.deep.equal(record());
  });

  it('should evict the oldest records by createdAt beyond maxRecords', () => {
    const storage = new MapStorage();
    const store = new LocalStorageResumeStore({ storage, maxRecords: 3 });
    for (const [id, createdAt] of [['c', 3], ['a', 1], ['e', 5], ['b', 2], ['d', 4]] as const) {
      store.set(id, record({ createdAt }));
    }
    expect([...storage.items.keys()].sort()).to.deep.equal([`${PREFIX}c`, `${PREFIX}d`, `${PREFIX}e`]);
  });

  it('should keep the record just written even when it is the oldest', () => {
    const storage = new MapStorage();
    const store = new LocalStorageResumeStore({ storage, maxRecords: 2 });
    store.set('new1', record({ createdAt: 10 }));
    store.set('new2', record({ createdAt: 20 }));
    store.set('old', record({ createdAt: 1 }));
    expect([...storage.items.keys()].sort()).to.deep.equal([`${PREFIX}new2`, `${PREFIX}old`]);
  });

  it('should evict unreadable entries under its prefix before valid ones', () => {
    const storage = new MapStorage();
    storage.items.set(`${PREFIX}junk`, '{oops');
    const store = new LocalStorageResumeStore({ storage, maxRecords: 2 });
    store.set('a', record({ createdAt: 1 }));
    store.set('b', record({ createdAt: 2 }));
    expect([...storage.items.keys()].sort()).to.deep.equal([`${PREFIX}a`, `${PREFIX}b`]);
  });

  it('should never read, evict or remove keys outside its prefix', () => {
    const storage = new MapStorage();
    const foreign: Array<[string, string]> = [
      ['theme', 'dark'],
      ['cos-transcoder:other', JSON.stringify(record())],
      ['mine:x', '{oops'],
    ];
    for (const [key, value] of foreign) storage.items.set(key, value);
    const store = new LocalStorageResumeStore({ storage, prefix: 'mine:', maxRecords: 1 });
    store.set('a', record({ createdAt: 1 }));
    store.set('b', record({ createdAt: 2 }));
    store.delete('a');
    expect(store.get('other')).to.equal(undefined);
    for (const [key, value] of foreign.slice(0, 2)) expect(storage.items.get(key)).to.equal(value);
    expect([...storage.items.keys()].filter((key) => key.startsWith('mine:'))).to.deep.equal(['mine:b']);
  });

  it('should keep two prefixes apart in one storage', () => {
    const storage = new MapStorage();
    const one = new LocalStorageResumeStore({ storage, prefix: 'one:', maxRecords: 1 });
    const two = new LocalStorageResumeStore({ storage, prefix: 'two:', maxRecords: 1 });
    one.set('id', record({ uploadId: 'one' }));
    two.set('id', record({ uploadId: 'two' }));
    two.set('id2', record({ uploadId: 'three', createdAt: 2_000_000_000_000 }));
    expect(one.get('id')?.uploadId).to.equal('one');
    expect(two.get('id')).to.equal(undefined);
  });

  it('should degrade to no resume when built without storage where there is no localStorage', () => {
    const store = withLocalStorage({ value: undefined }, () => new LocalStorageResumeStore());
    expect(() => store.set('id', record())).not.to.throw();
    expect(store.get('id')).to.equal(undefined);
  });
});

describe('defaultResumeStore', () => {
  it('should use localStorage when it accepts a write and a remove, leaving no probe behind', () => {
    const storage = new MapStorage();
    const store = withLocalStorage({ value: storage }, () => defaultResumeStore());
    expect(store).to.be.instanceOf(LocalStorageResumeStore);
    expect(storage.items.size).to.equal(0);
    store.set('id', record());
    expect(storage.items.has(`${PREFIX}id`)).to.equal(true);
  });

  it('should fall back to memory when localStorage is missing', () => {
    const store = withLocalStorage({ value: undefined }, () => defaultResumeStore());
    expect(store).to.be.instanceOf(MemoryResumeStore);
  });

  it('should fall back to memory when reading localStorage throws a SecurityError', () => {
    const store = withLocalStorage(
      {
        get() {
          throw new DOMException('Access is denied for this document.', 'SecurityError');
        },
      },
      () => defaultResumeStore(),
    );
    expect(store).to.be.instanceOf(MemoryResumeStore);
  });

  it('should fall back to memory when localStorage rejects the probe write', () => {
    const storage = new MapStorage();
    storage.quota = 0;
    const store = withLocalStorage({ value: storage }, () => defaultResumeStore());
    expect(store).to.be.instanceOf(MemoryResumeStore);
  });
});
