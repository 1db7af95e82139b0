import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';
import { permanentKeys, send, startTestEmulator, type WireResponse } from '../helpers/emulator.js';

const md5Hex = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

/** Bodies of the same size and different bytes, so that only the ETag tells versions apart. */
const versions = (count: number, size: number): Buffer[] =>
  Array.from({ length: count }, (_, index) => Buffer.alloc(size, 0x61 + index));

describe('emulator: COS objects under concurrent requests', function () {
  this.timeout(15_000);
  let emulator: Emulator;

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.close());

  const put = (key: string, body: Buffer): Promise<WireResponse> =>
    send(emulator, { service: 'cos', method: 'PUT', path: `/${key}`, body, keys: permanentKeys(emulator) });
  const get = (key: string): Promise<WireResponse> =>
    send(emulator, { service: 'cos', method: 'GET', path: `/${key}`, keys: permanentKeys(emulator) });

  it('should keep the bytes and the ETag of one version when PUTs of a key race', async () => {
    for (let round = 0; round < 30; round += 1) {
      await Promise.all(versions(6, 64 * 1024).map((body) => put('race/put.bin', body)));
      const response = await get('race/put.bin');
      expect(response.headers.etag).to.equal(`"${md5Hex(response.body)}"`);
    }
  });

  it('should never send the bytes of one version with the ETag of another while a key is replaced', async () => {
    const bodies = versions(4, 256 * 1024);
    await put('race/get.bin', bodies[0]!);
    let writing = true;
    const writer = (async () => {
      for (let index = 1; writing; index += 1) await put('race/get.bin', bodies[index % bodies.length]!);
    })();
    const mismatches: string[] = [];
    try {
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let read = 0; read < 40; read += 1) {
            const response = await get('race/get.bin');
            expect(response.status).to.equal(200);
            const etag = `"${md5Hex(response.body)}"`;
            if (response.headers.etag !== etag) mismatches.push(`${String(response.headers.etag)} != ${etag}`);
          }
        }),
      );
    } finally {
      writing = false;
      await writer;
    }
    expect(mismatches).to.deep.equal([]);
  });
});

describe('emulator: COS objects across restarts', () => {
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cos-emulator-restart-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('should serve the last version of a replaced object after a restart on the same data folder', async () => {
    const first = await startTestEmulator({ dataDir });
    const keys = permanentKeys(first);
    for (const body of ['first version', 'second']) {
      await send(first, { service: 'cos', method: 'PUT', path: '/kept.txt', body, keys });
    }
    await first.close();
    const second = await startTestEmulator({ dataDir });
    try {
      const response = await send(second, { service: 'cos', method: 'GET', path: '/kept.txt', keys });
      expect(response.text).to.equal('second');
      expect(response.headers.etag).to.equal(`"${md5Hex(Buffer.from('second'))}"`);
    } finally {
      await second.close();
    }
  });

  it('should keep one data file per object once a version is replaced', async () => {
    const emulator = await startTestEmulator({ dataDir });
    const keys = permanentKeys(emulator);
    try {
      for (const body of ['one', 'two', 'three']) {
        await send(emulator, { service: 'cos', method: 'PUT', path: '/files.txt', body, keys });
      }
      const files = await readdir(join(emulator.dataDir, 'objects'), { recursive: true });
      const data = files.filter((name) => name.endsWith('.data'));
      const sidecars = files.filter((name) => name.endsWith('.json'));
      expect(data).to.have.length(sidecars.length);
    } finally {
      await emulator.close();
    }
  });
});
