/**
 * GEMM kernels side by side: GFLOP/s per kernel at the contract network's shapes (batch 100,
 * 784-300-100-20-100-300-784; forward NN, weight-gradient TN, input-gradient NT, and TT), what the copies of the
 * copying kernel cost, and the non-GEMM work of a step (TypeScript passes vs the arena's wasm passes).
 * Training and inference per configuration against PyTorch: bench/speed.ts.
 *
 * Run: pnpm exec tsx --conditions=@abc/source bench/kernels.ts
 * Env: ROUNDS (interleaved rounds, default 2; best round is kept),
 *      KERNELS (comma list, default "ts,wasm-simd,arena,arena-2t": wasm-simd copies its operands per call,
 *      arena computes on operands resident in a compute arena, arena-2t adds the worker thread of wasm-simd-2t),
 *      GEMM_SECONDS (per shape and round, default 0.2),
 *      TORCH=0 to skip PyTorch, TORCH_REFERENCE (path of torch_reference.py), PYTHON (default /usr/bin/python3).
 */
import { Adam } from '../src/adam.js';
import { activate, activationGrad } from '../src/dense.js';
import { wasmGemmBytes } from '../src/kernels/wasm-simd.js';
import type { GemmKernel } from '../src/kernels/types.js';
import { selectKernel, type KernelId } from '../src/kernels/select.js';
import { createWasmArena, type WasmArena } from '../src/kernels/wasm-arena.js';
import { WorkerSplitter } from '../src/node/threads.js';

const ROUNDS = Number(process.env.ROUNDS ?? 2);
const GEMM_SECONDS = Number(process.env.GEMM_SECONDS ?? 0.2);
type BenchKernel = KernelId | 'arena' | 'arena-2t';
const KERNELS = (process.env.KERNELS ?? 'ts,wasm-simd,arena,arena-2t').split(',').map((s) => s.trim()) as BenchKernel[];
const SIZES = [784, 300, 100, 20, 100, 300, 784];
const BATCH = 100;

const splitters: WorkerSplitter[] = [];
function kernelFor(id: BenchKernel): GemmKernel {
  if (id === 'arena' || id === 'arena-2t') {
    const arena = createWasmArena();
    if (!arena) throw new Error('no wasm arena here (shared WebAssembly memory unavailable)');
    if (id === 'arena-2t') {
      const sp = new WorkerSplitter(arena, { minFlops: 0 });
      if (!sp.warmUp()) throw new Error('the worker did not start');
      arena.setSplitter(sp);
      splitters.push(sp);
    }
    return Object.assign(arena, { benchName: id });
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

/** Seconds per call of one product (best of the timed slices; CPU time, wall time for arena-2t). */
function timeGemm(kernel: GemmKernel, s: Shape, seconds: number): number {
  const { transA, transB, m, n, k } = s;
  // Operands live in the arena for the arena kernels (no copies), in ordinary arrays otherwise.
  const alloc = (len: number) => ('alloc' in kernel ? (kernel as WasmArena).alloc(len) : new Float32Array(len));
  const fill = (a: Float32Array, p: number) => {
    for (let i = 0; i < a.length; i++) a[i] = ((i * p) % 1000) / 1000 - 0.5; // in place: map() would copy out of the arena
    return a;
  };
  const A = fill(alloc(m * k), 7919);
  const B = fill(alloc(k * n), 104729);
  const C = alloc(m * n);
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  const call = () => kernel.gemm(transA, transB, m, n, k, 1, A, 0, lda, B, 0, ldb, 0, C, 0, n);
  return bestSlice(call, seconds, (kernel as { benchName?: string }).benchName === 'arena-2t' ? wallNow : cpuNow);
}

const pad = (s: string | number, w: number) => String(s).padStart(w);
const ids = KERNELS;
const kernels = new Map(ids.map((id) => [id, kernelFor(id)] as const));
console.log(
  `@abc/models kernels bench, ${new Date().toISOString().slice(0, 16)}Z, Node ${process.versions.node}, rounds ${ROUNDS} (best kept)`,
);
console.log(
  `kernel selection here: ${selectKernel().id} (${selectKernel()
    .reasons.map((r) => `${r.id}: ${r.selected ? 'selected' : r.reason}`)
    .join('; ')})`,
);

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
console.log(
  `\nGEMM GFLOP/s by CPU time (wall time for arena-2t; fastest 4 ms slice, best of ${ROUNDS} rounds), batch ${BATCH}, network ${SIZES.join('-')}:`,
);
const ratioOf = ids.includes('wasm-simd') && ids.includes('ts');
console.log(
  `  ${'product'.padEnd(10)} ${'form'.padEnd(4)} ${'m x n x k'.padEnd(14)} ${ids.map((id) => pad(id, 11)).join(' ')}${ratioOf ? '   wasm/ts' : ''}`,
);
const stepSeconds = new Map<BenchKernel, number>(ids.map((id) => [id, 0]));
let stepFlops = 0;
shapes.forEach((s, i) => {
  const flops = 2 * s.m * s.n * s.k;
  const g = ids.map((id) => flops / best.get(`${id}|${i}`)! / 1e9);
  for (const id of ids) stepSeconds.set(id, stepSeconds.get(id)! + s.perStep * best.get(`${id}|${i}`)!);
  stepFlops += s.perStep * flops;
  const ratio = ratioOf ? `  ${(g[ids.indexOf('wasm-simd')] / g[ids.indexOf('ts')]).toFixed(1)}x` : '';
  console.log(
    `  ${s.label.padEnd(10)} ${formOf(s).padEnd(4)} ${`${s.m}x${s.n}x${s.k}`.padEnd(14)} ${g.map((v) => pad(v.toFixed(1), 11)).join(' ')}${ratio}`,
  );
});
console.log(
  `  ${'all GEMMs of one training step'.padEnd(30)} ${ids.map((id) => pad((stepFlops / stepSeconds.get(id)! / 1e9).toFixed(1), 11)).join(' ')}  GFLOP/s; ` +
    ids
      .map(
        (id) =>
          `${id} ${(stepSeconds.get(id)! * 1000).toFixed(2)} ms/step = ${(BATCH / stepSeconds.get(id)!) | 0} samples/s if GEMM were all`,
      )
      .join('; '),
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
    `  non-GEMM work per step, TypeScript passes (CPU time): tanh ${(tTanh * 1000).toFixed(2)} ms (${hidden} values), tanh' ${(tGrad * 1000).toFixed(2)} ms, ` +
      `Adam ${(tAdam * 1000).toFixed(2)} ms (${params} parameters)` +
      (Number.isNaN(wasmStep)
        ? ''
        : `; with wasm-simd GEMM (${(wasmStep * 1000).toFixed(2)} ms) these alone cap training at ${(BATCH / (wasmStep + other)).toFixed(0)} samples/s`),
  );
  // The same passes in a compute arena (wasm SIMD, in place).
  const arena = createWasmArena();
  if (arena) {
    const ya = arena.alloc(hidden);
    ya.set(y);
    const da = arena.alloc(hidden).fill(0.01);
    const sums = arena.alloc(hidden);
    const Pa = arena.alloc(params).fill(0.01);
    const Ga = arena.alloc(params).fill(0.001);
    const adamA = new Adam(params, { lr: 1e-3, allocate: (n) => arena.alloc(n) });
    const aTanh = bestSlice(() => arena.activate('tanh', ya, 0, hidden), GEMM_SECONDS);
    const aGrad = bestSlice(() => arena.activationGradColSum('tanh', ya, da, da, BATCH, hidden / BATCH, sums, 0), GEMM_SECONDS);
    const aAdam = bestSlice(() => adamA.step(Pa, Ga), GEMM_SECONDS);
    console.log(
      `  the same in the wasm arena: tanh ${(aTanh * 1000).toFixed(3)} ms (${(tTanh / aTanh).toFixed(1)}x), tanh' + bias sums ${(aGrad * 1000).toFixed(3)} ms, ` +
        `Adam ${(aAdam * 1000).toFixed(3)} ms (${(tAdam / aAdam).toFixed(1)}x)`,
    );
  }
}

// Training and inference per configuration, with PyTorch on one and two threads: bench/speed.ts.
console.log('\ntraining and inference samples/s per configuration vs PyTorch: pnpm --filter @abc/models bench:speed');
for (const sp of splitters) sp.release();
