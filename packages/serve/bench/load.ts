// Load benchmark of `abc serve` (not a test): requests/s and latency p50/p99 with autocannon on loopback, for a
// 2-feature ABC and an MNIST-size ABC (784 inputs, encoder 300-100-20), at 1 and 64 rows per request, 1 and 64
// connections, dynamic batching on (max batch 1024) and off (max batch 1), beside in-process onnxruntime-node
// (OnnxDetector) at the same batch sizes. Requests carry X as Triton binary tensor data.
//
//   pnpm --filter @abc/serve bench            (or: tsx --conditions=@abc/source packages/serve/bench/load.ts)
//   BENCH_SECONDS=5 BENCH_WORKERS=2 ...      (defaults: 3 s per cell, 2 workers)
//
// The server runs in a child process; autocannon, the server and its workers share this machine's cores.
import '@abc/models';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createDetector, matrix } from '@abc/core';
import { OnnxDetector } from '@abc/onnx-export';
import { writeOnnxModel } from '../test/helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const workers = Number(process.env.BENCH_WORKERS ?? 2);

function randomMatrix(rows: number, cols: number, seed: number) {
  let a = seed;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    a = (a * 1664525 + 1013904223) >>> 0;
    data[i] = a / 2 ** 32;
  }
  return matrix(data, rows, cols);
}

function binaryBody(rows: number, cols: number): { body: Buffer; headerLength: number } {
  const X = randomMatrix(rows, cols, 7);
  const json = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'X', shape: [rows, cols], datatype: 'FP32', parameters: { binary_data_size: X.data.byteLength } }],
      outputs: [{ name: 'score', parameters: { binary_data: true } }],
    }),
  );
  return { body: Buffer.concat([json, Buffer.from(X.data.buffer)]), headerLength: json.length };
}

async function inProcess(det: OnnxDetector, rows: number, cols: number): Promise<number> {
  const X = randomMatrix(rows, cols, 3);
  for (let i = 0; i < 20; i++) await det.run(X, ['score']);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await det.run(X, ['score']);
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}

async function startChild(dir: string, maxBatchSize: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(
    join(root, 'node_modules/.bin/tsx'),
    ['--conditions=@abc/source', join(here, 'server.ts'), dir, String(maxBatchSize), String(workers)],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((ok) => child.stdout!.once('data', (c: Buffer) => ok(c.toString().trim())));
  return {
    url,
    stop: () =>
      new Promise((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

async function load(url: string, model: string, rows: number, cols: number, connections: number) {
  const { body, headerLength } = binaryBody(rows, cols);
  const r = await autocannon({
    url: `${url}/v2/models/${model}/infer`,
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) },
    body,
    connections,
    duration: seconds,
  });
  if (r.non2xx || r.errors) throw new Error(`${model}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

const dir = await mkdtemp(join(tmpdir(), 'abc-serve-bench-'));
try {
  const models = [
    { name: 'abc2', cols: 2, params: { hidden: [10, 10], latent: 1 } },
    { name: 'mnist', cols: 784, params: { hidden: [300, 100], latent: 20 } },
  ];
  const local = new Map<string, number>();
  for (const m of models) {
    const det = createDetector('abc', { ...m.params, maxEpochs: 1, batchSize: 64, seed: 1 });
    const X = randomMatrix(256, m.cols, 1);
    const y = new Uint8Array(256).map((_, i) => (i % 10 === 0 ? 1 : 0));
    await det.fit(X, y);
    const bytes = await writeOnnxModel(dir, m.name, '1', det);
    const onnx = await OnnxDetector.load(bytes);
    for (const rows of [1, 64]) local.set(`${m.name}/${rows}`, await inProcess(onnx, rows, m.cols));
    await onnx.close();
  }
  const table: string[] = [
    '| model | rows/request | connections | batching | requests/s | rows/s | p50 ms | p99 ms | in-process calls/s | served / in-process |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const batching of [true, false]) {
    const server = await startChild(dir, batching ? 1024 : 1);
    try {
      for (const m of models) {
        for (const rows of [1, 64]) {
          for (const connections of [1, 64]) {
            const r = await load(server.url, m.name, rows, m.cols, connections);
            const lp = local.get(`${m.name}/${rows}`)!;
            table.push(
              `| ${m.name === 'abc2' ? 'ABC, 2 features' : 'ABC, 784-300-100-20'} | ${rows} | ${connections} | ${batching ? 'on' : 'off'} | ${r.rps.toFixed(0)} | ${(r.rps * rows).toFixed(0)} | ${r.p50} | ${r.p99} | ${lp.toFixed(0)} | ${(r.rps / lp).toFixed(2)} |`,
            );
            console.error(table[table.length - 1]);
          }
        }
      }
    } finally {
      await server.stop();
    }
  }
  console.log(table.join('\n'));
} finally {
  await rm(dir, { recursive: true, force: true });
}
