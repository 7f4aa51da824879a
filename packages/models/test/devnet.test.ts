import { AbortError, deserialize, NotFittedError, serialize, ValidationError } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { deviationLoss, type ReferenceStats } from '@abc/engine';
import { makeToyData } from '@abc/eval';
import { describe, expect, it } from 'vitest';
import { DevNet } from '../src/index.js';
import { fewLabelled, toyAurocs } from './semi-helpers.js';

const small = { hidden: [8], epochs: 3, batchesPerEpoch: 5, batchSize: 32, nReference: 500 };

/**
 * DeepOD's deviation loss, transcribed: `y_pred` (B, 1) against `y_true` (B,) broadcasts the per-sample terms to a
 * (B, B) matrix `[i, j] = (1 − y_j)|dev_i| + y_j max(0, a − dev_i)` whose mean is taken.
 */
function broadcastDeviationLoss(scores: number[], labels: number[], ref: ReferenceStats, margin: number): number {
  const B = scores.length;
  let total = 0;
  for (let i = 0; i < B; i++) {
    const dev = (scores[i] - ref.mean) / ref.std;
    for (let j = 0; j < B; j++) total += (1 - labels[j]) * Math.abs(dev) + labels[j] * Math.max(margin - dev, 0);
  }
  return total / (B * B);
}

describe('DevNet', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new DevNet({ ...small, ...p }), { random: true });
  });

  it("declares itself with the original's defaults: [20] ReLU, L2 0.01, RMSprop 0.001, batch 512, 50 × 20 batches, a = 5", () => {
    const dec = DevNet.declaration;
    expect([dec.name, dec.supervision, dec.learnsWithoutAnomalies, dec.budget, dec.hasProbability]).toEqual([
      'devnet',
      'supervised',
      false,
      'epochs',
      false,
    ]);
    const p = new DevNet().getParams();
    expect([
      p.hidden,
      p.activation,
      p.l2,
      p.lr,
      p.clipnorm,
      p.batchSize,
      p.epochs,
      p.batchesPerEpoch,
      p.margin,
      p.nReference,
    ]).toEqual([[20], 'relu', 0.01, 1e-3, 1, 512, 50, 20, 5, 5000]);
  });

  it('deviation loss by hand: |dev| for unlabelled rows, max(0, 5 − dev) for labelled anomalies, dev = (s − mu_R) / sd_R', () => {
    const ref = { mean: 0.1, std: 0.9 };
    const s = [1, -0.8, 2.8, 6];
    const y = [0, 0, 1, 1];
    // dev = 1, −1, 3, 6.555…: terms 1, 1, 2, 0
    const dOut = new Float32Array(4);
    expect(deviationLoss(Float32Array.from(s), 4, y, ref, 5, dOut)).toBeCloseTo((1 + 1 + 2 + 0) / 4, 6);
    expect(Array.from(dOut)).toEqual([1 / 0.9 / 4, -1 / 0.9 / 4, -1 / 0.9 / 4, 0].map(Math.fround));
  });

  it("is per sample, as the paper: DeepOD's broadcasting version differs and equals training every row against the batch's mean label", () => {
    const ref = { mean: 0, std: 1 };
    const s = [0.5, -2, 4, 7];
    const y = [0, 0, 1, 1];
    const ours = deviationLoss(Float32Array.from(s), 4, y, ref, 5, new Float32Array(4));
    const paper = (Math.abs(0.5) + Math.abs(-2) + Math.max(5 - 4, 0) + Math.max(5 - 7, 0)) / 4;
    expect(ours).toBeCloseTo(paper, 6);
    const broadcast = broadcastDeviationLoss(s, y, ref, 5);
    expect(Math.abs(broadcast - ours)).toBeGreaterThan(0.5);
    const meanLabel = s.map(() => 0.5);
    const asMean = s.reduce((t, v, i) => t + (1 - meanLabel[i]) * Math.abs(v) + meanLabel[i] * Math.max(5 - v, 0), 0) / 4;
    expect(broadcast).toBeCloseTo(asMean, 10);
    // With it, an unlabelled row far above the prior is still pulled up by the margin term: its gradient there
    // is (0.5·sign(dev) − 0.5) = 0 for 0 < dev < 5, where the paper's pulls it down (+1).
    const dOut = new Float32Array(4);
    deviationLoss(Float32Array.from(s), 4, y, ref, 5, dOut);
    expect(dOut[0]).toBeGreaterThan(0);
    const h = 1e-4;
    const up = broadcastDeviationLoss([s[0] + h, ...s.slice(1)], y, ref, 5);
    const down = broadcastDeviationLoss([s[0] - h, ...s.slice(1)], y, ref, 5);
    expect(Math.abs((up - down) / (2 * h))).toBeLessThan(1e-9);
  });

  it('on the 2-D toy with 40 labelled anomalies: known anomalies >= 0.88 (unknown ones are not what it learns)', async () => {
    const { X, y } = fewLabelled(1000, 40, 100);
    const test = makeToyData({ nPerClass: 1000, seed: 200 });
    for (const seed of [1, 2]) {
      const a = await toyAurocs(await new DevNet({ seed }).fit(X, y), test);
      expect(a.known).toBeGreaterThanOrEqual(0.88);
      expect(a.unknown).toBeGreaterThanOrEqual(0);
    }
  }, 120_000);

  it('needs a labelled anomaly; trains with a single one (balanced batches draw it with replacement)', async () => {
    const { X } = fewLabelled(100, 5, 8);
    await expect(new DevNet(small).fit(X, new Uint8Array(X.rows))).rejects.toBeInstanceOf(ValidationError);
    const y = new Uint8Array(X.rows);
    y[X.rows - 1] = 1;
    const d = await new DevNet({ ...small, seed: 1 }).fit(X, y);
    const s = await d.scoreSamples(X);
    expect(Number.isFinite(s[0])).toBe(true);
  });

  it('reports progress per epoch, round-trips through the model format and is seeded', async () => {
    const { X, y } = fewLabelled(200, 10, 9);
    const steps: number[] = [];
    const d = await new DevNet({ ...small, seed: 3 }).fit(X, y, { onProgress: (e) => steps.push(e.step) });
    expect(steps).toEqual([1, 2, 3]);
    const again = (await deserialize(await serialize(d))) as DevNet;
    expect(await again.scoreSamples(X)).toEqual(await d.scoreSamples(X));
    expect(again.history).toEqual(d.history);
    const twin = await new DevNet({ ...small, seed: 3 }).fit(X, y);
    expect(await twin.scoreSamples(X)).toEqual(await d.scoreSamples(X));
    const other = await new DevNet({ ...small, seed: 4 }).fit(X, y);
    expect(await other.scoreSamples(X)).not.toEqual(await d.scoreSamples(X));
  });

  it('stops on abort with AbortError and stays unfitted', async () => {
    const { X, y } = fewLabelled(200, 10, 10);
    const ac = new AbortController();
    const d = new DevNet({ ...small, epochs: 50, seed: 1 });
    await expect(d.fit(X, y, { signal: ac.signal, onProgress: (e) => e.step === 2 && ac.abort() })).rejects.toBeInstanceOf(
      AbortError,
    );
    await expect(d.scoreSamples(X)).rejects.toBeInstanceOf(NotFittedError);
  });
});
