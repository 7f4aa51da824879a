import { Random } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { TsGemmKernel } from '../src/index.js';
import { NaiveGemmKernel } from './fixtures/naive-gemm.js';

function randomArray(rng: Random, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

describe('TsGemmKernel', () => {
  const fast = new TsGemmKernel();
  const ref = new NaiveGemmKernel();
  // Shapes straddling the micro-tile (4), the row block (64), the depth block (256) and the column block (512).
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [4, 4, 4],
    [17, 9, 300],
    [70, 13, 5],
    [100, 20, 100],
    [9, 530, 6],
    [65, 33, 513],
  ];
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`matches the naive product for ${m}x${n}x${k} transA=${transA} transB=${transB}`, () => {
          const rng = new Random(m * 1000 + n * 10 + k);
          // Leading dimensions larger than needed and non-zero offsets, to test the strides.
          const lda = (transA ? m : k) + 3;
          const ldb = (transB ? k : n) + 2;
          const ldc = n + 1;
          const A = randomArray(rng, 5 + (transA ? k : m) * lda);
          const B = randomArray(rng, 7 + (transB ? n : k) * ldb);
          const C0 = randomArray(rng, 3 + m * ldc);
          for (const [alpha, beta] of [
            [1, 0],
            [0.5, 1],
            [-2, 0.25],
          ]) {
            const c1 = Float32Array.from(C0);
            const c2 = Float32Array.from(C0);
            fast.gemm(transA, transB, m, n, k, alpha, A, 5, lda, B, 7, ldb, beta, c1, 3, ldc);
            ref.gemm(transA, transB, m, n, k, alpha, A, 5, lda, B, 7, ldb, beta, c2, 3, ldc);
            let maxErr = 0;
            for (let i = 0; i < c1.length; i++) maxErr = Math.max(maxErr, Math.abs(c1[i] - c2[i]));
            // float32 storage: a few ulps of values of size up to ~sqrt(k)
            expect(maxErr).toBeLessThan(2e-5 * Math.sqrt(k) * Math.max(1, Math.abs(alpha)));
            // Padding between rows (column ldc-1) and the prefix must be untouched.
            expect(c1[0]).toBe(C0[0]);
            for (let i = 0; i < m; i++) expect(c1[3 + i * ldc + n]).toBe(C0[3 + i * ldc + n]);
          }
        });
      }
    }
  }

  it('beta = 0 overwrites NaN in C, and results are deterministic', () => {
    const rng = new Random(1);
    const A = randomArray(rng, 30 * 40);
    const B = randomArray(rng, 40 * 50);
    const C = new Float32Array(30 * 50).fill(NaN);
    fast.gemm(false, false, 30, 50, 40, 1, A, 0, 40, B, 0, 50, 0, C, 0, 50);
    expect(C.every(Number.isFinite)).toBe(true);
    const D = new Float32Array(30 * 50);
    fast.gemm(false, false, 30, 50, 40, 1, A, 0, 40, B, 0, 50, 0, D, 0, 50);
    expect(D).toEqual(C);
  });
});
