/**
 * GEMM kernels side by side: GFLOP/s per kernel at the contract network's shapes (batch 100,
 * 784-300-100-20-100-300-784; forward NN, weight-gradient TN, input-gradient NT, and TT), training samples/s of
 * the PyTorch reference contract per kernel (with the share of the step spent in GEMM), and PyTorch's
 * one-thread figure from shared/bench/torch_reference.py when Debian's python3-torch is installed.
 * Everything is measured in one process, interleaved, so ratios are comparable on a loaded machine.
 *
 * Run: pnpm exec tsx --conditions=@abc/source bench/kernels.ts
 * Env: N (rows for training, default 20,000), ROUNDS (interleaved rounds, default 2; best round is kept),
 *      KERNELS (comma list, default "ts-blocked,wasm-simd,wasm-simd-2t"; the last is the Node-only two-thread
 *      variant, forced on unless THREADS_MODE=auto), TRAIN_KERNELS (the kernels trained, default KERNELS), GEMM_SECONDS (per shape and round, default 0.2),
 *      TORCH=0 to skip PyTorch, TORCH_REFERENCE (path of torch_reference.py), PYTHON (default /usr/bin/python3).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Adam } from '../src/engine/adam.js';
import { runReferenceContract } from '../src/engine/contract.js';
import { activate, activationGrad } from '../src/engine/dense.js';
import { wasmGemmBytes } from '../src/engine/kernels/wasm-simd.js';
import type { GemmKernel } from '../src/engine/kernels/gemm.js';
import { selectKernel, type KernelId } from '../src/engine/kernels/select.js';
import { createWasmSimdThreadsKernel, type WasmSimdThreadsGemmKernel } from '../wasm/wasm-simd-threads.js';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.N ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const GEMM_SECONDS = Number(process.env.GEMM_SECONDS ?? 0.2);
type BenchKernel = KernelId | 'wasm-simd-2t';
const KERNELS = (process.env.KERNELS ?? 'ts-blocked,wasm-simd,wasm-simd-2t').split(',').map((s) => s.trim()) as BenchKernel[];
const SIZES = [784, 300, 100, 20, 100, 300, 784];
const BATCH = 100;

const threadKernels: WasmSimdThreadsGemmKernel[] = [];
function kernelFor(id: BenchKernel): GemmKernel {
  if (id === 'wasm-simd-2t') {
    // Two threads always (THREADS_MODE=auto to let its calibration decide), to measure what the worker gives.
    const k = createWasmSimdThreadsKernel({ mode: (process.env.THREADS_MODE as 'auto' | 'always' | undefined) ?? 'always' });
    threadKernels.push(k);
    return k;
  }
  return selectKernel({ prefer: id, strict: true }).kernel;
}

interface Shape {
  label: string;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  /** How many times one training step runs this product. */
  perStep: number;
}

/** The products of one training step (forward NN, weight gradients TN, input gradients NT except layer 0). */
function stepShapes(): Shape[] {
  const shapes: Shape[] = [];
  for (let l = 0; l < SIZES.length - 1; l++) {
    const i = SIZES[l];
    const o = SIZES[l + 1];
    shapes.push({ label: `L${l} fwd`, transA: false, transB: false, m: BATCH, n: o, k: i, perStep: 1 });
    shapes.push({ label: `L${l} dW`, transA: true, transB: false, m: i, n: o, k: BATCH, perStep: 1 });
    if (l > 0) shapes.push({ label: `L${l} dX`, transA: false, transB: true, m: BATCH, n: i, k: o, perStep: 1 });
  }
  return shapes;
}

const extraShapes: Shape[] = [
  { label: 'TT', transA: true, transB: true, m: 100, n: 300, k: 784, perStep: 0 },
  { label: 'TT', transA: true, transB: true, m: 300, n: 784, k: 100, perStep: 0 },
];

function formOf(s: Shape): string {
  return `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`;
}

/** CPU seconds of this process (user + system): on a shared, loaded machine a steadier clock than the wall. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Wall seconds (for the two-thread kernel, whose CPU time counts both threads). */
function wallNow(): number {
  return performance.now() / 1000;
}

/** Fastest slice of about 4 ms on `clock` (default CPU time), in seconds per call, over `seconds` of that clock. */
function bestSlice(call: () => void, seconds: number, clock: () => number = cpuNow): number {
  for (let i = 0; i < 3; i++) call();
  let best = Infinity;
  const end = clock() + seconds;
  while (clock() < end) {
    let reps = 0;
    const t0 = clock();
    let t = t0;
    do {
      call();
      reps++;
      t = clock();
    } while (t - t0 < 0.004);
    best = Math.min(best, (t - t0) / reps);
  }
  return best;
}

/** Seconds per call of one product (best of the timed slices; CPU time, wall time for wasm-simd-2t). */
function timeGemm(kernel: GemmKernel, s: Shape, seconds: number): number {
  const { transA, transB, m, n, k } = s;
  const A = new Float32Array(m * k).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const B = new Float32Array(k * n).map((_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const C = new Float32Array(m * n);
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  const call = () => kernel.gemm(transA, transB, m, n, k, 1, A, 0, lda, B, 0, ldb, 0, C, 0, n);
  return bestSlice(call, seconds, kernel.name === 'wasm-simd-2t' ? wallNow : cpuNow);
}

/** A kernel wrapper that adds up the time spent inside gemm. */
class TimedKernel implements GemmKernel {
  readonly name: string;
  ms = 0;
  calls = 0;
  constructor(private readonly inner: GemmKernel) {
    this.name = inner.name;
  }
  gemm(...args: Parameters<GemmKernel['gemm']>): void {
    const t0 = performance.now();
    this.inner.gemm(...args);
    this.ms += performance.now() - t0;
    this.calls++;
  }
}

interface TrainFigure {
  wall: number;
  cpu: number;
  first: number;
  last: number;
  score0: number;
  /** Share of the timed epoch spent inside gemm. */
  gemmShare: number;
}

function train(kernel: TimedKernel): TrainFigure {
  const marks: { wall: number; cpu: number; gemm: number }[] = [];
  const r = runReferenceContract({
    n: N,
    inferBatches: [],
    kernel,
    now: () => {
      const u = process.cpuUsage();
      const m = { wall: performance.now(), cpu: (u.user + u.system) / 1000, gemm: kernel.ms };
      marks.push(m);
      return m.wall;
    },
  });
  const cpuSeconds = (marks[1].cpu - marks[0].cpu) / 1000;
  const gemmShare = (marks[1].gemm - marks[0].gemm) / (marks[1].wall - marks[0].wall);
  return { wall: N / r.trainSeconds, cpu: N / cpuSeconds, first: r.firstLoss, last: r.lastLoss, score0: r.score0, gemmShare };
}

interface TorchFigure {
  wall: number;
  cpu: number;
  first: number;
  last: number;
}

function torch(): TorchFigure | string {
  if (process.env.TORCH === '0') return 'skipped (TORCH=0)';
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  const script =
    process.env.TORCH_REFERENCE ??
    [resolve(here, '../../../../shared/bench/torch_reference.py'), resolve(here, '../../../shared/bench/torch_reference.py')].find(existsSync);
  if (!script || !existsSync(script)) return 'torch_reference.py not found (set TORCH_REFERENCE)';
  if (!existsSync(python)) return `${python} not found`;
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'python3-torch is not installed (apt-get install -y python3-torch)';
  const run = spawnSync(python, [script, '1'], { encoding: 'utf8', env: { ...process.env, N: String(N) }, maxBuffer: 1 << 20 });
  if (run.status !== 0) return `torch_reference.py failed: ${run.stderr.slice(-500)}`;
  const out = run.stdout;
  const num = (re: RegExp) => Number(re.exec(out)?.[1]);
  return {
    wall: num(/-> (\d+) samples\/s wall/),
    cpu: num(/wall, (\d+) samples\/cpu-s \(loss/),
    first: num(/loss first ([\d.]+)/),
    last: num(/last ([\d.]+)\)/),
  };
}

const pad = (s: string | number, w: number) => String(s).padStart(w);
const ids = KERNELS;
const kernels = new Map(ids.map((id) => [id, kernelFor(id)] as const));
console.log(
  `@abc/models kernels bench, ${new Date().toISOString().slice(0, 16)}Z, Node ${process.versions.node}, N = ${N}, rounds ${ROUNDS} (best kept)`,
);
console.log(`kernel selection here: ${selectKernel().id} (${selectKernel().reasons.map((r) => `${r.id}: ${r.selected ? 'selected' : r.reason}`).join('; ')})`);

// 1. GEMM GFLOP/s, interleaved per shape and round.
const shapes = [...stepShapes(), ...extraShapes];
const best = new Map<string, number>(); // `${id}|${index}` -> seconds per call
for (let round = 0; round < ROUNDS; round++) {
  shapes.forEach((s, i) => {
    for (const id of ids) {
      const t = timeGemm(kernels.get(id)!, s, GEMM_SECONDS);
      const key = `${id}|${i}`;
      best.set(key, Math.min(best.get(key) ?? Infinity, t));
    }
  });
}
console.log(`\nGEMM GFLOP/s by CPU time (wall time for wasm-simd-2t; fastest 4 ms slice, best of ${ROUNDS} rounds), batch ${BATCH}, network ${SIZES.join('-')}:`);
const ratioOf = ids.includes('wasm-simd') && ids.includes('ts-blocked');
console.log(`  ${'product'.padEnd(10)} ${'form'.padEnd(4)} ${'m x n x k'.padEnd(14)} ${ids.map((id) => pad(id, 11)).join(' ')}${ratioOf ? '   wasm/ts' : ''}`);
const stepSeconds = new Map<BenchKernel, number>(ids.map((id) => [id, 0]));
let stepFlops = 0;
shapes.forEach((s, i) => {
  const flops = 2 * s.m * s.n * s.k;
  const g = ids.map((id) => flops / best.get(`${id}|${i}`)! / 1e9);
  for (const id of ids) stepSeconds.set(id, stepSeconds.get(id)! + s.perStep * best.get(`${id}|${i}`)!);
  stepFlops += s.perStep * flops;
  const ratio = ratioOf ? `  ${(g[ids.indexOf('wasm-simd')] / g[ids.indexOf('ts-blocked')]).toFixed(1)}x` : '';
  console.log(`  ${s.label.padEnd(10)} ${formOf(s).padEnd(4)} ${`${s.m}x${s.n}x${s.k}`.padEnd(14)} ${g.map((v) => pad(v.toFixed(1), 11)).join(' ')}${ratio}`);
});
console.log(
  `  ${'all GEMMs of one training step'.padEnd(30)} ${ids.map((id) => pad((stepFlops / stepSeconds.get(id)! / 1e9).toFixed(1), 11)).join(' ')}  GFLOP/s; ` +
    ids.map((id) => `${id} ${(stepSeconds.get(id)! * 1000).toFixed(2)} ms/step = ${((BATCH / stepSeconds.get(id)!) | 0)} samples/s if GEMM were all`).join('; '),
);

// 1b. What the copies into and out of wasm memory cost: the raw export on resident data vs kernel.gemm.
if (ids.includes('wasm-simd')) {
  const memory = new WebAssembly.Memory({ initial: 256 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(wasmGemmBytes()), { env: { memory } });
  const ex = inst.exports as unknown as {
    gemm: (...a: number[]) => void;
    gemm_scratch_bytes: () => number;
    __heap_base: WebAssembly.Global;
  };
  const scratch = (Number(ex.__heap_base.value) + 15) & ~15;
  const base = (scratch + ex.gemm_scratch_bytes() + 15) & ~15;
  let raw = 0;
  let full = 0;
  for (const sh of stepShapes()) {
    const { transA, transB, m, n, k } = sh;
    const aPtr = base;
    const bPtr = aPtr + ((m * k * 4 + 15) & ~15);
    const cPtr = bPtr + ((k * n * 4 + 15) & ~15);
    const f32 = new Float32Array(memory.buffer);
    f32.fill(0.25, aPtr >> 2, (cPtr >> 2) + m * n);
    const rawCall = () => ex.gemm(+transA, +transB, m, n, k, 1, aPtr, transA ? m : k, bPtr, transB ? k : n, 0, cPtr, n, scratch);
    // Interleaved, best of several short runs each: the difference is small against the noise of a shared machine.
    let r = Infinity;
    let f = Infinity;
    for (let rep = 0; rep < 4; rep++) {
      r = Math.min(r, bestSlice(rawCall, GEMM_SECONDS / 4));
      f = Math.min(f, timeGemm(kernels.get('wasm-simd')!, sh, GEMM_SECONDS / 4));
    }
    raw += r;
    full += f;
  }
  console.log(
    `  wasm-simd copies (A, B in; C out) per training step: ${((full - raw) * 1000).toFixed(3)} ms of ${(full * 1000).toFixed(2)} ms GEMM ` +
      `(${(((full - raw) / full) * 100).toFixed(1)}%; resident data would run at ${(stepFlops / raw / 1e9).toFixed(1)} GFLOP/s)`,
  );
}

// 1c. The rest of a training step (not GEMM): activations, their gradients, Adam, per batch of 100.
{
  const hidden = SIZES.slice(1, -1).reduce((a, b) => a + b, 0) * BATCH;
  const y = new Float32Array(hidden).map((_, i) => Math.tanh(((i % 97) - 48) / 40));
  const d = new Float32Array(hidden).fill(0.01);
  const params = SIZES.slice(1).reduce((acc, o, l) => acc + SIZES[l] * o + o, 0);
  const P = new Float32Array(params).fill(0.01);
  const G = new Float32Array(params).fill(0.001);
  const adam = new Adam(params, { lr: 1e-3 });
  const tTanh = bestSlice(() => activate('tanh', y, hidden), GEMM_SECONDS);
  const tGrad = bestSlice(() => activationGrad('tanh', y, d, d, hidden), GEMM_SECONDS);
  const tAdam = bestSlice(() => adam.step(P, G), GEMM_SECONDS);
  const wasmStep = ids.includes('wasm-simd') ? stepSeconds.get('wasm-simd')! : NaN;
  const other = tTanh + tGrad + tAdam;
  console.log(
    `  non-GEMM work per step (CPU time): tanh ${(tTanh * 1000).toFixed(2)} ms (${hidden} values), tanh' ${(tGrad * 1000).toFixed(2)} ms, ` +
      `Adam ${(tAdam * 1000).toFixed(2)} ms (${params} parameters); with wasm-simd GEMM (${(wasmStep * 1000).toFixed(2)} ms) ` +
      `these alone cap training at ${(BATCH / (wasmStep + other)).toFixed(0)} samples/s`,
  );
}

// 2. Training on the PyTorch contract, per kernel, interleaved with PyTorch round by round. The load on a shared
// machine changes from second to second, so each round's ratio (taken minutes apart from no other) is printed,
// and the median ratio is the figure to quote; TRAIN_KERNELS narrows the kernels trained (ts-blocked is slow).
const trainIds = (process.env.TRAIN_KERNELS ? process.env.TRAIN_KERNELS.split(',').map((s) => s.trim()) : ids) as BenchKernel[];
console.log(`\nPyTorch contract, train one epoch of N = ${N} (10 warm-up batches), ${ROUNDS} interleaved rounds:`);
const trainAll = new Map<string, TrainFigure[]>(trainIds.map((id) => [id, []]));
const torchAll: TorchFigure[] = [];
let torchNote = '';
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (let round = 0; round < ROUNDS; round++) {
  const t = torch();
  if (typeof t === 'string') torchNote = t;
  else torchAll.push(t);
  const parts: string[] = [];
  if (typeof t !== 'string') parts.push(`PyTorch 1t ${t.wall} wall / ${t.cpu} per cpu-s`);
  for (const id of trainIds) {
    const timed = new TimedKernel(kernels.get(id)!);
    const f = train(timed);
    trainAll.get(id)!.push(f);
    const vs = typeof t === 'string' ? '' : ` (${(f.wall / t.wall).toFixed(2)}x wall, ${(f.cpu / t.cpu).toFixed(2)}x cpu)`;
    parts.push(`${id} ${f.wall.toFixed(0)} wall / ${f.cpu.toFixed(0)} per cpu-s${vs}`);
  }
  console.log(`  round ${round + 1}: ${parts.join('; ')}`);
}
for (const id of trainIds) {
  const all = trainAll.get(id)!;
  const f = all.reduce((a, b) => (b.wall > a.wall ? b : a));
  console.log(
    `  ${id.padEnd(12)} best ${pad(f.wall.toFixed(0), 6)} samples/s wall, ${pad(f.cpu.toFixed(0), 6)} per cpu-s (median ${median(all.map((x) => x.wall)).toFixed(0)} / ${median(all.map((x) => x.cpu)).toFixed(0)}); ` +
      `GEMM about ${(f.gemmShare * 100).toFixed(0)}% of the step; loss first ${f.first.toFixed(2)} last ${f.last.toFixed(2)}, score[0] ${f.score0.toFixed(3)}`,
  );
}
if (torchAll.length === 0) console.log(`  PyTorch: ${torchNote}`);
else {
  const best = torchAll.reduce((a, b) => (b.wall > a.wall ? b : a));
  console.log(
    `  ${'PyTorch 1t'.padEnd(12)} best ${pad(best.wall, 6)} samples/s wall, ${pad(best.cpu, 6)} per cpu-s (median ${median(torchAll.map((x) => x.wall)).toFixed(0)} / ${median(torchAll.map((x) => x.cpu)).toFixed(0)}); loss first ${best.first} last ${best.last}`,
  );
  for (const id of trainIds) {
    const all = trainAll.get(id)!;
    if (all.length !== torchAll.length) continue; // PyTorch failed in some round: no paired ratios
    const rw = all.map((f, i) => f.wall / torchAll[i].wall);
    const rc = all.map((f, i) => f.cpu / torchAll[i].cpu);
    console.log(
      `  ratio ${id} / PyTorch 1 thread, median of ${rw.length} rounds: ${median(rw).toFixed(2)}x wall, ${median(rc).toFixed(2)}x per cpu-s ` +
        `(rounds: ${rw.map((r) => r.toFixed(2)).join(', ')} wall)`,
    );
  }
}
for (const k of threadKernels) k.dispose();
