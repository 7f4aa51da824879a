/**
 * PReNet against a PyTorch reference of the paper's formulas (packages/models/scripts/prenet_reference.py): the same
 * initial weights, the same pairs in every batch, and the per-epoch mean losses of the first three epochs equal to
 * 4 significant digits; then the scores of the trained network against the reference's stored references.
 */
import { readFileSync } from 'node:fs';
import { matrix } from '@abc/core';
import { PairNetwork } from '@abc/engine';
import { describe, expect, it } from 'vitest';
import { pairTargets, relationScores, trainPReNet } from '../src/index.js';

interface Fixture {
  torch: string;
  X: number[];
  y: number[];
  cols: number;
  hidden: number[];
  schedule: { epochs: number; batchesPerEpoch: number; batchSize: number; lr: number; clipnorm: number; l2: number };
  targets: { aa: number; au: number; uu: number };
  initial: { feature: { W: number[]; b: number[] }[]; head: { W: number[]; b: number[] } };
  batches: [number[], number[]][];
  losses: number[];
  clippedSteps: number;
  refAnomalies: number[];
  refUnlabelled: number[];
  finalScores: number[];
}

const fx = JSON.parse(readFileSync(new URL('./fixtures/prenet-reference.json', import.meta.url), 'utf8')) as Fixture;

describe('PReNet against the PyTorch reference of the paper (equal weights, equal batches)', () => {
  const X = matrix(Float32Array.from(fx.X), fx.y.length, fx.cols);
  const net = new PairNetwork({ sizes: [fx.cols, ...fx.hidden], activations: fx.hidden.map(() => 'relu' as const) });
  const initial = [...fx.initial.feature.flatMap((L) => [...L.W, ...L.b]), ...fx.initial.head.W, ...fx.initial.head.b];
  net.setParams(Float32Array.from(initial));

  it('uses the batch layout and the pairs of the reference: uu, then (a, u), then aa', () => {
    const B = fx.schedule.batchSize;
    expect(Array.from(pairTargets(B, fx.targets))).toEqual([
      ...new Array(B / 2).fill(0),
      ...new Array(B / 4).fill(4),
      ...new Array(B / 4).fill(8),
    ]);
    const [first, second] = fx.batches[0];
    const kinds = first.map((i, k) => `${fx.y[i]}${fx.y[second[k]]}`);
    expect(kinds).toEqual([...new Array(B / 2).fill('00'), ...new Array(B / 4).fill('10'), ...new Array(B / 4).fill('11')]);
    // Both branches of the gradient clip ran in the reference.
    expect(fx.clippedSteps).toBeGreaterThan(0);
    expect(fx.clippedSteps).toBeLessThan(fx.batches.length);
  });

  it('prints the same per-epoch mean losses as PyTorch to 4 significant digits, and then the same scores', async () => {
    const history = await trainPReNet(
      net,
      X,
      (batch, first, second) => {
        first.set(fx.batches[batch][0]);
        second.set(fx.batches[batch][1]);
      },
      { ...fx.schedule, targets: fx.targets },
    );
    const ours = history.map((h) => h.loss.toPrecision(4));
    const torch = fx.losses.map((v) => v.toPrecision(4));
    console.log(`PReNet losses, ours: ${ours.join(', ')}; PyTorch ${fx.torch}: ${torch.join(', ')}`);
    expect(ours).toEqual(torch);
    for (let e = 0; e < history.length; e++) expect(Math.abs(history[e].loss - fx.losses[e])).toBeLessThan(2e-5 * fx.losses[e]);
    const take = (idx: number[]): Float32Array =>
      Float32Array.from(idx.flatMap((i) => fx.X.slice(i * fx.cols, (i + 1) * fx.cols)));
    const scores = relationScores(net, take(fx.refAnomalies), take(fx.refUnlabelled), X);
    let worst = 0;
    for (let i = 0; i < X.rows; i++)
      worst = Math.max(worst, Math.abs(scores[i] - fx.finalScores[i]) / Math.max(1, Math.abs(fx.finalScores[i])));
    expect(worst).toBeLessThan(1e-4);
  });
});
