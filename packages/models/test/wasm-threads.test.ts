import { Random } from '@abc/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runReferenceContract } from '../src/engine/contract.js';
import { createWasmSimdKernel } from '../src/engine/kernels/wasm-simd.js';
import { createWasmSimdThreadsKernel, type WasmSimdThreadsGemmKernel } from '../wasm/wasm-simd-threads.js';

const made: WasmSimdThreadsGemmKernel[] = [];
const make = (...args: Parameters<typeof createWasmSimdThreadsKernel>) => {
  const k = createWasmSimdThreadsKernel(...args);
  made.push(k);
  return k;
};
afterAll(() => {
  for (const k of made) k.dispose();
});

function rand(rng: Random, n: number): Float32Array {
  return new Float32Array(n).map(() => rng.uniform(-1, 1));
}

describe('wasm-simd-2t (two threads, Node only)', () => {
  it('gives bit-identical results to the one-thread kernel in every form, split by rows or columns', () => {
    const one = createWasmSimdKernel();
    const two = make({ mode: 'always', minFlops: 0 });
    expect(two.threaded).toBe(true);
    const rng = new Random(5);
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      for (const [m, n, k] of [
        [100, 300, 784],
        [784, 300, 100],
        [100, 784, 300],
        [37, 45, 300],
        [301, 17, 200],
        [9, 530, 6],
        [3, 5, 7],
      ]) {
        const lda = (ta ? m : k) + 1;
        const ldb = (tb ? k : n) + 2;
        const ldc = n + 3;
        const A = rand(rng, 1 + lda * (ta ? k : m));
        const B = rand(rng, 2 + ldb * (tb ? n : k));
        const C = rand(rng, 4 + ldc * m);
        for (const beta of [0, 1, 0.5]) {
          const c1 = C.slice();
          const c2 = C.slice();
          one.gemm(ta, tb, m, n, k, 0.75, A, 1, lda, B, 2, ldb, beta, c1, 4, ldc);
          two.gemm(ta, tb, m, n, k, 0.75, A, 1, lda, B, 2, ldb, beta, c2, 4, ldc);
          expect(Buffer.from(c2.buffer).equals(Buffer.from(c1.buffer)), `${ta}${tb} ${m}x${n}x${k} beta ${beta}`).toBe(true);
        }
      }
    }
  });

  it('grows its shared memory for a large product', () => {
    const two = make({ mode: 'always', minFlops: 0 });
    const one = createWasmSimdKernel();
    const rng = new Random(6);
    const [m, n, k] = [500, 900, 700];
    const A = rand(rng, m * k);
    const B = rand(rng, k * n);
    const c1 = new Float32Array(m * n);
    const c2 = new Float32Array(m * n);
    one.gemm(false, false, m, n, k, 1, A, 0, k, B, 0, n, 0, c1, 0, n);
    two.gemm(false, false, m, n, k, 1, A, 0, k, B, 0, n, 0, c2, 0, n);
    expect(Buffer.from(c2.buffer).equals(Buffer.from(c1.buffer))).toBe(true);
  });

  it("calibrates in 'auto' mode and uses the worker only when it was faster", () => {
    const k = make();
    expect(k.calibration).not.toBeNull();
    const c = k.calibration!;
    expect(c.oneThread).toBeGreaterThan(0);
    expect(c.twoThreads).toBeGreaterThan(0);
    expect(k.threaded).toBe(c.twoThreads <= 0.9 * c.oneThread);
    expect(make({ mode: 'never' }).threaded).toBe(false);
  });

  it('reproduces the contract run of the one-thread kernel (copying path) bit for bit', () => {
    const a = runReferenceContract({ n: 300, warm: 2, inferBatches: [100], kernel: createWasmSimdKernel(), arena: false });
    const b = runReferenceContract({ n: 300, warm: 2, inferBatches: [100], kernel: make({ mode: 'always' }) });
    expect([b.firstLoss, b.lastLoss, b.score0]).toEqual([a.firstLoss, a.lastLoss, a.score0]);
  });

  it('runs on the calling thread after dispose', () => {
    const k = make({ mode: 'always', minFlops: 0 });
    k.dispose();
    expect(k.threaded).toBe(false);
    const C = new Float32Array(4);
    k.gemm(false, false, 2, 2, 1, 1, new Float32Array([1, 2]), 0, 1, new Float32Array([3, 4]), 0, 2, 0, C, 0, 2);
    expect([...C]).toEqual([3, 4, 6, 8]);
  });
});
