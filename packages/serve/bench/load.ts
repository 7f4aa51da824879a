// Load benchmark of `abc serve` (not a test): requests/s and latency p50/p99 with autocannon on loopback, for a
// 2-feature ABC and an MNIST-size ABC (784 inputs, encoder 300-100-20), at 1 and 64 rows per request, 1 and 64
// connections, dynamic batching on (max batch 1024) and off (max batch 1). After every cell it reads the batches
// the server actually ran from the statistics endpoint (GET /v2/models/NAME/stats: executions per batch size) and
// times in-process onnxruntime-node `session.run` on the same ONNX file at the mean formed batch size (rounded), in
// this process while the server idles, so each row compares served rows/s with in-process rows/s at those batches.
// Why the mean: a run of b rows costs about a + c·b, so the runs the server made cost as many runs of the mean size.
// Requests carry X as Triton binary tensor data and ask for `score` only.
//
//   pnpm --filter @abc/serve bench            (or: node --import tsx --conditions=@abc/source packages/serve/bench/load.ts)
//   BENCH_SECONDS=5 BENCH_WORKERS=2,0 BENCH_CELLS=mnist/1/64/on ...   (defaults: 3 s per cell, the table for 2 worker
//   threads and again for 0 (onnxruntime on the main thread), every cell)
//
// The server runs in a child process; autocannon, the server, its workers and the in-process timing share this
// machine's cores (print the load average beside the numbers). The last column compares CPU time per row (the server
// process's, all threads, from its process_cpu_seconds_total; this process's for in-process), which other load on
// the machine disturbs far less than rates do.
import '@abc/models';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import ort from 'onnxruntime-node';
import { createDetector, matrix } from '@abc/core';
import type { ModelStat } from '../src/index.js';
import { writeOnnxModel } from '../test/helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const workerCounts = (process.env.BENCH_WORKERS ?? '2,0').split(',').map(Number);
const only = process.env.BENCH_CELLS?.split(',');

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

/**
 * In-process `session.run` at `rows` rows (default session options: every core intra-op): calls per second, and
 * CPU microseconds per row (this process's, all threads).
 */
async function inProcess(
  session: ort.InferenceSession,
  rows: number,
  cols: number,
): Promise<{ calls: number; cpuPerRow: number }> {
  const X = randomMatrix(rows, cols, 3);
  const feed = { X: new ort.Tensor('float32', X.data, [rows, cols]) };
  for (let i = 0; i < 20; i++) await session.run(feed, ['score']);
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < Math.min(2, seconds) * 1000) {
    await session.run(feed, ['score']);
    n++;
  }
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { calls: (n * 1000) / elapsed, cpuPerRow: (cpu.user + cpu.system) / (n * rows) };
}

async function startChild(args: string[]): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@abc/source', join(here, 'server.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((ok) => child.stdout!.once('data', (c: Buffer) => ok(c.toString().trim())));
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** A process's CPU seconds so far (all its threads), from /proc (Linux; NaN elsewhere). */
async function procCpu(pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The server process's CPU seconds so far (all its threads), from its Prometheus metrics. */
async function serverCpu(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('abc_serve_process_cpu_seconds_total '));
  return Number(line?.split(' ')[1]);
}

async function modelStat(url: string, model: string): Promise<ModelStat> {
  const res = await fetch(`${url}/v2/models/${model}/stats`);
  return ((await res.json()) as { model_stats: ModelStat[] }).model_stats[0];
}

/** The runs made between two statistics readings: their count, rows, mean and (run-weighted) median batch size. */
function formedBatches(before: ModelStat, after: ModelStat) {
  const counts = new Map<number, number>();
  for (const b of after.batch_stats) counts.set(b.batch_size, b.compute_infer.count);
  for (const b of before.batch_stats) counts.set(b.batch_size, (counts.get(b.batch_size) ?? 0) - b.compute_infer.count);
  const sizes = [...counts].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  const runs = sizes.reduce((a, [, c]) => a + c, 0);
  const rows = sizes.reduce((a, [s, c]) => a + s * c, 0);
  let seen = 0;
  let median = 0;
  for (const [s, c] of sizes) {
    seen += c;
    if (seen >= runs / 2) {
      median = s;
      break;
    }
  }
  return { runs, rows, mean: rows / runs, median };
}

async function load(
  url: string,
  path: string,
  connections: number,
  init: { body?: Buffer; headerLength?: number } = {},
  duration = seconds,
) {
  const r = await autocannon({
    url: `${url}${path}`,
    method: init.body ? 'POST' : 'GET',
    headers: init.body
      ? { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(init.headerLength) }
      : {},
    body: init.body,
    connections,
    duration,
  });
  if (r.non2xx || r.errors) throw new Error(`${path}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total };
}

const dir = await mkdtemp(join(tmpdir(), 'abc-serve-bench-'));
try {
  const models = [
    { name: 'abc2', label: 'ABC, 2 features', cols: 2, params: { hidden: [10, 10], latent: 1 } },
    { name: 'mnist', label: 'ABC, 784-300-100-20', cols: 784, params: { hidden: [300, 100], latent: 20 } },
  ];
  const sessions = new Map<string, ort.InferenceSession>();
  for (const m of models) {
    const det = createDetector('abc', { ...m.params, maxEpochs: 1, batchSize: 64, seed: 1 });
    const X = randomMatrix(256, m.cols, 1);
    const y = new Uint8Array(256).map((_, i) => (i % 10 === 0 ? 1 : 0));
    await det.fit(X, y);
    await writeOnnxModel(dir, m.name, '1', det);
    sessions.set(m.name, await ort.InferenceSession.create(await readFile(join(dir, m.name, '1', 'model.onnx'))));
  }
  const inProcessCache = new Map<string, { calls: number; cpuPerRow: number }>();
  const table: string[] = [
    '| workers | model | rows/request | connections | batching | requests/s | rows/s | p50 ms | p99 ms | rows per run: mean, median | in-process rows/s at the mean | served / in-process | CPU µs per row: server, in-process |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const ceiling: string[] = [];
  const loads: number[] = [];
  {
    // The ceiling of any Node HTTP server here: bare node:http answering a constant (CPU from /proc, 10 ms ticks).
    const bare = await startChild(['--bare']);
    try {
      await load(bare.url, '/', 8, {}, 1);
      for (const connections of [1, 64]) {
        const cpu0 = await procCpu(bare.pid);
        const r = await load(bare.url, '/', connections);
        const cpuPerRequest = (((await procCpu(bare.pid)) - cpu0) * 1e6) / r.total;
        ceiling.push(
          `| - | bare node:http, constant answer | ${connections} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${cpuPerRequest.toFixed(1)} |`,
        );
        console.error(ceiling[ceiling.length - 1]);
      }
    } finally {
      await bare.stop();
    }
  }
  for (const workers of workerCounts)
    for (const batching of [true, false]) {
      const server = await startChild([dir, String(batching ? 1024 : 1), String(workers)]);
      try {
        // Warm up (JIT, sessions, connections) before anything is measured.
        for (const m of models) await load(server.url, `/v2/models/${m.name}/infer`, 8, binaryBody(1, m.cols), 1);
        if (batching) {
          // The HTTP ceiling: the same server answering GET /v2/health/live (no body, no inference).
          for (const connections of [1, 64]) {
            const cpu0 = await serverCpu(server.url);
            const r = await load(server.url, '/v2/health/live', connections);
            const cpuPerRequest = (((await serverCpu(server.url)) - cpu0) * 1e6) / r.total;
            ceiling.push(
              `| ${workers} | GET /v2/health/live | ${connections} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${cpuPerRequest.toFixed(1)} |`,
            );
          }
        }
        for (const m of models) {
          for (const rows of [1, 64]) {
            for (const connections of [1, 64]) {
              const cell = `${m.name}/${rows}/${connections}/${batching ? 'on' : 'off'}`;
              if (only && !only.includes(cell)) continue;
              const before = await modelStat(server.url, m.name);
              const cpu0 = await serverCpu(server.url);
              const r = await load(server.url, `/v2/models/${m.name}/infer`, connections, binaryBody(rows, m.cols));
              const cpu1 = await serverCpu(server.url);
              const formed = formedBatches(before, await modelStat(server.url, m.name));
              const size = Math.max(1, Math.round(formed.mean));
              const key = `${m.name}/${size}`;
              if (!inProcessCache.has(key)) inProcessCache.set(key, await inProcess(sessions.get(m.name)!, size, m.cols));
              const ip = inProcessCache.get(key)!;
              const local = ip.calls * size;
              const served = r.rps * rows;
              const serverCpuPerRow = ((cpu1 - cpu0) * 1e6) / formed.rows;
              table.push(
                `| ${workers} | ${m.label} | ${rows} | ${connections} | ${batching ? 'on' : 'off'} | ${r.rps.toFixed(0)} | ${served.toFixed(0)} | ${r.p50} | ${r.p99} | ${formed.mean.toFixed(1)}, ${formed.median} | ${local.toFixed(0)} | ${(served / local).toFixed(2)} | ${serverCpuPerRow.toFixed(1)}, ${ip.cpuPerRow.toFixed(1)} |`,
              );
              loads.push(loadavg()[0]);
              console.error(table[table.length - 1]);
            }
          }
        }
      } finally {
        await server.stop();
      }
    }
  for (const s of sessions.values()) await s.release();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores (${cpu}), load average (1 min) ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} over the cells; ${seconds} s per cell\n`,
  );
  console.log(table.join('\n'));
  console.log(
    `\n| workers | HTTP ceiling | connections | requests/s | p50 ms | p99 ms | server CPU µs per request |\n|---|---|---|---|---|---|---|\n${ceiling.join('\n')}`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
