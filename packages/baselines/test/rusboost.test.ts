import { describe, expect, it } from 'vitest';
import { createDetector, Random } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { RUSBoost, sumTrees } from '../src/index.js';
import { auroc, loadFixture, mean, select, spearman, toM, toyData } from './helpers.js';

describe('RUSBoost', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new RUSBoost({ nEstimators: 10, ...p }), { random: true });
  });

  it('is registered as rusboost with the documented defaults', () => {
    const d = createDetector('rusboost');
    expect(d).toBeInstanceOf(RUSBoost);
    expect(d.supervision).toBe('supervised');
    expect(d.hasProbability).toBe(true);
    expect(d.getParams()).toMatchObject({ nEstimators: 50, learningRate: 1, maxDepth: 3, minSamplesLeaf: 1, maxBins: 255 });
  });

  it('a hand-built tiny case: a perfect first stump ends boosting with one tree', async () => {
    // Separable at x <= 4.5 (minority = the 4 anomalies; 4 of the 12 normals drawn each round). The stump is
    // perfect on every row, so err = 0, α = 1 and boosting stops: scores are exactly 0 and 1.
    const X = Array.from({ length: 16 }, (_, i) => [i < 12 ? i * 0.3 : 10 + i]);
    const y = X.map((_, i) => (i < 12 ? 0 : 1));
    const det = await new RUSBoost({ maxDepth: 1, seed: 3 }).fit(X, y);
    expect(det.nTrees).toBe(1);
    const spec = det.toExportSpec();
    expect(spec.aggregate).toBe('weighted-vote');
    expect(Array.from(spec.treeWeights)).toEqual([1]);
    expect(Array.from(spec.nodes.feature)).toEqual([0, -1, -1]);
    expect(spec.nodes.threshold[0]).toBeGreaterThanOrEqual(3.3);
    expect(spec.nodes.threshold[0]).toBeLessThan(22);
    expect(Array.from(await det.predictProba([[0], [3.3], [22], [100]]))).toEqual([0, 0, 1, 1]);
  });

  it('boosts: weights, undersampling and the spec agree with the scores', async () => {
    const rng = new Random(4);
    const { X, kind } = toyData(rng, 1200, 200, 0); // imbalanced: anomalies are the minority
    const y = Uint8Array.from(kind, (k) => (k ? 1 : 0));
    const events: { error: number; alpha: number }[] = [];
    const det = await new RUSBoost({ seed: 2 }).fit(X, y, { onProgress: (e) => events.push(e.metrics as never) });
    // Boosting ends at the first round whose weighted error on all rows reaches 0.5 (reported with α = 0).
    const kept = events.filter((e) => e.alpha > 0);
    expect(det.nTrees).toBe(kept.length);
    expect(kept.length).toBeGreaterThan(1);
    if (events.length > kept.length) expect(events[events.length - 1].error).toBeGreaterThanOrEqual(0.5);
    for (const e of kept) {
      expect(e.error).toBeGreaterThan(0);
      expect(e.error).toBeLessThan(0.5);
      expect(e.alpha).toBeCloseTo(Math.log((1 - e.error) / e.error), 10);
    }
    const spec = det.toExportSpec();
    expect(spec.treeWeights.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    const raw = sumTrees({ ...spec.nodes, treeOffsets: spec.treeOffsets }, X, spec.treeWeights);
    const s = await det.scoreSamples(X);
    for (let i = 0; i < X.rows; i += 13) expect(Math.min(1, Math.max(0, raw[i]))).toBeCloseTo(s[i], 6);
    for (let k = 0; k < spec.nodes.feature.length; k++) {
      if (spec.nodes.feature[k] < 0) expect([0, 1]).toContain(spec.nodes.value[k]);
    }
  });

  it('agrees with imbalanced-learn RUSBoostClassifier (SAMME, depth 3) in AUROC and ranking', async (ctx) => {
    const fx = loadFixture('classifiers.json');
    if (!fx.sets[0].rusboost) ctx.skip();
    const lines: string[] = [];
    const ours: number[] = [];
    const theirs: number[] = [];
    for (const set of fx.sets) {
      const ref = set.rusboost!;
      const Xtr = toM(set.Xtrain);
      const Xte = toM(set.Xtest);
      const sum = new Float64Array(Xte.rows);
      const a: number[] = [];
      for (const seed of ref.seeds!) {
        const s = await (await new RUSBoost({ seed }).fit(Xtr, set.ytrain!)).scoreSamples(Xte);
        a.push(auroc(s, set.ytest));
        s.forEach((v, i) => {
          sum[i] += v;
        });
      }
      ours.push(mean(a));
      theirs.push(mean(ref.aurocs));
      const rho = spearman(sum, ref.meanScores);
      lines.push(
        `${set.name}: AUROC ours ${mean(a).toFixed(4)} imblearn ${mean(ref.aurocs).toFixed(4)}, spearman ${rho.toFixed(4)}`,
      );
      expect(rho).toBeGreaterThan(0.8);
    }
    console.log(`rusboost vs imbalanced-learn ${fx.versions.imblearn}\n  ${lines.join('\n  ')}`);
    // Single RUSBoost runs vary by ±0.05 AUROC with the undersampling, so the bar is looser than for GTB.
    expect(Math.abs(mean(ours) - mean(theirs))).toBeLessThan(0.03);
  });

  it('2-D toy, setting 1: known anomalies found (AUROC >= 0.95), unknown ones missed (< 0.3)', async () => {
    const rng = new Random(2019);
    const train = toyData(rng, 1500, 1500, 0);
    const test = toyData(rng, 1000, 1000, 1000);
    const det = await new RUSBoost({ seed: 1 }).fit(
      train.X,
      Uint8Array.from(train.kind, (k) => (k ? 1 : 0)),
    );
    const known = select(test.X, test.kind, [0, 1]);
    const unknown = select(test.X, test.kind, [0, 2]);
    const aK = auroc(await det.scoreSamples(known.X), known.y);
    const aU = auroc(await det.scoreSamples(unknown.X), unknown.y);
    console.log(`rusboost toy: AUROC known ${aK.toFixed(4)}, unknown ${aU.toFixed(4)}`);
    expect(aK).toBeGreaterThanOrEqual(0.95);
    expect(aU).toBeLessThan(0.3);
  });
});
