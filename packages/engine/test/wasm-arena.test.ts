import { Random, type Activation } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { Adam } from '../src/adam.js';
import { arenaOf } from '../src/kernels/arena.js';
import { DenseNetwork, GRAD_FLUSH, activate, activationGrad } from '../src/dense.js';
import { TsGemmKernel } from '../src/kernels/ts-gemm.js';
import type { GemmKernel } from '../src/kernels/types.js';
import { NaiveGemmKernel } from './fixtures/naive-gemm.js';
import { ReconstructionObjective, batchDistances, rowDistance } from '../src/losses.js';
import { runReferenceContract } from '../bench/contract.js';
import { createWasmArena, wasmArenaUnavailableReason, type WasmArena } from '../src/kernels/wasm-arena.js';
import { createWasmSimdKernel } from '../src/kernels/wasm-simd.js';

function newArena(): WasmArena {
  const arena = createWasmArena();
  if (!arena) throw new Error(`no arena here: ${wasmArenaUnavailableReason()}`);
  return arena;
}

function randomInto(a: Float32Array, rng: Random, lo = -1, hi = 1): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(lo, hi);
  return a;
}

/** Distance in float32 units in the last place (both finite, same sign region). */
function ulps(a: number, b: number): number {
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  const key = (x: number) => (x < 0 ? 0x80000000 - x : x); // monotone order of float bit patterns
  return Math.abs(key(i[0]) - key(i[1]));
}

describe('wasm compute arena', () => {
  it('is available in Node (shared WebAssembly memory)', () => {
    expect(wasmArenaUnavailableReason()).toBeNull();
    expect(createWasmSimdKernel().createArena()).not.toBeNull();
  });

  it('tanh and sigmoid are within a few float32 ulps of the exact functions; relu and linear exact; NaN and ±Inf handled', () => {
    const arena = newArena();
    const values: number[] = [
      0,
      -0,
      1e-30,
      -1e-30,
      1e-8,
      1e-4,
      0.3,
      0.6249,
      0.625,
      0.6251,
      1,
      2,
      5,
      8.9,
      9.1,
      15,
      40,
      90,
      200,
      Infinity,
      -Infinity,
    ];
    for (let x = -12; x <= 12; x += 0.0137) values.push(x);
    for (let e = -20; e <= 2; e += 0.37) values.push(10 ** e, -(10 ** e));
    const exact: Record<Activation, (x: number) => number> = {
      tanh: Math.tanh,
      sigmoid: (x) => 1 / (1 + Math.exp(-x)),
      relu: (x) => Math.max(x, 0),
      linear: (x) => x,
      leakyRelu: (x) => (x < 0 ? 0.01 * x : x), // swept in test/wasm-leaky.test.ts
    };
    const limits: Record<Activation, number> = { tanh: 4, sigmoid: 4, relu: 0, linear: 0, leakyRelu: 0 };
    for (const act of ['tanh', 'sigmoid', 'relu', 'linear'] as Activation[]) {
      const n = values.length + 2; // + NaN, and a tail that is not a multiple of 4
      const v = arena.alloc(n);
      v.set(values);
      v[values.length] = NaN;
      v[values.length + 1] = 0.5;
      arena.activate(act, v, 0, n);
      let worst = 0;
      for (let i = 0; i < values.length; i++) {
        const want = Math.fround(exact[act](Math.fround(values[i])));
        // Below float32's normal range sigmoid's exact value underflows differently: compare absolutely there.
        const err = Math.abs(want) < 1e-30 ? (Math.abs(v[i] - want) < 1e-30 ? 0 : Infinity) : ulps(v[i], want);
        worst = Math.max(worst, err);
        if (err > limits[act]) throw new Error(`${act}(${values[i]}) = ${v[i]}, exact ${want} (${err} ulps)`);
      }
      expect(worst).toBeLessThanOrEqual(limits[act]);
      if (act !== 'linear') expect(v[values.length]).toBeNaN();
    }
    const t = arena.alloc(3);
    t.set([Infinity, -Infinity, 0]);
    arena.activate('tanh', t, 0, 3);
    expect([...t]).toEqual([1, -1, 0]);
  });

  it('biasActivate and activationGradColSum match the TypeScript passes (odd widths, aliasing dZ = dA)', () => {
    const arena = newArena();
    const rng = new Random(3);
    for (const act of ['tanh', 'sigmoid', 'relu', 'linear'] as Activation[]) {
      for (const [rows, n] of [
        [1, 1],
        [7, 5],
        [33, 20],
        [100, 300],
      ]) {
        const C = randomInto(arena.alloc(rows * n), rng, -3, 3);
        const bias = randomInto(arena.alloc(n + 3), rng);
        const want = new Float32Array(rows * n);
        for (let i = 0; i < rows * n; i++) want[i] = C[i] + bias[2 + (i % n)];
        activate(act, want, rows * n);
        arena.biasActivate(act, C, 0, rows, n, bias, 2);
        let worst = 0;
        for (let i = 0; i < rows * n; i++) worst = Math.max(worst, Math.abs(C[i] - want[i]) / Math.max(1, Math.abs(want[i])));
        expect(worst).toBeLessThanOrEqual(4e-7);

        const dA = randomInto(arena.alloc(rows * n), rng);
        const dAcopy = Float32Array.from(dA);
        const dZwant = new Float32Array(rows * n);
        activationGrad(act, C, dAcopy, dZwant, rows * n);
        const sums = arena.alloc(n + 1);
        sums[n] = 42; // past the end: untouched
        arena.activationGradColSum(act, C, dA, dA, rows, n, sums, 0); // in place
        let worstGrad = 0;
        for (let i = 0; i < rows * n; i++) worstGrad = Math.max(worstGrad, Math.abs(dA[i] - dZwant[i]));
        expect(worstGrad).toBeLessThanOrEqual(1e-7);
        let worstSum = 0;
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let i = 0; i < rows; i++) s += dZwant[i * n + j];
          worstSum = Math.max(worstSum, Math.abs(sums[j] - s) / Math.max(1, Math.abs(s)));
        }
        expect(worstSum).toBeLessThanOrEqual(1e-5);
        expect(sums[n]).toBe(42);
      }
    }
  });

  it('both backward passes flush gradients under GRAD_FLUSH (2^-80) to zero, keep NaN, and keep everything above', () => {
    expect(GRAD_FLUSH).toBe(2 ** -80);
    const arena = newArena();
    const denormal = 1e-40;
    const dAvalues = [
      denormal,
      -denormal,
      1e-30,
      -GRAD_FLUSH / 2,
      GRAD_FLUSH,
      -GRAD_FLUSH * 1.5,
      1e-20,
      0.25,
      -3,
      NaN,
      0,
      -0,
      7e-26,
    ];
    const count = dAvalues.length;
    for (const act of ['tanh', 'sigmoid', 'relu', 'linear'] as Activation[]) {
      const y = arena.alloc(count);
      y.fill(act === 'relu' ? 1 : 0.5);
      const slope = act === 'tanh' ? 0.75 : act === 'sigmoid' ? 0.25 : 1;
      const dA = arena.alloc(count);
      dA.set(dAvalues);
      const js = new Float32Array(count);
      activationGrad(act, y, Float32Array.from(dAvalues), js, count);
      const dZ = arena.alloc(count);
      arena.activationGradColSum(act, y, dA, dZ, 1, count, arena.alloc(count), 0);
      for (let i = 0; i < count; i++) {
        const exact = Math.fround(dAvalues[i] * slope);
        const want = Number.isNaN(exact) ? NaN : Math.abs(exact) < GRAD_FLUSH ? 0 : exact;
        expect(js[i], `${act} js ${dAvalues[i]}`).toBe(want === 0 ? 0 : want);
        expect(dZ[i], `${act} wasm ${dAvalues[i]}`).toBe(want === 0 ? 0 : want);
      }
    }
  });

  it('no denormal gradient reaches the products of a training step (the ABC loss of the PyTorch contract makes many)', () => {
    // Anomalies with a large L get gradients near e^-L: 2.5% of this contract's dZ values were denormal before
    // the flush, and x86 multiplies denormals in microcode.
    const arena = newArena();
    let denormals = 0;
    let values = 0;
    const original = arena.activationGradColSum.bind(arena);
    arena.activationGradColSum = (act, y, dA, dZ, rows, n, colSum, colSumOffset) => {
      original(act, y, dA, dZ, rows, n, colSum, colSumOffset);
      for (let i = 0; i < rows * n; i++) if (dZ[i] !== 0 && Math.abs(dZ[i]) < 1.1754943508222875e-38) denormals++;
      values += rows * n;
    };
    const kernel = Object.assign(Object.create(createWasmSimdKernel()) as GemmKernel, { createArena: () => arena });
    const r = runReferenceContract({ n: 2000, kernel, inferBatches: [] });
    expect([r.firstLoss.toFixed(2), r.lastLoss.toFixed(2), r.score0.toFixed(3)]).toEqual(['46.79', '33.66', '62.188']);
    expect(values).toBeGreaterThan(0);
    expect(denormals).toBe(0);
  });

  it('Adam in the arena follows the TypeScript Adam over many steps (float32, PyTorch order)', () => {
    const arena = newArena();
    const rng = new Random(5);
    const size = 1003; // not a multiple of 4: exercises the scalar tail
    const pA = randomInto(arena.alloc(size), rng);
    const gA = arena.alloc(size);
    const pJ = Float32Array.from(pA);
    const gJ = new Float32Array(size);
    const optA = new Adam(size, { lr: 1e-2, allocate: (n) => arena.alloc(n) });
    const optJ = new Adam(size, { lr: 1e-2 });
    expect(arenaOf(pA, gA, optA.m, optA.v)).toBe(arena);
    expect(arenaOf(pJ, gJ, optJ.m, optJ.v)).toBeNull();
    for (let t = 0; t < 50; t++) {
      randomInto(gJ, rng, -2, 2);
      gA.set(gJ);
      optA.step(pA, gA);
      optJ.step(pJ, gJ);
    }
    let worst = 0;
    for (let i = 0; i < size; i++) worst = Math.max(worst, Math.abs(pA[i] - pJ[i]));
    expect(worst).toBeLessThan(1e-6);
    expect(Math.abs(optA.v[10] - optJ.v[10])).toBeLessThan(1e-6 * Math.max(1, optJ.v[10]));
  });

  it('views handed out before the memory grows stay valid and keep working in every pass', () => {
    const arena = newArena();
    const early = arena.alloc(16);
    early.fill(2);
    const before = arena.memoryBytes;
    const big = arena.alloc(8 * 1024 * 1024); // 32 MiB: forces growth
    expect(arena.memoryBytes).toBeGreaterThan(before);
    expect(big.length).toBe(8 * 1024 * 1024);
    expect(early.length).toBe(16);
    expect(early[3]).toBe(2);
    expect(arena.owns(early) && arena.owns(big)).toBe(true);
    const bias = arena.alloc(4);
    bias.fill(1);
    arena.biasActivate('linear', early, 0, 4, 4, bias, 0);
    expect(early[15]).toBe(3);
    big[0] = 7; // same memory: a new view over the old address sees it
    expect(arena.alloc(1)[0]).toBe(0);
  });

  it('gemm on resident, foreign and mixed operands (strides, offsets, every form) matches the reference', () => {
    const arena = newArena();
    const naive = new NaiveGemmKernel();
    const rng = new Random(9);
    for (const [tA, tB] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      for (const residency of [0, 1, 2, 3, 4, 5, 6, 7]) {
        const m = 13;
        const n = 11;
        const k = 9;
        const lda = (tA ? m : k) + 2;
        const ldb = (tB ? k : n) + 1;
        const ldc = n + 3;
        const aLen = (tA ? k : m) * lda + 5;
        const bLen = (tB ? n : k) * ldb + 5;
        const cLen = m * ldc + 5;
        const make = (len: number, resident: boolean) => randomInto(resident ? arena.alloc(len) : new Float32Array(len), rng);
        const A = make(aLen, (residency & 1) !== 0);
        const B = make(bLen, (residency & 2) !== 0);
        const C = make(cLen, (residency & 4) !== 0);
        const want = Float32Array.from(C);
        naive.gemm(tA, tB, m, n, k, 0.5, A, 3, lda, B, 2, ldb, 0.25, want, 4, ldc);
        arena.gemm(tA, tB, m, n, k, 0.5, A, 3, lda, B, 2, ldb, 0.25, C, 4, ldc);
        for (let i = 0; i < cLen; i++) expect(Math.abs(C[i] - want[i])).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it('the reconstruction objective in the arena matches the TypeScript loop (each kind and distance)', () => {
    const arena = newArena();
    const rng = new Random(12);
    const rows = 13;
    const cols = 787; // a tail after the vectors
    const target = randomInto(new Float32Array(2 + rows * cols), rng, 0, 1);
    const outJs = randomInto(new Float32Array(rows * cols), rng, 0, 1);
    const outA = arena.alloc(rows * cols);
    outA.set(outJs);
    const labels = Uint8Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? 1 : 0));
    for (const kind of ['ae', 'abc', 'lrc'] as const) {
      for (const distance of ['meanSquared', 'squaredL2', 'l2'] as const) {
        const a = new ReconstructionObjective(kind, distance, cols);
        const b = new ReconstructionObjective(kind, distance, cols);
        const dA = arena.alloc(rows * cols);
        const dJ = new Float32Array(rows * cols);
        const va = a.compute(outA, target, 2, labels, rows, dA);
        const vj = b.compute(outJs, target, 2, labels, rows, dJ);
        expect(Math.abs(va - vj)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(vj)));
        for (let i = 0; i < rows; i++) expect(Math.abs(a.L[i] - b.L[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, b.L[i]));
        let differ = 0;
        for (let i = 0; i < rows * cols; i++) if (dA[i] !== dJ[i]) differ++;
        // Same formula rounded once; only a last-bit difference of L (summation order) can move a value.
        expect(differ).toBeLessThanOrEqual(rows * cols * 0.001);
      }
    }
  });

  it('batchDistances: the arena path (output in the arena) and the TypeScript path agree for each distance, at an offset', () => {
    const arena = newArena();
    const rng = new Random(13);
    const rows = 11;
    const cols = 787;
    const target = randomInto(new Float32Array(5 + rows * cols), rng, 0, 1);
    const outJs = randomInto(new Float32Array(rows * cols), rng, 0, 1);
    const outA = arena.alloc(rows * cols);
    outA.set(outJs);
    for (const distance of ['meanSquared', 'squaredL2', 'l2'] as const) {
      const viaArena = new Float64Array(rows + 3).fill(-1);
      const viaJs = new Float64Array(rows + 3).fill(-1);
      batchDistances(distance, outA, target, 5, rows, cols, viaArena, 2);
      batchDistances(distance, outJs, target, 5, rows, cols, viaJs, 2);
      expect([viaArena[0], viaArena[1], viaArena[rows + 2]]).toEqual([-1, -1, -1]); // outside out[2 .. 2 + rows)
      for (let i = 0; i < rows; i++) {
        expect(viaJs[2 + i]).toBe(rowDistance(distance, target, 5 + i * cols, outJs, i * cols, cols));
        expect(Math.abs(viaArena[2 + i] - viaJs[2 + i])).toBeLessThanOrEqual(1e-12 * viaJs[2 + i]);
      }
    }
  });

  it('refuses an element-wise pass on an array outside the arena, with a message that says so', () => {
    const arena = newArena();
    expect(() => arena.biasActivate('tanh', new Float32Array(4), 0, 1, 4, arena.alloc(4), 0)).toThrow(
      /does not live in this arena/,
    );
    expect(() => arena.alloc(-1)).toThrow(/cannot allocate/);
  });
});

describe('DenseNetwork on the arena', () => {
  const spec = { sizes: [12, 9, 3, 9, 12], activations: ['tanh', 'sigmoid', 'relu', 'linear'] as Activation[] };

  function trainLosses(kernel: GemmKernel, arena: boolean, steps: number): { losses: number[]; net: DenseNetwork } {
    const net = new DenseNetwork(spec, { kernel, arena }).initGlorot(new Random(1));
    const adam = net.createAdam({ lr: 1e-2 });
    const obj = new ReconstructionObjective('abc', 'meanSquared', 12);
    const rng = new Random(2);
    const X = randomInto(new Float32Array(40 * 12), rng, 0, 1);
    const labels = Uint8Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const start = (s % 4) * 10;
      const lb = labels.subarray(start, start + 10);
      losses.push(
        net.trainStep(X, start * 12, 10, (out, rows, _c, dOut) => obj.compute(out, X, start * 12, lb, rows, dOut), adam),
      );
    }
    return { losses, net };
  }

  it('keeps params, grads, workspaces and Adam moments in the arena and trains like the copying path', () => {
    const kernel = createWasmSimdKernel();
    const a = trainLosses(kernel, true, 60);
    const b = trainLosses(kernel, false, 60);
    const ts = trainLosses(new TsGemmKernel(), true, 60);
    expect(a.net.arena).not.toBeNull();
    expect(b.net.arena).toBeNull();
    expect(ts.net.arena).toBeNull(); // the TS kernel has no arena: ordinary arrays
    expect(a.net.arena!.owns(a.net.params) && a.net.arena!.owns(a.net.grads)).toBe(true);
    for (let s = 0; s < 60; s++) {
      expect(a.losses[s]).toBeCloseTo(b.losses[s], 4);
      expect(a.losses[s]).toBeCloseTo(ts.losses[s], 4);
    }
    // It learns: the last pass over the four batches has a lower mean loss than the first.
    const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
    expect(mean(a.losses.slice(56))).toBeLessThan(mean(a.losses.slice(0, 4)));
  });

  it('backward takes a dOutput and writes a dInput outside the arena; clone gets its own arena', () => {
    const kernel = createWasmSimdKernel();
    const net = new DenseNetwork(spec, { kernel }).initGlorot(new Random(4));
    const ref = new DenseNetwork(spec, { kernel: new TsGemmKernel(), params: net.params });
    const X = randomInto(new Float32Array(5 * 12), new Random(6));
    const dOut = randomInto(new Float32Array(5 * 12), new Random(7));
    const dIn = new Float32Array(5 * 12);
    const dInRef = new Float32Array(5 * 12);
    net.forward(X, 0, 5);
    net.backward(dOut, dIn);
    ref.forward(X, 0, 5);
    ref.backward(dOut, dInRef);
    for (let i = 0; i < dIn.length; i++) expect(dIn[i]).toBeCloseTo(dInRef[i], 5);
    for (let i = 0; i < net.grads.length; i++) expect(net.grads[i]).toBeCloseTo(ref.grads[i], 5);
    const copy = net.clone();
    expect(copy.arena).not.toBeNull();
    expect(copy.arena).not.toBe(net.arena);
    expect([...copy.params]).toEqual([...net.params]);
    // A larger batch grows the workspaces; the parameter view stays the same object and keeps its values.
    const params = net.params;
    const before = Float32Array.from(params);
    net.predict(randomInto(new Float32Array(3000 * 12), new Random(8)), 3000, undefined, 3000);
    expect(net.params).toBe(params);
    expect([...params]).toEqual([...before]);
  });
});
