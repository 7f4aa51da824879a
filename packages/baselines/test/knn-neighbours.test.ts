import { describe, expect, it } from 'vitest';
import { AbortError, Random, matrix, type Matrix } from '@abc/core';
import { TsGemmKernel } from '@abc/engine';
import { CandidateHeaps, bruteForceRow, kNearest } from '../src/neighbours/index.js';

function randomMatrix(rng: Random, rows: number, cols: number, scale = 1, offset = 0): Matrix {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = offset + scale * rng.normal();
  return matrix(data, rows, cols);
}

/** Brute force in float64: every pair, sorted by (distance, index). */
function brute(ref: Matrix, query: Matrix, k: number, loo: boolean): { sq: Float64Array; idx: Int32Array } {
  const sq = new Float64Array(query.rows * k);
  const idx = new Int32Array(query.rows * k);
  for (let q = 0; q < query.rows; q++) {
    const all: [number, number][] = [];
    for (let j = 0; j < ref.rows; j++) {
      if (loo && j === q) continue;
      let s = 0;
      for (let c = 0; c < ref.cols; c++) s += (query.data[q * ref.cols + c] - ref.data[j * ref.cols + c]) ** 2;
      all.push([s, j]);
    }
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (let t = 0; t < k; t++) {
      sq[q * k + t] = all[t][0];
      idx[q * k + t] = all[t][1];
    }
  }
  return { sq, idx };
}

/** Both algorithms (the blocked GEMM pass and the k-d tree) give the brute force's distances and indices exactly. */
async function expectExact(
  ref: Matrix,
  query: Matrix,
  k: number,
  loo: boolean,
  opts: { queryBlock?: number; referenceBlock?: number; extraCandidates?: number } = {},
) {
  const want = brute(ref, loo ? ref : query, k, loo);
  const results = [];
  for (const algorithm of ['blocked', 'kdtree'] as const) {
    const got = await kNearest(ref, loo ? ref : query, { k, leaveOneOut: loo, algorithm, ...opts });
    for (let i = 0; i < want.sq.length; i++) {
      if (got.distances[i] !== Math.sqrt(want.sq[i]) || got.indices[i] !== want.idx[i]) {
        expect.fail(
          `${algorithm}: row ${Math.floor(i / k)} place ${i % k}: got ${got.indices[i]} at ${got.distances[i]}, want ${want.idx[i]} at ${Math.sqrt(want.sq[i])}`,
        );
      }
    }
    results.push(got);
  }
  return results[0];
}

describe('neighbours: CandidateHeaps', () => {
  it('keeps the smallest keys, lower id first among equal keys', () => {
    const h = new CandidateHeaps(1, 3);
    for (const [key, id] of [
      [5, 0],
      [1, 1],
      [4, 2],
      [2, 3],
      [2, 9],
      [2, 4],
      [0, 8],
    ] as const)
      if (h.accepts(0, key, id)) h.push(0, key, id);
    const kept = Array.from({ length: 3 }, (_, t) => [h.keys[t], h.ids[t]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(kept).toEqual([
      [0, 8],
      [1, 1],
      [2, 3],
    ]);
  });
});

describe('neighbours: kNearest against brute force in float64', () => {
  it('random data, several block shapes, leave-one-out and new rows', async () => {
    const rng = new Random(3);
    const ref = randomMatrix(rng, 301, 7);
    const query = randomMatrix(rng, 97, 7, 1.5);
    for (const [queryBlock, referenceBlock] of [
      [256, 4096],
      [1, 1],
      [7, 13],
      [64, 300],
      [300, 64],
    ]) {
      await expectExact(ref, query, 5, true, { queryBlock, referenceBlock });
      await expectExact(ref, query, 5, false, { queryBlock, referenceBlock });
    }
  });

  it('k near n, k = n − 1 in leave-one-out, k = n for new rows, no extra candidates', async () => {
    const rng = new Random(4);
    const ref = randomMatrix(rng, 40, 3);
    const query = randomMatrix(rng, 11, 3);
    await expectExact(ref, query, 39, true, { queryBlock: 8, referenceBlock: 16 });
    await expectExact(ref, query, 40, false, { queryBlock: 8, referenceBlock: 16 });
    await expectExact(ref, query, 35, true, { extraCandidates: 0, referenceBlock: 7 });
    await expectExact(ref, query, 1, false, { extraCandidates: 0 });
  });

  it('duplicates and ties: integer grid rows, many copies of some, a constant column (the second pass)', async () => {
    const rng = new Random(5);
    const rows = 200;
    const data = new Float32Array(rows * 4);
    for (let i = 0; i < rows; i++) {
      const src = i < 60 ? i % 3 : i; // rows 0-59 are 20 copies each of three rows
      const r = new Random(src);
      for (let c = 0; c < 3; c++) data[i * 4 + c] = r.int(4);
      data[i * 4 + 3] = 2.5;
    }
    const ref = matrix(data, rows, 4);
    const query = matrix(Float32Array.from(data.subarray(0, 80)), 20, 4);
    let rescanned = 0;
    for (const k of [1, 5, 19, 25, 60]) {
      rescanned += (await expectExact(ref, query, k, true, { queryBlock: 32, referenceBlock: 50 })).fallbackRows;
      rescanned += (await expectExact(ref, query, k, false, { queryBlock: 32, referenceBlock: 50 })).fallbackRows;
    }
    // Grid ties defeat the k + 8 candidates of many rows: the wider second pass ran, and was exact.
    expect(rescanned).toBeGreaterThan(0);
    console.log(`grid ties: ${rescanned} query rows needed the second pass`);
    void rng;
  });

  it('a lopsided tree (half the rows equal at each level) and a single distinct value: still exact', async () => {
    const n = 2048;
    const data = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      data[i * 2] = Math.floor(Math.log2(n / (n - i))); // 1024 zeros, 512 ones, 256 twos, ...
      data[i * 2 + 1] = i === 7 ? 1 : 0;
    }
    const ref = matrix(data, n, 2);
    const query = matrix(Float32Array.of(0, 0, 0.5, 0.5, 9, 0, 3, 1), 4, 2);
    for (const k of [1, 5, 30]) {
      await expectExact(ref, query, k, false);
      await expectExact(ref, matrix(data.slice(0, 40), 20, 2), k, false);
    }
  });

  it('a large offset (values ~1e4, spread ~1): float32 candidates still exact (centring), fallback counted', async () => {
    const rng = new Random(6);
    const ref = randomMatrix(rng, 500, 5, 1, 1e4);
    const query = randomMatrix(rng, 50, 5, 1, 1e4);
    const got = await expectExact(ref, query, 10, false);
    const loo = await expectExact(ref, query, 10, true, { referenceBlock: 100 });
    console.log(`offset 1e4: fallback rows ${got.fallbackRows}/50 new, ${loo.fallbackRows}/500 leave-one-out`);
  });

  it('works the same on the TypeScript GEMM kernel', async () => {
    const rng = new Random(8);
    const ref = randomMatrix(rng, 120, 9);
    const a = await kNearest(ref, ref, { k: 6, leaveOneOut: true, kernel: new TsGemmKernel() });
    const b = await kNearest(ref, ref, { k: 6, leaveOneOut: true });
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    expect(Array.from(a.distances)).toEqual(Array.from(b.distances));
  });

  it('reuseIndex: later calls on the same reference array give the same results from the kept index', async () => {
    const rng = new Random(11);
    for (const d of [3, 9]) {
      const ref = randomMatrix(rng, 400, d);
      const query = randomMatrix(rng, 60, d);
      const fresh = await kNearest(ref, query, { k: 7 });
      for (let round = 0; round < 2; round++) {
        const kept = await kNearest(ref, query, { k: 7, reuseIndex: true });
        expect(Array.from(kept.indices)).toEqual(Array.from(fresh.indices));
        expect(Array.from(kept.distances)).toEqual(Array.from(fresh.distances));
      }
    }
  });

  it("'auto' keeps the k-d tree where it is cheap (low intrinsic dimension) and goes blocked where not, same results", async () => {
    const rng = new Random(12);
    const n = 4096;
    const d = 10;
    const flat = new Float32Array(n * d); // a 2-D plane inside 10 dimensions
    for (let i = 0; i < n; i++) {
      const a = rng.normal();
      const b = rng.normal();
      for (let c = 0; c < d; c++) flat[i * d + c] = a * (c + 1) * 0.1 + b * (d - c) * 0.1;
    }
    const wide = randomMatrix(rng, n, 16);
    for (const [X, want] of [
      [matrix(flat, n, d), 'kdtree'],
      [wide, 'blocked'],
    ] as const) {
      const auto = await kNearest(X, X, { k: 5, leaveOneOut: true });
      const blocked = await kNearest(X, X, { k: 5, leaveOneOut: true, algorithm: 'blocked' });
      expect(auto.algorithm).toBe(want);
      expect(Array.from(auto.indices)).toEqual(Array.from(blocked.indices));
      expect(Array.from(auto.distances)).toEqual(Array.from(blocked.distances));
    }
  });

  it('bruteForceRow skips the given row', () => {
    const ref = Float32Array.of(0, 5, 1, 0.9);
    const sq = new Float64Array(2);
    const idx = new Int32Array(2);
    bruteForceRow(ref, 4, Float32Array.of(0.9), 0, 1, 2, 3, sq, idx, 0);
    expect(Array.from(idx)).toEqual([2, 0]);
  });

  it('rejects a bad k and stops between blocks on abort', async () => {
    const rng = new Random(9);
    const ref = randomMatrix(rng, 50, 2);
    await expect(kNearest(ref, ref, { k: 50, leaveOneOut: true })).rejects.toThrow(/"k"/);
    await expect(kNearest(ref, ref, { k: 0 })).rejects.toThrow(/"k"/);
    const ctrl = new AbortController();
    let blocks = 0;
    const run = kNearest(ref, ref, {
      k: 3,
      queryBlock: 10,
      signal: ctrl.signal,
      onBlock: () => {
        blocks++;
        ctrl.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(blocks).toBe(1);
  });

  it('reports one progress call per query block', async () => {
    const rng = new Random(10);
    const ref = randomMatrix(rng, 1000, 3);
    const seen: [number, number][] = [];
    await kNearest(ref, ref, { k: 5, leaveOneOut: true, onBlock: (d, t) => seen.push([d, t]) });
    expect(seen).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
  });
});
