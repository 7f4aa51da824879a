import { describe, expect, it } from 'vitest';
import { createDetector, matrix, Random } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { IsolationForest, averagePathLength, sumTrees, type TreeEnsembleExportSpec } from '../src/index.js';
import { auroc, loadFixture, mean, select, spearman, toM, toyData } from './helpers.js';

describe('IsolationForest', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new IsolationForest({ nEstimators: 20, ...p }), { random: true });
  });

  it('is registered as iforest', () => {
    const d = createDetector('iforest', { nEstimators: 7 });
    expect(d).toBeInstanceOf(IsolationForest);
    expect(d.supervision).toBe('unsupervised');
    expect(d.getParams()).toMatchObject({ nEstimators: 7, maxSamples: 256, maxFeatures: 1, seed: 0 });
  });

  it('c(n) follows the formula of Liu et al. with scikit-learn conventions', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // 2 (ln 2 + γ) − 4/3
    expect(averagePathLength(3)).toBeCloseTo(2 * (Math.log(2) + 0.5772156649015329) - 4 / 3, 14);
    // Values printed by scikit-learn 1.2.1's sklearn.ensemble._iforest._average_path_length.
    expect(averagePathLength(3)).toBeCloseTo(1.207392357589623, 13);
    expect(averagePathLength(4)).toBeCloseTo(1.8516559071392846, 13);
    expect(averagePathLength(256)).toBeCloseTo(10.244770920119917, 12);
    expect(averagePathLength(1000)).toBeCloseTo(12.969940887100172, 12);
  });

  it('a hand-built tiny case: two rows, one tree', async () => {
    // ψ = 2, so the height limit is ceil(log2 2) = 1: the root splits once between the two distinct rows and
    // each leaf (one row, depth 1) has path length 1 + c(1) = 1. c(ψ) = c(2) = 1, so score = 2^-1 = 0.5.
    const det = await new IsolationForest({ nEstimators: 3, seed: 4 }).fit([
      [0, 0],
      [1, 1],
    ]);
    const s = await det.scoreSamples([
      [0, 0],
      [1, 1],
      [5, -5],
    ]);
    expect(Array.from(s)).toEqual([0.5, 0.5, 0.5]);
    // Three identical rows cannot be split: the root is a leaf of size 3, path 0 + c(3); ψ = 3.
    const flat = await new IsolationForest({ nEstimators: 2 }).fit([
      [2, 2],
      [2, 2],
      [2, 2],
    ]);
    const [v] = await flat.scoreSamples([[9, 9]]);
    expect(v).toBeCloseTo(2 ** (-averagePathLength(3) / averagePathLength(3)), 6);
    // Four rows on a line, ψ = 4, height limit 2: leaves are at depth <= 2 and hold <= 2 rows.
    const line = await new IsolationForest({ nEstimators: 50, seed: 1 }).fit([[0], [1], [2], [3]]);
    const spec = line.toExportSpec();
    for (let k = 0; k < spec.nodes.feature.length; k++) {
      if (spec.nodes.feature[k] < 0) expect(spec.nodes.value[k]).toBeGreaterThanOrEqual(1);
    }
    const ls = await line.scoreSamples([[-10], [1.5], [10]]);
    expect(ls[1]).toBeLessThan(ls[0]);
    expect(ls[1]).toBeLessThan(ls[2]);
  });

  it('grows trees of the documented shape', async () => {
    const rng = new Random(3);
    const X = matrix(
      Float32Array.from({ length: 3000 }, () => rng.normal()),
      1000,
      3,
    );
    const det = await new IsolationForest({ nEstimators: 10, seed: 2 }).fit(X);
    const spec: TreeEnsembleExportSpec = det.toExportSpec();
    expect(spec.kind).toBe('trees');
    expect(spec.aggregate).toBe('isolation');
    expect(spec.nTrees).toBe(10);
    expect(spec.treeOffsets.length).toBe(11);
    expect(spec.normalizer).toBeCloseTo(averagePathLength(256), 12);
    for (let t = 0; t < 10; t++) {
      const off = spec.treeOffsets[t];
      const size = spec.treeOffsets[t + 1] - off;
      expect(size).toBeLessThanOrEqual(2 * 256 - 1);
      // Every leaf: depth <= ceil(log2 256) = 8; walk the tree and check leaf values = depth + c(size) >= depth.
      const depthOf = new Int32Array(size);
      for (let k = 0; k < size; k++) {
        const f = spec.nodes.feature[off + k];
        if (f >= 0) {
          depthOf[spec.nodes.left[off + k]] = depthOf[k] + 1;
          depthOf[spec.nodes.right[off + k]] = depthOf[k] + 1;
        } else {
          expect(depthOf[k]).toBeLessThanOrEqual(8);
          expect(spec.nodes.value[off + k]).toBeGreaterThanOrEqual(depthOf[k]);
        }
      }
    }
    // The spec reproduces the scores: 2^(-(Σ w_t v_t) / c(ψ)).
    const raw = sumTrees({ ...spec.nodes, treeOffsets: spec.treeOffsets }, X, spec.treeWeights);
    const s = await det.scoreSamples(X);
    for (let i = 0; i < 50; i++) expect(2 ** (-raw[i] / spec.normalizer!)).toBeCloseTo(s[i], 5);
  });

  it('matches scikit-learn: AUROC within 0.01 over seeds, rank correlation > 0.9', async () => {
    const fx = loadFixture('iforest.json');
    const lines: string[] = [];
    for (const set of fx.sets) {
      const Xtr = toM(set.Xtrain);
      const Xte = toM(set.Xtest);
      const ours: number[] = [];
      const sum = new Float64Array(Xte.rows);
      for (const seed of set.seeds!) {
        const det = await new IsolationForest({ ...(set.params as object), seed }).fit(Xtr);
        const s = await det.scoreSamples(Xte);
        ours.push(auroc(s, set.ytest));
        s.forEach((v, i) => {
          sum[i] += v;
        });
      }
      const sk = mean(set.aurocs!);
      expect(sk).toBeGreaterThan(0.7);
      expect(sk).toBeLessThan(0.95);
      const rho = spearman(sum, set.meanScores!);
      lines.push(`${set.name}: AUROC ours ${mean(ours).toFixed(4)} sklearn ${sk.toFixed(4)}, spearman ${rho.toFixed(4)}`);
      expect(Math.abs(mean(ours) - sk)).toBeLessThan(0.01);
      expect(rho).toBeGreaterThan(0.9);
    }
    console.log(`iforest vs scikit-learn ${fx.versions.sklearn}\n  ${lines.join('\n  ')}`);
  });

  it('2-D toy, setting 1: trained on normals, finds the unknown anomalies (AUROC >= 0.99)', async () => {
    const rng = new Random(2019);
    const train = toyData(rng, 1500, 0, 0);
    const test = toyData(rng, 1000, 1000, 1000);
    const det = await new IsolationForest({ seed: 1 }).fit(train.X);
    const s = await det.scoreSamples(test.X);
    const unknown = select(test.X, test.kind, [0, 2]);
    const known = select(test.X, test.kind, [0, 1]);
    const aU = auroc(await det.scoreSamples(unknown.X), unknown.y);
    const aK = auroc(await det.scoreSamples(known.X), known.y);
    console.log(`iforest toy: AUROC known ${aK.toFixed(4)}, unknown ${aU.toFixed(4)}`);
    expect(s.length).toBe(3000);
    expect(aU).toBeGreaterThanOrEqual(0.99);
  });
});
