import { describe, expect, it } from 'vitest';
import { deserialize, Random, serialize } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { DNN } from '../src/index.js';
// The baselines' toy-data helpers (the DNN lived there until it moved here with the other networks).
import { auroc, select, toyData } from '../../baselines/test/helpers.js';

/** Training rows (normals + known anomalies) and the two test sets of the paper's setting 1. */
function toy(n: number, seed: number) {
  const { X, kind } = toyData(new Random(seed), n, n, n);
  return { train: select(X, kind, [0, 1]), known: select(X, kind, [0, 1]), unknown: select(X, kind, [0, 2]) };
}
const small = { hidden: [8, 8], maxEpochs: 8, patience: 3 };

describe('DNN', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new DNN({ ...small, ...p }), { random: true });
  });

  it("on the 2-D toy data: known anomalies >= 0.95, unknown ones missed (< 0.3, the paper's point)", async () => {
    const { train } = toy(1000, 1);
    const test = toy(1000, 2);
    const dnn = await new DNN({ hidden: [10, 10], maxEpochs: 100, seed: 1 }).fit(train.X, train.y);
    const known = auroc(await dnn.scoreSamples(test.known.X), test.known.y);
    const unknown = auroc(await dnn.scoreSamples(test.unknown.X), test.unknown.y);
    expect(known).toBeGreaterThanOrEqual(0.95);
    expect(unknown).toBeLessThan(0.3);
    expect(dnn.history.length).toBeGreaterThan(3);
    expect(dnn.history.at(-1)!.loss).toBeLessThan(dnn.history[0].loss);
  }, 60_000);

  it('round-trips through the model format with its history; rejects a hidden list of the wrong length', async () => {
    const { train, unknown } = toy(200, 3);
    const d = await new DNN({ ...small, seed: 2 }).fit(train.X, train.y);
    const again = (await deserialize(await serialize(d))) as DNN;
    expect(await again.scoreSamples(unknown.X)).toEqual(await d.scoreSamples(unknown.X));
    expect(again.history).toEqual(d.history);
    expect(() => new DNN({ hidden: [5] })).toThrow(/two layer sizes/);
  });

  it('gives an export spec that reproduces its scores', async () => {
    const { train, unknown } = toy(200, 4);
    const d = await new DNN({ ...small, seed: 3 }).fit(train.X, train.y);
    const spec = d.toExportSpec();
    expect(spec.scoreKind).toBe('sigmoid');
    expect(spec.layers.map((l) => [l.inputSize, l.outputSize, l.activation])).toEqual([
      [2, 8, 'relu'],
      [8, 8, 'relu'],
      [8, 1, 'linear'],
    ]);
    const X = unknown.X;
    const s = await d.scoreSamples(X);
    for (let i = 0; i < 5; i++) {
      let a: number[] = [X.data[2 * i], X.data[2 * i + 1]];
      for (const L of spec.layers) {
        const z = Array.from(
          { length: L.outputSize },
          (_, o) => L.b[o] + a.reduce((acc, v, k) => acc + v * L.W[k * L.outputSize + o], 0),
        );
        a = z.map((v) => (L.activation === 'relu' ? Math.max(0, v) : v));
      }
      expect(1 / (1 + Math.exp(-a[0]))).toBeCloseTo(s[i], 5);
    }
  });
});
