// `npm run bench`: throughput of the protocol core on this machine, printed as numbers.
// Each case runs for a fixed wall-clock budget after a warm-up; results are operations per second.
import { createAuthorization } from '../src/core/signing/authorization.js';

interface Case {
  name: string;
  run: () => Promise<unknown> | unknown;
}

async function measure({ name, run }: Case, budgetMs = 1000): Promise<void> {
  for (let i = 0; i < 50; i += 1) await run(); // warm-up (JIT, WebCrypto key import paths)
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    await run();
    ops += 1;
  }
  const seconds = (performance.now() - start) / 1000;
  const perOp = (seconds * 1e6) / ops;
  console.log(`${name.padEnd(48)} ${Math.round(ops / seconds).toString().padStart(9)} ops/s  ${perOp.toFixed(1).padStart(8)} µs/op`);
}

const cases: Case[] = [
  {
    name: 'createAuthorization (PUT, 4 headers, 2 params)',
    run: () =>
      createAuthorization({
        secretId: 'AKIDEXAMPLE',
        secretKey: 'EXAMPLESECRET',
        method: 'PUT',
        pathname: '/input/a b(1).mp4',
        query: { partNumber: '7', uploadId: '1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361' },
        headers: {
          host: 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
          'content-length': 1048576,
          'content-md5': 'mQ/fVh815F3k6TAUm8m0eg==',
          'x-cos-security-token': 'token',
        },
        keyTime: { start: 1700000000, end: 1700000900 },
      }),
  },
];

console.log(`cos-transcoder bench — Node ${process.version}, ${process.platform}/${process.arch}`);
for (const c of cases) await measure(c);
