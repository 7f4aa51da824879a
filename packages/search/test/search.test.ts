import { describe, expect, it } from 'vitest';
import { AbortError, getDetectorEntry, matrix, Random, vstack } from '@abc/core';
import { auroc, makeToyData, toyTrainingSet } from '@abc/eval';
import '@abc/models';
import '@abc/baselines';
import { averagePrecision } from '@abc/eval';
import { budgetParam, chooseCandidates, makeFolds, searchDetectors, syntheticOutliers, type Trial } from '../src/index.js';

const net = { hidden: [10, 10], latent: 1, maxEpochs: 27, patience: 5 };
const train = makeToyData({ nPerClass: 400, seed: 3 });
const { X, y } = toyTrainingSet(train);

describe('splits', () => {
  it('stratifies a holdout and keeps anomalies on both sides', () => {
    const yy = new Uint8Array(100).fill(1, 90); // 10 anomalies
    const [f] = makeFolds(yy, { kind: 'holdout', fraction: 0.2 }, new Random(1));
    expect(f.validation.length + f.train.length).toBe(100);
    expect(Array.from(f.validation).filter((i) => yy[i]).length).toBe(2);
    expect(new Set([...f.validation, ...f.train]).size).toBe(100);
    const few = new Uint8Array(50).fill(1, 48); // 2 anomalies: one each side
    const [g] = makeFolds(few, { kind: 'holdout', fraction: 0.2 }, new Random(1));
    expect(Array.from(g.validation).filter((i) => few[i]).length).toBe(1);
    expect(Array.from(g.train).filter((i) => few[i]).length).toBe(1);
    const one = new Uint8Array(50).fill(1, 49);
    const [h] = makeFolds(one, { kind: 'holdout', fraction: 0.2 }, new Random(1));
    expect(Array.from(h.validation).filter((i) => one[i]).length).toBe(0);
  });

  it('k-fold covers every normal once in validation', () => {
    const yy = new Uint8Array(30).fill(1, 25);
    const folds = makeFolds(yy, { kind: 'kfold', k: 5 }, new Random(2));
    const seen = folds.flatMap((f) => Array.from(f.validation));
    expect(new Set(seen).size).toBe(30);
    for (const f of folds) expect(Array.from(f.validation).some((i) => yy[i])).toBe(true);
    expect(() => makeFolds(yy, { kind: 'kfold', k: 1 }, new Random(2))).toThrow(/k >= 2/);
  });
});

describe('objective pieces', () => {
  it('draws synthetic outliers in the widened bounding box', () => {
    const base = matrix(Float32Array.from([0, 10, 2, 20]), 2, 2);
    const s = syntheticOutliers(base, 2000, new Random(0));
    let min0 = Infinity,
      max0 = -Infinity,
      min1 = Infinity,
      max1 = -Infinity;
    for (let i = 0; i < s.rows; i++) {
      min0 = Math.min(min0, s.data[2 * i]);
      max0 = Math.max(max0, s.data[2 * i]);
      min1 = Math.min(min1, s.data[2 * i + 1]);
      max1 = Math.max(max1, s.data[2 * i + 1]);
    }
    expect(min0).toBeGreaterThanOrEqual(-1);
    expect(max0).toBeLessThanOrEqual(3);
    expect(min0).toBeLessThan(-0.9);
    expect(max0).toBeGreaterThan(2.9);
    expect(min1).toBeGreaterThanOrEqual(5);
    expect(max1).toBeLessThanOrEqual(25);
  });

  it('average precision matches scikit-learn on a small case', () => {
    // sklearn.metrics.average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.8333...
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.8333333, 6);
  });

  it('label-aware candidates: no anomaly leaves unsupervised detectors and ABC', () => {
    expect(chooseCandidates(['abc', 'ae', 'lrc'], 0).map((e) => e.name)).toEqual(['abc', 'ae']);
    expect(chooseCandidates(['abc', 'lrc'], 5).map((e) => e.name)).toEqual(['abc', 'lrc']);
    expect(() => chooseCandidates(['lrc'], 0)).toThrow(/no anomaly/);
  });
});

describe('searchDetectors', () => {
  it('random search over abc and ae picks ABC, which detects known and unknown anomalies', async () => {
    const full = { ...net, maxEpochs: 100, patience: 10 };
    const big = toyTrainingSet(makeToyData({ nPerClass: 1000, seed: 3 }));
    const result = await searchDetectors(big.X, big.y, {
      detectors: ['abc', 'ae'],
      trialsPerDetector: 2,
      fixed: { abc: full, ae: full },
      seed: 1,
    });
    expect(result.trials.length).toBe(4);
    expect(result.best.detector).toBe('abc');
    const test = makeToyData({ nPerClass: 1000, seed: 4 });
    const yt = new Uint8Array(2000).fill(1, 1000);
    const known = auroc(await result.bestPipeline.scoreSamples(vstack([test.normal, test.known])), yt);
    const unknown = auroc(await result.bestPipeline.scoreSamples(vstack([test.normal, test.unknown])), yt);
    expect(known).toBeGreaterThan(0.95);
    expect(unknown).toBeGreaterThan(0.99);
    expect(result.validationNote).toMatch(/stratified split: 200 of 1000 known anomalies/);
  }, 120_000);

  it('successive halving scales the epoch budget by eta and keeps the best third per rung', async () => {
    const events: number[] = [];
    const result = await searchDetectors(X, y, {
      detectors: ['abc', 'ae'],
      strategy: 'halving',
      trialsPerDetector: 3,
      fixed: { abc: net, ae: net },
      seed: 1,
      onProgress: (e) => events.push(e.step),
    });
    const byRung = [0, 1, 2].map((r) => result.trials.filter((t) => t.rung === r));
    expect(byRung.map((r) => r.length)).toEqual([6, 2, 1]);
    expect(byRung.map((r) => r[0].budget)).toEqual([3, 9, 27].map((value) => ({ param: 'maxEpochs', value })));
    const rung0 = [...byRung[0]].sort((a, b) => b.objective - a.objective);
    expect(byRung[1].map((t) => t.params.lr).sort()).toEqual(
      rung0
        .slice(0, 2)
        .map((t) => t.params.lr)
        .sort(),
    );
    expect(events).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(result.best.rung).toBe(2);
  }, 120_000);

  it('halving scales only a declared budget: SVM and OCSVM (none declared) train once with their real iteration cap', async () => {
    expect(budgetParam(getDetectorEntry('svm'))).toBeNull();
    expect(budgetParam(getDetectorEntry('ocsvm'))).toBeNull();
    expect(budgetParam(getDetectorEntry('abc'))).toBe('maxEpochs');
    expect(budgetParam(getDetectorEntry('iforest'))).toBe('nEstimators');
    const pick = Array.from({ length: 300 }, (_, i) => Math.floor((i * X.rows) / 300));
    const Xs = matrix(Float32Array.from(pick.flatMap((i) => Array.from(X.data.subarray(i * 2, i * 2 + 2)))), pick.length, 2);
    const ys = Uint8Array.from(pick, (i) => y[i]);
    const result = await searchDetectors(Xs, ys, {
      detectors: ['svm', 'ocsvm'],
      strategy: 'halving',
      trialsPerDetector: 3,
      seed: 4,
    });
    const svmTrials = result.trials.filter((t) => t.detector === 'svm' || t.detector === 'ocsvm');
    expect(svmTrials.length).toBeGreaterThan(0);
    for (const t of svmTrials) {
      expect(t.budget).toBeNull();
      expect(t.params.maxIter ?? null).toBeNull(); // not the 1 iteration a name-guessed "budget" gave them
    }
    // Each configuration was fitted at full cost once: its later rungs reuse that fit.
    const keys = new Set(svmTrials.map((t) => t.key));
    expect(keys.size).toBe(6);
  }, 120_000);

  it('is repeatable with a seed, resumes from recorded trials and aborts', async () => {
    const opts = { detectors: ['ae'], trialsPerDetector: 2, fixed: { ae: { ...net, maxEpochs: 5 } }, seed: 2 };
    const a = await searchDetectors(X, y, opts);
    const b = await searchDetectors(X, y, opts);
    expect(b.trials.map((t) => t.objective)).toEqual(a.trials.map((t) => t.objective));
    const recorded: Trial[] = [];
    await searchDetectors(X, y, { ...opts, onTrial: (t) => recorded.push(t) });
    let fits = 0;
    const c = await searchDetectors(X, y, { ...opts, resume: recorded, onTrial: () => fits++ });
    expect(fits).toBe(0); // every trial came from the record
    expect(c.best.objective).toBe(a.best.objective);
    const ctrl = new AbortController();
    await expect(searchDetectors(X, y, { ...opts, signal: ctrl.signal, onProgress: () => ctrl.abort() })).rejects.toBeInstanceOf(
      AbortError,
    );
  }, 120_000);

  it('without anomalies in the labels, it searches unsupervised candidates and ABC against synthetic outliers', async () => {
    const normalsOnly = new Uint8Array(train.normal.rows);
    const r = await searchDetectors(train.normal, normalsOnly, {
      detectors: ['abc', 'ae', 'lrc'],
      trialsPerDetector: 1,
      fixed: { abc: { ...net, maxEpochs: 5 }, ae: { ...net, maxEpochs: 5 } },
    });
    expect(r.candidates).toEqual(['abc', 'ae']);
    expect(r.trials.every((t) => t.aurocKnown === null)).toBe(true);
    expect(r.validationNote).toMatch(/no known anomaly/);
  }, 60_000);
});
