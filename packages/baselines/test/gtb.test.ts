import { describe, expect, it } from 'vitest';
import { createDetector, matrix, Random } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { GradientTreeBoosting, binColumns, binTraining, fitBins, sumTrees, leafCounts } from '../src/index.js';
import { auroc, loadFixture, mean, select, spearman, toM, toyData } from './helpers.js';

describe('GradientTreeBoosting', () => {
  it('passes the conformance suite', async () => {
    // Deterministic without early stopping (as scikit-learn's), so `random` is not claimed.
    await checkDetector((p) => new GradientTreeBoosting({ maxIter: 15, minSamplesLeaf: 5, ...p }));
  });

  it('is registered as gtb with the documented defaults', () => {
    const d = createDetector('gtb');
    expect(d).toBeInstanceOf(GradientTreeBoosting);
    expect(d.supervision).toBe('supervised');
    expect(d.hasProbability).toBe(true);
    expect(d.getParams()).toMatchObject({
      learningRate: 0.1,
      maxIter: 100,
      maxLeafNodes: 31,
      maxDepth: null,
      minSamplesLeaf: 20,
      l2Regularization: 0,
      maxBins: 255,
      earlyStopping: 'auto',
      validationFraction: 0.1,
      nIterNoChange: 10,
    });
  });

  it('bins: edges separate distinct values exactly; bin <= k iff x <= edge k', () => {
    const rng = new Random(5);
    const n = 2000;
    const data = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      data[2 * i] = rng.normal(); // continuous: 255 quantile bins
      data[2 * i + 1] = rng.int(7); // 7 distinct values: 6 midpoints
    }
    const X = matrix(data, n, 2);
    const bins = fitBins(X, 255);
    expect(bins.thresholds[0].length).toBe(254);
    expect(Array.from(bins.thresholds[1])).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
    const B = binColumns(X, bins);
    // Binning the training rows in the same pass (radix argsort) gives the same edges and bins.
    const one = binTraining(X, 255);
    expect(one.bins.thresholds).toEqual(bins.thresholds);
    expect(one.B).toEqual(B);
    const some = [5, 1, 77, 1999, 0];
    expect(binTraining(X, 255, some).B).toEqual(binColumns(X, fitBins(X, 255, some), some));
    for (let f = 0; f < 2; f++) {
      const t = bins.thresholds[f];
      for (let i = 0; i < n; i++) {
        const x = data[2 * i + f];
        const b = B[f * n + i];
        for (const k of [0, 3, t.length - 1]) expect(b <= k).toBe(x <= t[k]);
      }
    }
    // Roughly equal-frequency bins for the continuous feature.
    const counts = new Array(255).fill(0);
    for (let i = 0; i < n; i++) counts[B[i]]++;
    expect(Math.max(...counts)).toBeLessThan(20);
  });

  it('a hand-built tiny case: one split, exact leaf values', async () => {
    // 40 rows, x = 0..39, y = 1 for x >= 20. minSamplesLeaf 20 allows exactly one split, at x <= 19.5.
    // Base score = log(0.5/0.5) = 0, p = 0.5: g = p − y = ±0.5, h = 0.25. Left leaf (20 rows, y = 0):
    // value = −lr · Σg / Σh = −0.1 · 10 / 5 = −0.2; right: +0.2.
    const X = Array.from({ length: 40 }, (_, i) => [i]);
    const y = X.map(([x]) => (x >= 20 ? 1 : 0));
    const det = await new GradientTreeBoosting({ maxIter: 1 }).fit(X, y);
    const spec = det.toExportSpec();
    expect(spec.aggregate).toBe('sum-sigmoid');
    expect(spec.baseScore).toBe(0);
    expect(Array.from(spec.nodes.feature)).toEqual([0, -1, -1]);
    expect(spec.nodes.threshold[0]).toBe(19.5);
    expect(spec.nodes.value[1]).toBeCloseTo(-0.2, 6);
    expect(spec.nodes.value[2]).toBeCloseTo(0.2, 6);
    const s = await det.predictProba([[3], [19.5], [19.6], [100]]);
    expect(s[0]).toBeCloseTo(1 / (1 + Math.exp(0.2)), 6);
    expect(s[1]).toBeCloseTo(1 / (1 + Math.exp(0.2)), 6);
    expect(s[2]).toBeCloseTo(1 / (1 + Math.exp(-0.2)), 6);
  });

  it('respects maxLeafNodes and maxDepth; the spec reproduces the scores', async () => {
    const rng = new Random(8);
    const { X, kind } = toyData(rng, 800, 800, 0);
    const y = Uint8Array.from(kind, (k) => (k ? 1 : 0));
    const det = await new GradientTreeBoosting({ maxIter: 20, maxLeafNodes: 7 }).fit(X, y);
    const spec = det.toExportSpec();
    const forest = { ...spec.nodes, treeOffsets: spec.treeOffsets };
    expect(Math.max(...leafCounts(forest))).toBe(7);
    const raw = sumTrees(forest, X, spec.treeWeights);
    const s = await det.scoreSamples(X);
    for (let i = 0; i < X.rows; i += 37) expect(1 / (1 + Math.exp(-(spec.baseScore + raw[i])))).toBeCloseTo(s[i], 6);
    const shallow = await new GradientTreeBoosting({ maxIter: 5, maxDepth: 2, maxLeafNodes: null }).fit(X, y);
    expect(
      Math.max(...leafCounts({ ...shallow.toExportSpec().nodes, treeOffsets: shallow.toExportSpec().treeOffsets })),
    ).toBeLessThanOrEqual(4);
  });

  it('early stopping holds out a validation split and stops on a stalled loss', async () => {
    const rng = new Random(9);
    // Pure noise labels: the validation loss stops improving after a few iterations.
    const n = 3000;
    const X = matrix(
      Float32Array.from({ length: n * 3 }, () => rng.normal()),
      n,
      3,
    );
    const y = Uint8Array.from({ length: n }, () => (rng.float() < 0.3 ? 1 : 0));
    const events: number[] = [];
    const det = new GradientTreeBoosting({ earlyStopping: 'true', seed: 1 });
    await det.fit(X, y, { onProgress: (e) => events.push(e.metrics.valLoss) });
    expect(det.nIter).toBeLessThan(100);
    expect(det.nIter).toBe(events.length);
    expect(events.every(Number.isFinite)).toBe(true);
    // 'auto' is off below 10,000 rows: all iterations run, and there is no validation loss.
    const off = new GradientTreeBoosting({ maxIter: 12 });
    const ev2: Record<string, number>[] = [];
    await off.fit(X, y, { onProgress: (e) => ev2.push(e.metrics) });
    expect(off.nIter).toBe(12);
    expect(ev2[0].valLoss).toBeUndefined();
  });

  it('matches scikit-learn HistGradientBoostingClassifier: AUROC within 0.01, rank correlation > 0.9', async () => {
    const fx = loadFixture('classifiers.json');
    const ours: number[] = [];
    const theirs: number[] = [];
    const lines: string[] = [];
    for (const set of fx.sets) {
      const det = await new GradientTreeBoosting().fit(toM(set.Xtrain), set.ytrain!);
      const s = await det.predictProba(toM(set.Xtest));
      const a = auroc(s, set.ytest);
      const rho = spearman(s, set.gtb!.meanScores);
      ours.push(a);
      theirs.push(set.gtb!.aurocs[0]);
      lines.push(`${set.name}: AUROC ours ${a.toFixed(4)} sklearn ${set.gtb!.aurocs[0].toFixed(4)}, spearman ${rho.toFixed(4)}`);
      expect(rho).toBeGreaterThan(0.9);
    }
    console.log(`gtb vs scikit-learn ${fx.versions.sklearn}\n  ${lines.join('\n  ')}`);
    expect(mean(theirs)).toBeGreaterThan(0.7);
    expect(mean(theirs)).toBeLessThan(0.95);
    expect(Math.abs(mean(ours) - mean(theirs))).toBeLessThan(0.01);
  });

  it('2-D toy, setting 1: known anomalies found (AUROC >= 0.95), unknown ones missed (< 0.3)', async () => {
    const rng = new Random(2019);
    const train = toyData(rng, 1500, 1500, 0);
    const test = toyData(rng, 1000, 1000, 1000);
    const det = await new GradientTreeBoosting({ seed: 1 }).fit(
      train.X,
      Uint8Array.from(train.kind, (k) => (k ? 1 : 0)),
    );
    const known = select(test.X, test.kind, [0, 1]);
    const unknown = select(test.X, test.kind, [0, 2]);
    const aK = auroc(await det.scoreSamples(known.X), known.y);
    const aU = auroc(await det.scoreSamples(unknown.X), unknown.y);
    console.log(`gtb toy: AUROC known ${aK.toFixed(4)}, unknown ${aU.toFixed(4)}`);
    expect(aK).toBeGreaterThanOrEqual(0.95);
    expect(aU).toBeLessThan(0.3);
  });
});
