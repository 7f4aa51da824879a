/**
 * Training and inference speed of every kernel configuration on the PyTorch reference contract
 * (shared/bench/README.md), side by side with PyTorch on one and on two threads, in one run. Each round runs
 * every configuration and PyTorch once, interleaved, and the median over rounds is reported with its ratio to
 * PyTorch, so a noisy shared machine affects both sides alike. Also checks that every configuration prints
 * the contract's values (loss first / last, score of row 0).
 *
 * Run: pnpm --filter @abc/models bench:speed
 * Env: N (rows, default 20,000), ROUNDS (default 3), CONFIGS (comma list of ts, wasm-simd-copy,
 *      wasm-simd, wasm-simd-2t, tfjs-cpu; default all but tfjs-cpu), TS_N (rows for ts and tfjs-cpu,
 *      default 4,000: they are slow), TORCH=0 to skip PyTorch, PYTHON (default /usr/bin/python3),
 *      TORCH_REFERENCE (path of torch_reference.py).
 *
 * PyTorch "1 thread" runs `torch_reference.py 1` with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1: with the
 * argument alone, Debian's build still runs OpenBLAS's own thread pool and uses both cores (CPU time is then
 * twice the wall time). "2 threads" runs `torch_reference.py 2` with both pools at 2.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReferenceContract } from './contract.js';
import { TsGemmKernel } from '../src/kernels/ts-gemm.js';
import type { GemmKernel } from '../src/kernels/types.js';
import { createWasmSimdKernel } from '../src/kernels/wasm-simd.js';
import { calibrateThreads, createThreadedWasmKernel } from '../src/node/threads.js';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.N ?? 20_000);
const TS_N = Number(process.env.TS_N ?? 4_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONFIGS = (process.env.CONFIGS ?? 'ts,wasm-simd-copy,wasm-simd,wasm-simd-2t').split(',').map((s) => s.trim());

interface Figures {
  train: number;
  infer100: number;
  infer1000: number;
  values: string;
}

interface Config {
  id: string;
  threads: number;
  what: string;
  rows: number;
  run(): Figures;
}

function ours(kernel: GemmKernel, rows: number, arena: boolean): Figures {
  const r = runReferenceContract({ n: rows, kernel, arena, inferBatches: [100, 1000] });
  const inf = (b: number) => rows / r.infer.find((x) => x.batch === b)!.seconds;
  return {
    train: rows / r.trainSeconds,
    infer100: inf(100),
    infer1000: inf(1000),
    values: `${r.firstLoss.toFixed(2)} / ${r.lastLoss.toFixed(2)} / ${r.score0.toFixed(3)}`,
  };
}

async function tfjsKernel(): Promise<GemmKernel | string> {
  try {
    const tf = (await import('@tensorflow/tfjs')) as unknown as {
      setBackend(b: string): Promise<boolean>;
      ready(): Promise<void>;
      enableProdMode(): void;
    };
    tf.enableProdMode();
    await tf.setBackend('cpu');
    await tf.ready();
    const { createTfjsKernel } = await import('../src/kernels/tfjs.js');
    return createTfjsKernel(tf as never);
  } catch (e) {
    return `tfjs unavailable: ${(e as Error).message}`;
  }
}

const configs: Config[] = [];
for (const id of CONFIGS) {
  if (id === 'ts') {
    const k = new TsGemmKernel();
    configs.push({
      id,
      threads: 1,
      what: 'plain TypeScript GEMM, JS element-wise passes',
      rows: TS_N,
      run: () => ours(k, TS_N, false),
    });
  } else if (id === 'wasm-simd-copy') {
    const k = createWasmSimdKernel();
    configs.push({
      id,
      threads: 1,
      what: 'wasm GEMM copying A, B, C per call; JS passes (before the arena)',
      rows: N,
      run: () => ours(k, N, false),
    });
  } else if (id === 'wasm-simd') {
    const k = createWasmSimdKernel();
    configs.push({
      id,
      threads: 1,
      what: 'arena, everything in wasm, one thread (the browser default)',
      rows: N,
      run: () => ours(k, N, true),
    });
  } else if (id === 'wasm-simd-2t') {
    const k = createThreadedWasmKernel({ mode: 'always' });
    configs.push({
      id,
      threads: 2,
      what: 'Node default where its calibration (above) says two threads pay: arena + a worker',
      rows: N,
      run: () => ours(k, N, true),
    });
  } else if (id === 'tfjs-cpu') {
    const k = await tfjsKernel();
    if (typeof k === 'string') console.log(`tfjs-cpu: ${k}`);
    else
      configs.push({
        id,
        threads: 1,
        what: 'tfjs 4.22 cpu backend through the kernel registry',
        rows: TS_N,
        run: () => ours(k, TS_N, false),
      });
  } else throw new Error(`unknown config ${id}`);
}

function torch(threads: number): Figures | string {
  if (process.env.TORCH === '0') return 'skipped (TORCH=0)';
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  const script =
    process.env.TORCH_REFERENCE ??
    [
      resolve(here, '../../../../shared/bench/torch_reference.py'),
      resolve(here, '../../../shared/bench/torch_reference.py'),
    ].find(existsSync);
  if (!script) return 'torch_reference.py not found (set TORCH_REFERENCE)';
  const pool = String(threads);
  const run = spawnSync(python, [script, pool], {
    encoding: 'utf8',
    env: { ...process.env, N: String(N), OMP_NUM_THREADS: pool, OPENBLAS_NUM_THREADS: pool, MKL_NUM_THREADS: pool },
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0)
    return `torch_reference.py failed (python3-torch installed?): ${(run.stderr || String(run.error)).slice(-300)}`;
  const out = run.stdout;
  const num = (re: RegExp) => Number(re.exec(out)?.[1]);
  return {
    train: num(/-> (\d+) samples\/s wall/),
    infer100: num(/infer batch 100: (\d+) samples\/s wall/),
    infer1000: num(/infer batch 1000: (\d+) samples\/s wall/),
    values: `${num(/loss first ([\d.]+)/).toFixed(2)} / ${num(/last ([\d.]+)\)/).toFixed(2)} / ${num(/score\[0\]=([\d.]+)/).toFixed(3)}`,
  };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

console.log(
  `@abc/engine speed bench, ${new Date().toISOString().slice(0, 16)}Z, Node ${process.versions.node}, N = ${N} (ts/tfjs: ${TS_N}), ${ROUNDS} interleaved rounds, medians`,
);
const cal = calibrateThreads();
console.log(
  `two-thread calibration (100x300x784 product): one thread ${(cal.oneThread * 1e3).toFixed(3)} ms, two ${(cal.twoThreads * 1e3).toFixed(3)} ms -> auto mode ${cal.useWorker ? 'uses' : 'does not use'} the worker`,
);
const results = new Map<string, Figures[]>();
const torchNotes = new Map<string, string>();
for (let round = 0; round < ROUNDS; round++) {
  for (const t of [1, 2]) {
    const f = torch(t);
    if (typeof f === 'string') torchNotes.set(`PyTorch ${t}t`, f);
    else results.set(`PyTorch ${t}t`, [...(results.get(`PyTorch ${t}t`) ?? []), f]);
  }
  for (const c of configs) results.set(c.id, [...(results.get(c.id) ?? []), c.run()]);
  process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
}

const med = (id: string, key: keyof Omit<Figures, 'values'>) => {
  const all = results.get(id);
  return all ? median(all.map((f) => f[key])) : NaN;
};
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}x` : '-');
const pad = (s: string | number, w: number) => String(s).padStart(w);
console.log('\nsamples/s (median of rounds); ratios: ours / PyTorch 1 thread, ours / PyTorch 2 threads');
console.log(
  `  ${'config'.padEnd(16)} thr ${pad('train', 7)} ${pad('vs 1t', 6)} ${pad('vs 2t', 6)} ${pad('infer100', 9)} ${pad('vs 1t', 6)} ${pad('vs 2t', 6)} ${pad('infer1000', 9)} ${pad('vs 1t', 6)} ${pad('vs 2t', 6)}  loss first / last / score[0]`,
);
const rows = [
  ...['PyTorch 1t', 'PyTorch 2t']
    .filter((id) => results.has(id))
    .map((id) => ({ id, threads: id.endsWith('1t') ? 1 : 2, what: 'torch_reference.py' })),
  ...configs,
];
for (const r of rows) {
  const cells: string[] = [];
  for (const key of ['train', 'infer100', 'infer1000'] as const) {
    const v = med(r.id, key);
    cells.push(
      pad(v.toFixed(0), key === 'train' ? 7 : 9),
      pad(ratio(v, med('PyTorch 1t', key)), 6),
      pad(ratio(v, med('PyTorch 2t', key)), 6),
    );
  }
  const values = [...new Set(results.get(r.id)!.map((f) => f.values))].join(', ');
  console.log(`  ${r.id.padEnd(16)} ${pad(r.threads, 3)} ${cells.join(' ')}  ${values}`);
}
for (const [id, note] of torchNotes) console.log(`  ${id}: ${note}`);
console.log('\nconfigs:');
for (const c of configs) console.log(`  ${c.id.padEnd(16)} ${c.what}${c.rows !== N ? ` (N = ${c.rows})` : ''}`);
console.log('  contract values at N = 20,000: 35.61 / 28.93 / 62.755; at N = 2,000: 46.79 / 33.66 / 62.188');
