import { describe, expect, it } from 'vitest';
import { DynamicBatcher, type BatchRunner } from '../src/batcher.js';
import { QueueFullError, UnavailableError } from '../src/errors.js';

// A runner that records every batch and scores a row as the sum of its features.
function fakeRunner(concurrency = 1, delayMs = 5) {
  const batches: number[] = [];
  const runner: BatchRunner = {
    concurrency,
    async run(data, rows, cols) {
      batches.push(rows);
      await new Promise((r) => setTimeout(r, delayMs));
      const score = new Float32Array(rows);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) score[i] += data[i * cols + j];
      return { score };
    },
  };
  return { runner, batches };
}

describe('DynamicBatcher', () => {
  it('merges concurrent requests into one run and splits the outputs back', async () => {
    const { runner, batches } = fakeRunner();
    const b = new DynamicBatcher(runner, 2, { name: 'm', maxBatchSize: 100, maxQueueDelayMs: 10, maxQueueSize: 100 });
    const results = await Promise.all([1, 2, 3].map((k) => b.submit(new Float32Array(k * 2).fill(k), k)));
    expect(batches).toEqual([6]);
    expect(results.map((r) => Array.from(r.score as Float32Array))).toEqual([[2], [4, 4], [6, 6, 6]]);
  });

  it('never merges past maxBatchSize, runs a larger request alone, and dispatches a full batch at once', async () => {
    const { runner, batches } = fakeRunner();
    const b = new DynamicBatcher(runner, 1, { name: 'm', maxBatchSize: 4, maxQueueDelayMs: 10_000, maxQueueSize: 100 });
    const t0 = Date.now();
    await Promise.all([b.submit(new Float32Array(3), 3), b.submit(new Float32Array(3), 3), b.submit(new Float32Array(9), 9)]);
    expect(batches).toEqual([3, 3, 9]);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('refuses a request when maxQueueSize are waiting (QueueFullError, 503) and drains before closing', async () => {
    const { runner } = fakeRunner();
    const b = new DynamicBatcher(runner, 1, { name: 'm', maxBatchSize: 100, maxQueueDelayMs: 50, maxQueueSize: 2 });
    const ok = [b.submit(new Float32Array([1]), 1), b.submit(new Float32Array([2]), 1)];
    await expect(b.submit(new Float32Array([3]), 1)).rejects.toBeInstanceOf(QueueFullError);
    const drained = b.drain();
    await expect(b.submit(new Float32Array([3]), 1)).rejects.toBeInstanceOf(UnavailableError);
    await drained;
    expect((await Promise.all(ok)).map((r) => r.score[0])).toEqual([1, 2]);
  });

  it('passes a runner error to every request of the batch', async () => {
    const runner: BatchRunner = { concurrency: 1, run: async () => Promise.reject(new Error('boom')) };
    const b = new DynamicBatcher(runner, 1, { name: 'm', maxBatchSize: 10, maxQueueDelayMs: 5, maxQueueSize: 10 });
    const rs = await Promise.allSettled([b.submit(new Float32Array([1]), 1), b.submit(new Float32Array([1]), 1)]);
    expect(rs.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
