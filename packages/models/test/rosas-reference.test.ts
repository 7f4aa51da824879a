/**
 * RoSAS against a PyTorch reference of its objective (packages/models/scripts/rosas_reference.py): the same initial
 * weights, the same triplets, partners and mixing weights λ, and the per-epoch mean losses (and every term) of the
 * first three epochs equal to 4 significant digits, for the paper's configuration (k = 2, Beta(α, α), dynamic
 * weighting, the code's penalty and weight decay) and a second one (k = 3, Dirichlet, fixed weighting, ReLU).
 */
import { readFileSync } from 'node:fs';
import { matrix, type Activation } from '@abc/core';
import { describe, expect, it } from 'vitest';
import type { RoSASBatch, RoSASBatches } from '../src/rosas-batches.js';
import { RoSASNetwork } from '../src/rosas-net.js';
import { trainRoSAS, type RoSASSchedule } from '../src/rosas-train.js';

interface Layer {
  W: number[];
  b: number[];
}
interface Run {
  config: Omit<RoSASSchedule, 'weighting'> & {
    name: string;
    hidden: number[];
    embeddingSize: number;
    activation: string;
    alpha: number;
    weighting: 'dynamic' | 'fixed';
  };
  initial: { feature: Layer[]; head: Layer[] };
  batches: { anchors: number[]; positives: number[]; negatives: number[]; partners: number[]; lambdas: number[] }[];
  epochs: { loss: number; triplet: number; score: number; target: number; consistency: number; penalty: number }[];
  finalScores: number[];
}
interface Fixture {
  torch: string;
  X: number[];
  y: number[];
  cols: number;
  runs: Run[];
}

const fx = JSON.parse(readFileSync(new URL('./fixtures/rosas-reference.json', import.meta.url), 'utf8')) as Fixture;

/** Equal to 4 significant digits: |a − b| within half a unit of the 4th digit of b. */
function sameTo4(a: number, b: number): boolean {
  return Math.abs(a - b) <= 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(b))) - 3);
}

function fixtureNetwork(run: Run): RoSASNetwork {
  const c = run.config;
  const net = RoSASNetwork.create({
    inputSize: fx.cols,
    hidden: c.hidden,
    embeddingSize: c.embeddingSize,
    activation: c.activation as Activation,
  });
  const load = (part: RoSASNetwork['feature'], layers: Layer[]) => {
    expect(layers.length).toBe(part.layers.length);
    layers.forEach((L, l) => {
      part.weights(l).set(L.W);
      expect(L.b.length).toBe(part.layers[l].bOffset < 0 ? 0 : part.layers[l].outputSize);
      if (L.b.length > 0) part.biases(l).set(L.b);
    });
  };
  load(net.feature, run.initial.feature);
  load(net.head, run.initial.head);
  return net;
}

function replay(run: Run): RoSASBatches {
  let k = 0;
  return {
    next(batch: RoSASBatch) {
      const b = run.batches[k++];
      batch.anchors.set(b.anchors);
      batch.positives.set(b.positives);
      batch.negatives.set(b.negatives);
      batch.partners.set(b.partners);
      batch.lambdas.set(b.lambdas);
    },
  };
}

describe('RoSAS against the PyTorch reference of its objective', () => {
  for (const run of fx.runs) {
    it(`${run.config.name}: equal weights, triplets and λ give the same per-epoch losses and terms (4 digits)`, async () => {
      const net = fixtureNetwork(run);
      const X = matrix(Float32Array.from(fx.X), fx.y.length, fx.cols);
      const history = await trainRoSAS(net, X, run.config, replay(run));
      expect(history.length).toBe(3);
      for (let e = 0; e < 3; e++) {
        for (const key of ['loss', 'triplet', 'score', 'target', 'consistency', 'penalty'] as const) {
          const ours = history[e][key];
          const torch = run.epochs[e][key];
          if (key === 'loss' || key === 'triplet' || key === 'score')
            console.log(
              `${run.config.name} ${key} epoch ${e + 1}: ours ${ours.toPrecision(7)}, torch ${fx.torch} ${torch.toPrecision(7)}`,
            );
          expect(sameTo4(ours, torch), `${key} epoch ${e + 1}: ${ours} vs ${torch}`).toBe(true);
        }
      }
      // The trained network agrees too: its scores of every row after the three epochs.
      const scores = net.score(X.data, X.rows);
      let worst = 0;
      for (let i = 0; i < X.rows; i++) worst = Math.max(worst, Math.abs(scores[i] - run.finalScores[i]));
      console.log(`${run.config.name}: largest final score difference ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);
    });
  }
});
