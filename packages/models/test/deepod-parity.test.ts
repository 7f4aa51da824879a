import { readFileSync } from 'node:fs';
import { auroc } from '@abc/eval';
import { describe, expect, it } from 'vitest';
import { DeepSAD, DevNet } from '../src/index.js';

/**
 * Against DeepOD 0.5.0 on ADBench's Pima (fixture made by `scripts/deepod-parity.py`: a stratified 70/30 split,
 * standardised, 10% of the training anomalies labelled, DeepOD's test AUROCs for seeds 0..4). Where DeepOD follows
 * the paper's formula we match its mean AUROC within 0.05 over the same five seeds (measured: 0.017 and 0.027);
 * where it has a defect we only record the difference.
 */
interface Fixture {
  cols: number;
  train: { X: number[]; y: number[] };
  test: { X: number[]; y: number[] };
  auroc: { deepsad: number[]; devnet: number[]; devnet_per_sample: number[] };
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/deepod-pima.json', import.meta.url), 'utf8')) as Fixture;
const Xtr = { data: Float32Array.from(fixture.train.X), rows: fixture.train.y.length, cols: fixture.cols };
const Xte = { data: Float32Array.from(fixture.test.X), rows: fixture.test.y.length, cols: fixture.cols };
const ytr = Uint8Array.from(fixture.train.y);
const yte = Uint8Array.from(fixture.test.y);
const seeds = [0, 1, 2, 3, 4];
const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

async function meanAuroc(make: (seed: number) => DeepSAD | DevNet): Promise<number> {
  const values: number[] = [];
  for (const seed of seeds) values.push(auroc(await (await make(seed).fit(Xtr, ytr)).scoreSamples(Xte), yte));
  return mean(values);
}

describe('parity with DeepOD on Pima', () => {
  it("devnet with DeepOD's hidden [100, 50] matches DeepOD's DevNet once its loss is made per sample (within 0.05)", async () => {
    // Same formula and balanced batches; still different: RMSprop + L2 0.01 + 50 × 20 batches of 512 (the original)
    // against DeepOD's Adam, no L2, 100 passes in batches of 64, bias-free layers. Measured 0.665 vs 0.648.
    const ours = await meanAuroc((seed) => new DevNet({ seed, hidden: [100, 50] }));
    expect(Math.abs(ours - mean(fixture.auroc.devnet_per_sample))).toBeLessThan(0.05);
    // DeepOD as shipped (the broadcasting loss) scored 0.780 here, with no per-row supervision at all: a bias-free
    // ReLU net whose outputs are all pushed into [0, a] ranks rows by their size, which suits Pima. Our default
    // (the original's [20]) scored 0.768. Recorded, not asserted against.
    expect(mean(fixture.auroc.devnet)).toBeGreaterThan(mean(fixture.auroc.devnet_per_sample));
  }, 120_000);

  it("deepsad in DeepOD's configuration (no pre-training, ReLU, [100, 50] -> 128, lr 1e-3, 100 epochs of 64) matches DeepOD's DeepSAD (within 0.05)", async () => {
    // Still different: DeepOD samples class-balanced batches with replacement (and takes c from such a resample);
    // we shuffle as the paper. Measured 0.622 vs 0.649. The paper's configuration (pre-training, leaky ReLU,
    // [128, 64] -> 32, lr 1e-4, milestone 50) scored 0.609 here (0.569 at a constant lr): Pima is not a data set
    // where Deep SAD shines.
    const ours = await meanAuroc(
      (seed) =>
        new DeepSAD({
          seed,
          pretrain: false,
          activation: 'relu',
          hidden: [100, 50],
          repDim: 128,
          lr: 1e-3,
          weightDecay: 0,
          epochs: 100,
          lrMilestones: [], // DeepOD keeps its lr constant
          batchSize: 64,
        }),
    );
    expect(Math.abs(ours - mean(fixture.auroc.deepsad))).toBeLessThan(0.05);
  }, 120_000);
});
