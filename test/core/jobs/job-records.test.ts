import { expect } from 'chai';
import {
  DEFAULT_JOB_RECORD_TTL_MS,
  JobRecordSchema,
  LocalStorageJobRecordStore,
  MemoryJobRecordStore,
  defaultJobRecordStore,
  isFreshJobRecord,
  jobRequestFingerprint,
  type JobRecord,
} from '../../../src/core/jobs/job-records.js';
import { MapStorage, withLocalStorage } from '../../helpers/map-storage.js';

const PREFIX = 'cos-transcoder:job:';
const BODY = '<Request><Tag>Transcode</Tag></Request>';
const FINGERPRINT = jobRequestFingerprint('examplebucket-1250000000', 'ap-guangzhou', BODY);

const record = (overrides: Partial<JobRecord> = {}): JobRecord => ({
  version: 1,
  fingerprint: FINGERPRINT,
  bucket: 'examplebucket-1250000000',
  region: 'ap-guangzhou',
  tag: 'Transcode',
  inputObject: 'input/demo.mp4',
  submittedAt: 1_700_000_000_000,
  jobId: 'j8d121820f5e411ec926ef19d53ba9c6f',
  ...overrides,
});

const pending = (): JobRecord => {
  const { jobId: _jobId, ...rest } = record();
  return rest;
};

describe('jobRequestFingerprint', () => {
  it('should be 16 hex digits and stable', () => {
    expect(FINGERPRINT).to.match(/^[0-9a-f]{16}$/);
    expect(jobRequestFingerprint('examplebucket-1250000000', 'ap-guangzhou', BODY)).to.equal(FINGERPRINT);
  });

  it('should differ when the bucket, the region or the body differs, whatever separators they hold', () => {
    const ids = [
      ['b-1', 'r', 'x'],
      ['b-2', 'r', 'x'],
      ['b-1', 'q', 'x'],
      ['b-1', 'r', 'y'],
      ['b-1', 'r","x', ''],
      ['b-1","r', 'x', ''],
    ].map(([bucket, region, body]) => jobRequestFingerprint(bucket!, region!, body!));
    expect(new Set(ids).size).to.equal(ids.length);
  });
});

describe('JobRecordSchema', () => {
  it('should accept a complete record and a pending one', () => {
    expect([JobRecordSchema.safeParse(record()).success, JobRecordSchema.safeParse(pending()).success]).to.deep.equal([
      true,
      true,
    ]);
  });

  it('should reject hostile or out-of-range fields', () => {
    const bad: Array<Record<string, unknown>> = [
      { version: 2 }, { fingerprint: 'abc' }, { fingerprint: 'ABCDEF0123456789' }, { bucket: 'evil.example.com/' },
      { region: 'ap guangzhou' }, { tag: 'Trans/code' }, { inputObject: '' }, { inputObject: 'k'.repeat(1025) },
      { submittedAt: -1 }, { submittedAt: Infinity }, { submittedAt: '2024-01-01' }, { jobId: 'j1/../x' },
      { jobId: '' }, { token: 'leak' },
    ];
    for (const fields of bad) {
      expect(JobRecordSchema.safeParse({ ...record(), ...fields }).success, JSON.stringify(fields)).to.equal(false);
    }
  });
});

describe('isFreshJobRecord', () => {
  const at = record().submittedAt;

  it('should trust a record for 24 hours', () => {
    expect(DEFAULT_JOB_RECORD_TTL_MS).to.equal(86_400_000);
    expect([
      isFreshJobRecord(record(), at),
      isFreshJobRecord(record(), at + DEFAULT_JOB_RECORD_TTL_MS - 1),
      isFreshJobRecord(record(), at + DEFAULT_JOB_RECORD_TTL_MS),
    ]).to.deep.equal([true, true, false]);
  });

  it('should not trust a record from more than 5 minutes in the future', () => {
    expect([
      isFreshJobRecord(record(), at - 5 * 60_000),
      isFreshJobRecord(record(), at - 5 * 60_000 - 1),
      isFreshJobRecord(record(), at - 3600_000),
    ]).to.deep.equal([true, false, false]);
  });

  it('should take another lifetime', () => {
    expect(isFreshJobRecord(record(), at + 2000, 1000)).to.equal(false);
  });
});

describe('MemoryJobRecordStore', () => {
  it('should round-trip a pending record, then the complete one, and forget it on delete', () => {
    const store = new MemoryJobRecordStore();
    store.set(FINGERPRINT, pending());
    const first = store.get(FINGERPRINT);
    store.set(FINGERPRINT, record());
    const second = store.get(FINGERPRINT);
    store.delete(FINGERPRINT);
    expect([first, second, store.get(FINGERPRINT)]).to.deep.equal([pending(), record(), undefined]);
  });

  it('should store only the record fields, as a copy', () => {
    const store = new MemoryJobRecordStore();
    const original = { ...record(), sessionToken: 'leak' } as JobRecord;
    store.set('id', original);
    original.jobId = 'changed';
    expect(store.get('id')).to.deep.equal(record());
  });

  it('should not keep an invalid record, nor the one it replaces', () => {
    const store = new MemoryJobRecordStore();
    store.set('id', record());
    store.set('id', record({ jobId: 'bad id' }));
    expect(store.get('id')).to.equal(undefined);
  });
});

describe('LocalStorageJobRecordStore', () => {
  it('should write exactly the record fields as JSON under the job prefix', () => {
    const storage = new MapStorage();
    const store = new LocalStorageJobRecordStore({ storage });
    store.set(FINGERPRINT, { ...record(), secretKey: 'secret' } as JobRecord);
    expect([...storage.items.keys()]).to.deep.equal([`${PREFIX}${FINGERPRINT}`]);
    expect(JSON.parse(storage.items.get(`${PREFIX}${FINGERPRINT}`)!)).to.deep.equal(record());
    expect(store.get(FINGERPRINT)).to.deep.equal(record());
  });

  it('should drop and remove corrupt or tampered records', () => {
    const cases = [
      '{not json',
      'null',
      JSON.stringify({ ...record(), version: 2 }),
      JSON.stringify({ ...record(), jobId: 'j1/../x' }),
      JSON.stringify({ ...record(), extra: true }),
    ];
    for (const text of cases) {
      const storage = new MapStorage();
      storage.items.set(`${PREFIX}id`, text);
      expect(new LocalStorageJobRecordStore({ storage }).get('id'), text).to.equal(undefined);
      expect(storage.items.has(`${PREFIX}id`), text).to.equal(false);
    }
  });

  it('should evict the records submitted longest ago beyond maxRecords, and nothing of the resume store', () => {
    const storage = new MapStorage();
    storage.items.set('cos-transcoder:upload:x', '{"kept":true}');
    const store = new LocalStorageJobRecordStore({ storage, maxRecords: 2 });
    for (const [id, submittedAt] of [['b', 2], ['a', 1], ['c', 3]] as const) store.set(id, record({ submittedAt }));
    expect([...storage.items.keys()].sort()).to.deep.equal([`${PREFIX}b`, `${PREFIX}c`, 'cos-transcoder:upload:x']);
  });

  it('should never throw when storage refuses every call', () => {
    const storage = new MapStorage();
    storage.failure = () => new DOMException('The operation is insecure.', 'SecurityError');
    const store = new LocalStorageJobRecordStore({ storage });
    expect(() => store.set('id', record())).not.to.throw();
    expect([store.get('id'), storage.calls.includes('setItem')]).to.deep.equal([undefined, true]);
  });
});

describe('defaultJobRecordStore', () => {
  it('should use localStorage when it works, leaving no probe behind', () => {
    const storage = new MapStorage();
    const store = withLocalStorage({ value: storage }, () => defaultJobRecordStore());
    expect([store instanceof LocalStorageJobRecordStore, storage.items.size]).to.deep.equal([true, 0]);
  });

  it('should fall back to memory when localStorage is missing or refuses writes', () => {
    const full = new MapStorage();
    full.quota = 0;
    const stores = [
      withLocalStorage({ value: undefined }, () => defaultJobRecordStore()),
      withLocalStorage({ value: full }, () => defaultJobRecordStore()),
    ];
    expect(stores.map((store) => store instanceof MemoryJobRecordStore)).to.deep.equal([true, true]);
  });

  it('should fall back to one memory store for the page, so that a record outlives the call that wrote it', () => {
    const first = withLocalStorage({ value: undefined }, () => defaultJobRecordStore());
    first.set(FINGERPRINT, pending());
    const second = withLocalStorage({ value: undefined }, () => defaultJobRecordStore());
    expect([second === first, second.get(FINGERPRINT)]).to.deep.equal([true, pending()]);
    second.delete(FINGERPRINT);
  });
});
