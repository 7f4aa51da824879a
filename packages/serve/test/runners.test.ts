import { afterAll, describe, expect, it } from 'vitest';
import { createDetector } from '@abc/core';
import { autoBatchSize, OnnxDetector, toOnnx } from '@abc/onnx-export';
import { OnnxRunner } from '../src/runners.js';
import { InlinePool, type ScoringPool } from '../src/worker-pool.js';
import { data, fitAbc } from './helpers.js';

// A batch longer than the runner's maxRowsPerRun goes to the pool in runs of at most that many rows, joined back:
// the same outputs as one run, and a large request to a model whose graph grows with its stored rows (KNN) cannot
// take the server's memory in a single run.

const pool = new InlinePool();
afterAll(() => pool.close());

/** The pool, recording the rows of each run. */
function recording(inner: ScoringPool): { pool: ScoringPool; runs: number[] } {
  const runs: number[] = [];
  return {
    runs,
    pool: {
      size: inner.size,
      load: (key, bytes) => inner.load(key, bytes),
      unload: (key) => inner.unload(key),
      close: () => inner.close(),
      run: (key, data, rows, cols, outputs) => {
        runs.push(rows);
        return inner.run(key, data, rows, cols, outputs);
      },
    },
  };
}

describe('OnnxRunner', () => {
  it('splits a batch longer than maxRowsPerRun into runs and joins every output back in order', async () => {
    const bytes = toOnnx(await fitAbc(2, 3));
    const whole = await OnnxRunner.create(pool, 'abc/whole', bytes);
    expect(whole.maxRowsPerRun).toBe(65536); // a dense model records no working memory per row
    const r = recording(pool);
    const split = await OnnxRunner.create(r.pool, 'abc/split', bytes, { maxRowsPerRun: 3 });
    const { X } = data(8, 2, 5);
    const a = await whole.run(X.data.slice(), 8, 2);
    const b = await split.run(X.data.slice(), 8, 2);
    expect(r.runs).toEqual([3, 3, 2]);
    expect(Object.keys(b.outputs).sort()).toEqual(Object.keys(a.outputs).sort());
    expect(Array.from(b.outputs.score as Float32Array)).toEqual(Array.from(a.outputs.score as Float32Array));
    expect(Array.from(b.outputs.reconstruction_error as Float32Array)).toEqual(
      Array.from(a.outputs.reconstruction_error as Float32Array),
    );
    expect(b.outputs.label).toBeInstanceOf(BigInt64Array);
    expect(Array.from(b.outputs.label as BigInt64Array)).toEqual(Array.from(a.outputs.label as BigInt64Array));
    expect(b.inferMs).toBeGreaterThanOrEqual(0);
    await Promise.all([whole.close(), split.close()]);
  });

  it('bounds the runs of a KNN export by its working memory per row, as OnnxDetector does', async () => {
    const { X } = data(3000, 4, 2);
    const knn = await createDetector('knn', { nNeighbors: 5 }).fit(X);
    const bytes = toOnnx(knn);
    const det = new OnnxDetector().setModel(bytes);
    expect(det.workBytesPerRow).toBeGreaterThan(8 * 3000);
    const runner = await OnnxRunner.create(pool, 'knn/1', bytes);
    expect(runner.maxRowsPerRun).toBe(autoBatchSize(det.workBytesPerRow));
    expect(runner.maxRowsPerRun).toBeLessThan(65536);
    await runner.close();
    await expect(OnnxRunner.create(pool, 'knn/2', bytes, { maxRowsPerRun: 0 })).rejects.toThrow(/maxRowsPerRun/);
  });
});
