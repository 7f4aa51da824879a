import { AbortError, deserialize, ModelFormatError, NotFittedError, serialize, ValidationError } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { makeToyData } from '@abc/eval';
import { describe, expect, it } from 'vitest';
import { FeaWAD } from '../src/index.js';
import { fewLabelled, toyAurocs } from './semi-helpers.js';

const small = FeaWAD.declaration.quickParams;

describe('FeaWAD', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new FeaWAD({ ...small, ...p }), { random: true });
  });

  it("declares itself with the original code's defaults: AE D-128-64, head 256-32, Adam 1e-4, 100 + 30 epochs × 20 × 512, a = 5", () => {
    const dec = FeaWAD.declaration;
    expect([dec.name, dec.supervision, dec.learnsWithoutAnomalies, dec.budget, dec.hasProbability]).toEqual([
      'feawad',
      'supervised',
      false,
      'epochs',
      false,
    ]);
    const p = new FeaWAD().getParams();
    expect([
      p.hidden,
      p.inputLayer,
      p.headHidden,
      p.activation,
      p.lr,
      p.aeLr,
      p.batchSize,
      p.batchesPerEpoch,
      p.epochs,
      p.aeEpochs,
      p.margin,
      p.nReference,
    ]).toEqual([[128, 64], true, [256, 32], 'relu', 1e-4, 1e-4, 512, 20, 30, 100, 5, 5000]);
    expect(() => new FeaWAD({ hidden: [] })).toThrow(/hidden needs at least one layer/);
    expect(() => new FeaWAD({ margin: 0 })).toThrow(ValidationError);
    expect(new FeaWAD({ headHidden: [] }).getParams().headHidden).toEqual([]); // a linear scoring layer on [r̃, h, e]
  });

  it('on the 2-D toy with 40 labelled anomalies (defaults, 30 pre-training epochs): known anomalies >= 0.89', async () => {
    // Measured (seeds 1, 2, 3): known 0.902, 0.935, 0.926; unknown 0.666, 0.728, 0.733. The unknown ones (around
    // (−3, 3)) are reported, not asserted: the scoring network learns the known anomalies' side, and its ReLU
    // extrapolation far from the data varies with the seed (the original's ReLU decoder output gives them ~0).
    const { X, y } = fewLabelled(1000, 40, 100);
    const test = makeToyData({ nPerClass: 1000, seed: 200 });
    for (const seed of [1, 2]) {
      const a = await toyAurocs(await new FeaWAD({ aeEpochs: 30, seed }).fit(X, y), test);
      console.log(`feawad on the toy, seed ${seed}: AUROC known ${a.known.toFixed(4)}, unknown ${a.unknown.toFixed(4)}`);
      expect(a.known).toBeGreaterThanOrEqual(0.89);
    }
  }, 180_000);

  it('needs a labelled anomaly; trains with a single one (balanced batches draw it with replacement)', async () => {
    const { X } = fewLabelled(100, 5, 8);
    await expect(new FeaWAD(small).fit(X, new Uint8Array(X.rows))).rejects.toBeInstanceOf(ValidationError);
    await expect(new FeaWAD(small).fit(X)).rejects.toBeInstanceOf(ValidationError);
    const y = new Uint8Array(X.rows);
    y[X.rows - 1] = 1;
    const d = await new FeaWAD({ ...small, seed: 1 }).fit(X, y);
    expect((await d.scoreSamples(X)).every(Number.isFinite)).toBe(true);
  });

  it('reports progress per epoch of both stages; both losses fall', async () => {
    const { X, y } = fewLabelled(200, 10, 5);
    const steps: number[] = [];
    const pre: number[] = [];
    const d = await new FeaWAD({ ...small, aeEpochs: 4, epochs: 6, seed: 1 }).fit(X, y, {
      onProgress: (e) => {
        steps.push(e.step);
        if (e.metrics?.pretrain === 1) pre.push(e.step);
      },
    });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(pre).toEqual([1, 2, 3, 4]);
    const ae = d.history.filter((h) => h.phase === 'pretrain');
    const e2e = d.history.filter((h) => h.phase === 'train');
    expect([ae.length, e2e.length]).toEqual([4, 6]);
    expect(ae.at(-1)!.loss).toBeLessThan(ae[0].loss);
    expect(e2e.at(-1)!.loss).toBeLessThan(e2e[0].loss);
    for (const h of e2e) expect(h.loss).toBeCloseTo(h.deviation! + h.reconstruction!, 5);
  });

  it('round-trips through the model format (every part, history), is seeded, and rejects a damaged state', async () => {
    const { X, y } = fewLabelled(200, 10, 6);
    const d = await new FeaWAD({ ...small, seed: 2 }).fit(X, y);
    const again = (await deserialize(await serialize(d))) as FeaWAD;
    expect(await again.scoreSamples(X)).toEqual(await d.scoreSamples(X));
    expect(again.history).toEqual(d.history);
    const twin = await new FeaWAD({ ...small, seed: 2 }).fit(X, y);
    expect(await twin.scoreSamples(X)).toEqual(await d.scoreSamples(X));
    const state = d.getState();
    const broken = new FeaWAD(small);
    expect(() => broken.setState({ ...state, tensors: { ...state.tensors, head1: state.tensors.head0 } })).toThrow(
      ModelFormatError,
    );
    expect(() => broken.setState({ ...state, meta: { ...state.meta, head: [] } })).toThrow(ModelFormatError);
  });

  it('stops on abort with AbortError and stays unfitted', async () => {
    const { X, y } = fewLabelled(200, 10, 7);
    const ac = new AbortController();
    const d = new FeaWAD({ ...small, epochs: 50, seed: 1 });
    await expect(d.fit(X, y, { signal: ac.signal, onProgress: (e) => e.step === 2 && ac.abort() })).rejects.toBeInstanceOf(
      AbortError,
    );
    await expect(d.scoreSamples(X)).rejects.toBeInstanceOf(NotFittedError);
  });
});
