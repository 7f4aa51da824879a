import { Random } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { activate, activationGrad, DenseNetwork, GRAD_FLUSH, LEAKY_SLOPE } from '../src/dense.js';
import { createWasmArena, wasmArenaUnavailableReason, type WasmArena } from '../src/kernels/wasm-arena.js';
import { createWasmSimdKernel } from '../src/kernels/wasm-simd.js';

// The arena's leakyRelu pass (wasm/ops.c, slope 0.01 built in) against the TypeScript passes of src/dense.ts:
// bit for bit, forward and backward, and a network trained on the arena against the copying path.

function newArena(): WasmArena {
  const arena = createWasmArena();
  if (!arena) throw new Error(`no arena here: ${wasmArenaUnavailableReason()}`);
  return arena;
}

/** Fills an arena view in place (TypedArray.map would make a copy outside the arena). */
function fill(a: Float32Array, f: () => number): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = f();
  return a;
}

/** Bit patterns, so that −0, NaN and one-ulp differences all count. */
const bits = (a: Float32Array): Uint32Array => new Uint32Array(Float32Array.from(a).buffer);

describe('leakyRelu in the wasm arena', () => {
  it('activate equals the TypeScript pass bit for bit (±0, tiny, huge, ±Inf, NaN, an odd tail)', () => {
    const arena = newArena();
    const values = [
      0,
      -0,
      1e-45,
      -1e-45,
      1e-38,
      -1e-38,
      -3e-39,
      0.5,
      -0.5,
      -1,
      -3.3,
      1e30,
      -1e30,
      -3.4e38,
      Infinity,
      -Infinity,
      NaN,
    ];
    const rng = new Random(1);
    for (let i = 0; i < 1000; i++) values.push(rng.uniform(-10, 10), rng.normal(0, 1e-3), -(10 ** rng.uniform(-44, 38)));
    const v = arena.alloc(values.length);
    v.set(values);
    const want = Float32Array.from(values);
    activate('leakyRelu', want, want.length);
    arena.activate('leakyRelu', v, 0, v.length);
    expect(bits(v)).toEqual(bits(want));
    expect(LEAKY_SLOPE).toBe(0.01);
  });

  it('biasActivate and activationGradColSum equal the TypeScript passes (odd widths, dZ aliasing dA)', () => {
    const arena = newArena();
    const rng = new Random(2);
    for (const [rows, n] of [
      [1, 1],
      [7, 5],
      [33, 20],
      [64, 129],
    ]) {
      const C = fill(arena.alloc(rows * n), () => rng.uniform(-3, 3));
      const bias = fill(arena.alloc(n + 2), () => rng.uniform(-1, 1));
      const want = Float32Array.from(C, (c, i) => c + bias[1 + (i % n)]);
      activate('leakyRelu', want, want.length);
      arena.biasActivate('leakyRelu', C, 0, rows, n, bias, 1);
      expect(bits(C)).toEqual(bits(want));
      C[0] = 0; // x = 0: the slope, as PyTorch's gradient
      const dA = fill(arena.alloc(rows * n), () => rng.uniform(-1, 1));
      dA[1 % dA.length] = 1e-23; // · 0.01 is under GRAD_FLUSH where y < 0
      const dA0 = dA[0];
      const dZwant = new Float32Array(rows * n);
      activationGrad('leakyRelu', C, Float32Array.from(dA), dZwant, rows * n);
      const sums = arena.alloc(n);
      arena.activationGradColSum('leakyRelu', C, dA, dA, rows, n, sums, 0);
      expect(bits(dA)).toEqual(bits(dZwant));
      if (n > 1) expect(dA[0]).toBe(Math.fround(dA0 * 0.01));
      if (n > 1 && C[1] <= 0) expect(dA[1]).toBe(0);
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += dZwant[i * n + j];
        expect(Math.abs(sums[j] - s)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(s)));
      }
    }
    expect(GRAD_FLUSH).toBe(2 ** -80);
  });

  it('a leakyRelu network trains on the arena as on the copying path (same kernel, 30 Adam steps)', () => {
    const kernel = createWasmSimdKernel();
    const spec = { sizes: [6, 16, 8, 4], activations: ['leakyRelu', 'leakyRelu', 'linear'] as const, bias: false };
    const onArena = new DenseNetwork({ ...spec, activations: [...spec.activations] }, { kernel }).initGlorot(new Random(3));
    const copying = new DenseNetwork(onArena.spec, { kernel, arena: false, params: onArena.params });
    expect(onArena.arena).not.toBeNull();
    expect(copying.arena).toBeNull();
    const rng = new Random(4);
    const X = Float32Array.from({ length: 64 * 6 }, () => rng.normal(0, 1));
    const centre = Float32Array.of(0.3, -0.2, 0.1, 0.5);
    const sq = (out: Float32Array, rows: number, cols: number, dOut: Float32Array): number => {
      let total = 0;
      for (let k = 0; k < rows * cols; k++) {
        const e = out[k] - centre[k % cols];
        total += e * e;
        dOut[k] = (2 * e) / rows;
      }
      return total / rows;
    };
    const a = onArena.createAdam({ lr: 1e-2 });
    const c = copying.createAdam({ lr: 1e-2 });
    let worst = 0;
    for (let step = 0; step < 30; step++) {
      const la = onArena.trainStep(X, 0, 64, sq, a);
      const lc = copying.trainStep(X, 0, 64, sq, c);
      worst = Math.max(worst, Math.abs(la - lc) / lc);
    }
    expect(worst).toBeLessThan(1e-5);
    let pw = 0;
    for (let i = 0; i < onArena.size; i++) pw = Math.max(pw, Math.abs(onArena.params[i] - copying.params[i]));
    expect(pw).toBeLessThan(1e-5);
  });
});
