import { describe, expect, it } from 'vitest';
import { DynamicBatcher, type BatchRunner } from '../src/batcher.js';
import { QueueFullError, UnavailableError } from '../src/errors.js';
import type { ExecutionRecord } from '../src/stats.js';

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
      return { outputs: { score } };
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

  it('dispatches at once when queued requests add up to a preferred batch size (the largest that fits exactly)', async () => {
    const { runner, batches } = fakeRunner(1, 1);
    const b = new DynamicBatcher(runner, 1, {
      name: 'm',
      maxBatchSize: 100,
      maxQueueDelayMs: 10_000,
      maxQueueSize: 100,
      preferredBatchSizes: [2, 4, 500],
    });
    const t0 = Date.now();
    // 1 + 1 = 2 is preferred: dispatched without waiting 10 s; then 3 + 1 = 4 is.
    const first = [b.submit(new Float32Array(1), 1), b.submit(new Float32Array(1), 1)];
    await Promise.all(first);
    const second = [b.submit(new Float32Array(3), 3), b.submit(new Float32Array(1), 1)];
    await Promise.all(second);
    expect(batches).toEqual([2, 4]);
    expect(Date.now() - t0).toBeLessThan(5_000);
    // 3 rows alone form no preferred size: they wait for the delay (here cut short by drain).
    const late = b.submit(new Float32Array(3), 3);
    await new Promise((r) => setTimeout(r, 30));
    expect(batches).toEqual([2, 4]);
    await b.drain();
    await late;
    expect(batches).toEqual([2, 4, 3]);
  });

  it('hurry() (shutdown) dispatches what waits at once, and later requests without delay, still accepting them', async () => {
    const { runner, batches } = fakeRunner(1, 1);
    const b = new DynamicBatcher(runner, 1, { name: 'm', maxBatchSize: 100, maxQueueDelayMs: 60_000, maxQueueSize: 100 });
    const t0 = Date.now();
    const waiting = b.submit(new Float32Array([1]), 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toEqual([]);
    b.hurry();
    await waiting;
    await b.submit(new Float32Array([2]), 1);
    expect(batches).toEqual([1, 1]);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a delay under 1 ms waits one event-loop turn: requests submitted in the same tick merge', async () => {
    const { runner, batches } = fakeRunner(1, 1);
    const b = new DynamicBatcher(runner, 1, { name: 'm', maxBatchSize: 100, maxQueueDelayMs: 0.1, maxQueueSize: 100 });
    await Promise.all([1, 2, 3].map(() => b.submit(new Float32Array(1), 1)));
    expect(batches).toEqual([3]);
  });

  it('reports every run: its rows, each request wait, and timings that add up to the run', async () => {
    const records: ExecutionRecord[] = [];
    const runner: BatchRunner = {
      concurrency: 1,
      async run(_data, rows) {
        await new Promise((r) => setTimeout(r, 20));
        return { outputs: { score: new Float32Array(rows) }, inferMs: 12, outputMs: 1 };
      },
    };
    const b = new DynamicBatcher(runner, 1, {
      name: 'm',
      maxBatchSize: 100,
      maxQueueDelayMs: 15,
      maxQueueSize: 100,
      onExecution: (e) => records.push(e),
    });
    await Promise.all([b.submit(new Float32Array(2), 2), b.submit(new Float32Array(1), 1)]);
    expect(records).toHaveLength(1);
    const [e] = records;
    expect(e.rows).toBe(3);
    expect(e.queueMs).toHaveLength(2);
    for (const q of e.queueMs) expect(q).toBeGreaterThanOrEqual(13); // waited for the 15 ms delay (timer slack)
    expect(e.inferMs).toBe(12);
    expect(e.outputMs).toBeGreaterThanOrEqual(1);
    expect(e.inputMs).toBeGreaterThanOrEqual(5); // the rest of the ~20 ms run is the hand-off
  });
});
