import { AbortError, deserialize, ModelFormatError, NotFittedError, serialize, ValidationError } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { makeToyData } from '@abc/eval';
import { describe, expect, it } from 'vitest';
import { RoSAS } from '../src/index.js';
import { fewLabelled, toyAurocs } from './semi-helpers.js';

const small = RoSAS.declaration.quickParams;

describe('RoSAS', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new RoSAS({ ...small, ...p }), { random: true });
  });

  it("declares itself with the original's defaults: E 128, Adam 0.005 (decay 1e-4), 200 × 16 batches of 32, m 1, α 0.5, k 2, T 2", () => {
    const dec = RoSAS.declaration;
    expect([dec.name, dec.supervision, dec.learnsWithoutAnomalies, dec.budget, dec.hasProbability]).toEqual([
      'rosas',
      'supervised',
      false,
      'epochs',
      false,
    ]);
    const p = new RoSAS().getParams();
    expect([
      p.hidden,
      p.embeddingSize,
      p.activation,
      p.lr,
      p.weightDecay,
      p.batchSize,
      p.batchesPerEpoch,
      p.epochs,
      p.margin,
      p.alpha,
      p.mixSize,
      p.temperature,
      p.weighting,
      p.embeddingPenalty,
    ]).toEqual([null, 128, 'leakyRelu', 0.005, 1e-4, 32, 16, 200, 1, 0.5, 2, 2, 'dynamic', 0.01]);
    expect(() => new RoSAS({ embeddingSize: 1 })).toThrow(ValidationError);
    expect(() => new RoSAS({ mixSize: 1 })).toThrow(ValidationError);
    expect(() => new RoSAS({ alpha: 0 })).toThrow(ValidationError);
  });

  it('on the 2-D toy with 40 labelled anomalies (defaults): known anomalies >= 0.93 for three seeds', async () => {
    // Measured (seeds 1, 2, 3): known 0.941, 0.940, 0.940; unknown 0.000, 0.000, 0.000. DeepOD 0.5.0's RoSAS on the
    // same split (its defaults): known 0.941, 0.937, 0.943; unknown 0.000 for all three. The unknown anomalies
    // (around (−3, 3)) are reported, not asserted: the score is a classifier's, and its LeakyReLU extrapolation away
    // from the known anomalies' side puts them at −1, below every normal (with tanh: 0.018, 0.079, 0.476).
    const { X, y } = fewLabelled(1000, 40, 100);
    const test = makeToyData({ nPerClass: 1000, seed: 200 });
    for (const seed of [1, 2, 3]) {
      const a = await toyAurocs(await new RoSAS({ seed }).fit(X, y), test);
      console.log(`rosas on the toy, seed ${seed}: AUROC known ${a.known.toFixed(4)}, unknown ${a.unknown.toFixed(4)}`);
      expect(a.known).toBeGreaterThanOrEqual(0.93);
    }
  }, 240_000);

  it('needs a labelled anomaly; trains with a single one', async () => {
    const { X } = fewLabelled(100, 5, 8);
    await expect(new RoSAS(small).fit(X, new Uint8Array(X.rows))).rejects.toBeInstanceOf(ValidationError);
    await expect(new RoSAS(small).fit(X)).rejects.toBeInstanceOf(ValidationError);
    const y = new Uint8Array(X.rows);
    y[X.rows - 1] = 1;
    const d = await new RoSAS({ ...small, seed: 1 }).fit(X, y);
    const s = await d.scoreSamples(X);
    expect(s.every((v) => Number.isFinite(v) && v > -1 && v < 1)).toBe(true);
  });

  it('reports progress per epoch with the terms; the loss falls', async () => {
    const { X, y } = fewLabelled(200, 10, 5);
    const steps: number[] = [];
    const d = await new RoSAS({ ...small, epochs: 8, seed: 1 }).fit(X, y, {
      onProgress: (e) => {
        steps.push(e.step);
        expect(e.unit).toBe('epoch');
        expect(Object.keys(e.metrics ?? {}).sort()).toEqual(['loss', 'score', 'triplet']);
      },
    });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const h = d.history;
    expect(h.length).toBe(8);
    expect(h.at(-1)!.loss).toBeLessThan(h[0].loss);
    for (const r of h) expect(r.score).toBeCloseTo(r.target + r.consistency, 6);
  });

  it('round-trips through the model format (both parts, history), is seeded, and rejects a damaged state', async () => {
    const { X, y } = fewLabelled(200, 10, 6);
    const d = await new RoSAS({ ...small, seed: 2 }).fit(X, y);
    const again = (await deserialize(await serialize(d))) as RoSAS;
    expect(await again.scoreSamples(X)).toEqual(await d.scoreSamples(X));
    expect(again.history).toEqual(d.history);
    const twin = await new RoSAS({ ...small, seed: 2 }).fit(X, y);
    expect(await twin.scoreSamples(X)).toEqual(await d.scoreSamples(X));
    const other = await new RoSAS({ ...small, seed: 3 }).fit(X, y);
    expect(await other.scoreSamples(X)).not.toEqual(await d.scoreSamples(X));
    const state = d.getState();
    const broken = new RoSAS(small);
    expect(() => broken.setState({ ...state, tensors: { ...state.tensors, head: state.tensors.feature } })).toThrow(
      ModelFormatError,
    );
    expect(() => broken.setState({ ...state, meta: { ...state.meta, feature: null } })).toThrow(ModelFormatError);
  });

  it('stops on abort with AbortError and stays unfitted', async () => {
    const { X, y } = fewLabelled(200, 10, 7);
    const ac = new AbortController();
    const d = new RoSAS({ ...small, epochs: 50, seed: 1 });
    await expect(d.fit(X, y, { signal: ac.signal, onProgress: (e) => e.step === 2 && ac.abort() })).rejects.toBeInstanceOf(
      AbortError,
    );
    await expect(d.scoreSamples(X)).rejects.toBeInstanceOf(NotFittedError);
  });
});
