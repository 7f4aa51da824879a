import '@abc/baselines';
import '@abc/models';
import { describe, expect, it } from 'vitest';
import { buildDataset } from '../src/data/dataset.js';
import { toySampleCsv } from '../src/data/sample.js';
import { splitRows } from '../src/data/split.js';
import { heldOutMetrics } from '../src/eval/metrics.js';
import type { DetectorResult, FitJob, WorkerEvent } from '../src/train/protocol.js';
import { runJob } from '../src/train/run-job.js';

function toyJob(names: string[], epochs: number) {
  const ds = buildDataset(toySampleCsv({ nPerClass: 400 }), 'toy.csv', {
    label: null,
    kind: 'kind',
    roles: {},
    features: ['x', 'y'],
  });
  const split = splitRows(ds.labels, ds.unknown, { testFraction: 0.3, seed: 0 });
  const job: FitJob = {
    X: ds.X.data,
    rows: ds.X.rows,
    cols: 2,
    featureNames: ['x', 'y'],
    labels: ds.labels,
    train: split.train,
    detectors: names.map((name) => ({ name })),
    settings: { epochs, seed: 0 },
    scaler: 'standard',
    grid: new Float32Array([0, 0, -3, 3]),
  };
  return { ds, split, job };
}

describe('runJob (the worker body, here in Node)', () => {
  it('fits ABC and GTB on the toy sample: ABC finds the unknown anomalies, GTB does not', async () => {
    const { ds, split, job } = toyJob(['abc', 'gtb'], 100);
    const events: WorkerEvent[] = [];
    const t0 = performance.now();
    await runJob(job, (e) => events.push(e));
    const seconds = (performance.now() - t0) / 1000;
    const results = events
      .filter((e): e is { type: 'result'; result: DetectorResult } => e.type === 'result')
      .map((e) => e.result);
    expect(results.map((r) => r.detector)).toEqual(['abc', 'gtb']);
    const m = Object.fromEntries(results.map((r) => [r.detector, heldOutMetrics(r.scores, ds.labels, ds.unknown, split.test)]));
    console.log(`fit in ${seconds.toFixed(1)} s`, JSON.stringify(m));
    expect(m.abc.aurocUnknown).toBeGreaterThanOrEqual(0.95);
    expect(m.gtb.aurocUnknown).toBeLessThan(0.3);
    expect(m.abc.aurocKnown).toBeGreaterThan(0.9);
    const progress = events.filter((e) => e.type === 'progress' && e.detector === 'abc');
    expect(progress.length).toBeGreaterThan(5);
    expect(progress[0]).toMatchObject({
      unit: 'epoch',
      metrics: { lossNormal: expect.any(Number), lossAnomaly: expect.any(Number) },
    });
    for (const r of results) {
      expect(r.onnx).not.toBeNull();
      expect(r.gridScores!.length).toBe(2);
      expect(r.scores.length).toBe(ds.X.rows);
    }
  });

  it('stops with an AbortError when the signal fires', async () => {
    const { job } = toyJob(['abc'], 5000);
    const controller = new AbortController();
    const events: WorkerEvent[] = [];
    const run = runJob(
      job,
      (e) => {
        events.push(e);
        if (e.type === 'progress' && e.step === 3) controller.abort();
      },
      controller.signal,
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(events.filter((e) => e.type === 'progress').length).toBeLessThan(6);
  });

  it('fits iforest and the autoencoder on the normal training rows only', async () => {
    const { ds, split, job } = toyJob(['iforest', 'ae'], 20);
    const events: WorkerEvent[] = [];
    await runJob(job, (e) => events.push(e));
    const results = events
      .filter((e): e is { type: 'result'; result: DetectorResult } => e.type === 'result')
      .map((e) => e.result);
    expect(results.map((r) => r.detector)).toEqual(['iforest', 'ae']);
    for (const r of results) {
      expect(r.onnx).not.toBeNull();
      expect(heldOutMetrics(r.scores, ds.labels, ds.unknown, split.test).aurocUnknown).toBeGreaterThan(0.9);
    }
  });
});
