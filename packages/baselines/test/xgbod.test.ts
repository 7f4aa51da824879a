import { describe, expect, it } from 'vitest';
import {
  AbortError,
  ModelFormatError,
  Random,
  StandardScaler,
  ValidationError,
  createDetector,
  deserialize,
  matrix,
  registerDetectorClass,
  serialize,
  type Matrix,
  type ProgressEvent,
} from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { HBOS } from '../src/hbos.js';
import { IsolationForest } from '../src/iforest.js';
import { KNN } from '../src/knn.js';
import { LOF } from '../src/lof.js';
import { OCSVM } from '../src/svm/ocsvm.js';
import { XGBOD } from '../src/xgbod.js';
import {
  XGBOD_FAST_MEMBERS,
  XGBOD_STANDARD_MEMBERS,
  memberLabel,
  memberLists,
  resolveMembers,
  type XGBODMemberParams,
} from '../src/xgbod-members.js';
import { createMemberDetector } from '../src/xgbod-member-detectors.js';
import { fitNeighbourMembers, scoreNeighbourMembers } from '../src/xgbod-neighbours.js';
import { auroc, select, toyData } from './helpers.js';

registerDetectorClass(XGBOD, { ifAbsent: true });

const SMALL = { knnNeighbors: [2, 5], lofNeighbors: [5], hbosBins: [10], ocsvmNuPercent: [50], iforestTrees: [10], maxIter: 10 };
const PRESET: XGBODMemberParams = {
  members: 'standard',
  knnNeighbors: null,
  lofNeighbors: null,
  hbosBins: null,
  ocsvmNuPercent: null,
  iforestTrees: null,
};

/** The toy problem: normals and known anomalies for training, all three kinds for testing. */
function toy(seed: number) {
  const rng = new Random(seed);
  const train = toyData(rng, 300, 30, 0);
  const test = toyData(rng, 200, 40, 40);
  return { train: select(train.X, train.kind, [0, 1]), test: select(test.X, test.kind, [0, 1, 2]) };
}

/** Rows with many ties and a constant column: integer grid values, duplicated rows. */
function tiedRows(n: number, seed: number): Matrix {
  const rng = new Random(seed);
  const data = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[3 * i] = rng.int(5);
    data[3 * i + 1] = i % 7 === 0 ? data[3 * (i - (i > 0 ? 1 : 0))] : rng.int(4);
    data[3 * i + 2] = 2;
  }
  return matrix(data, n, 3);
}

describe('XGBOD', () => {
  it('passes the conformance suite (small member lists)', async () => {
    // Not `random`: the seed moves only the isolation forest columns, which the boosting may not split on (on the
    // check data the features alone separate the classes); the seed's effect on them is tested below.
    await checkDetector((p) => new XGBOD({ ...SMALL, ...p }));
  }, 60_000);

  it("builds PyOD's standard 41 members in PyOD's order; KNN and LOF with k >= rows are left out", () => {
    const lists = memberLists(PRESET);
    expect(lists).toEqual(XGBOD_STANDARD_MEMBERS);
    const members = resolveMembers(lists, 537);
    expect(members.length).toBe(41);
    expect(members.slice(0, 4).map(memberLabel)).toEqual(['knn(k=1)', 'lof(k=1)', 'knn(k=3)', 'lof(k=3)']);
    expect(members.slice(16, 17).map(memberLabel)).toEqual(['hbos(bins=5)']);
    expect(members.slice(23, 24).map(memberLabel)).toEqual(['ocsvm(nu=0.01)']);
    expect(members.at(-1)).toEqual({ family: 'iforest', value: 200 });
    // 30 rows: k = 30, 40, 50 go for both KNN and LOF, as in PyOD (k < n_samples).
    expect(resolveMembers(lists, 30).length).toBe(35);
    expect(resolveMembers(memberLists({ ...PRESET, members: 'fast' }), 537).length).toBe(25);
    expect(memberLists({ ...PRESET, members: 'fast', iforestTrees: [7] })).toEqual({ ...XGBOD_FAST_MEMBERS, iforest: [7] });
  });

  it('has the documented defaults, and rejects bad member lists with a message naming the parameter', () => {
    const p = new XGBOD().getParams();
    expect(p).toMatchObject({ ...PRESET, learningRate: 0.1, maxIter: 100, maxDepth: 3, maxLeafNodes: null, l2Regularization: 1 });
    expect(p.earlyStopping).toBe('false');
    const bad = (params: Partial<XGBODMemberParams>, msg: RegExp) => {
      expect(() => new XGBOD(params)).toThrow(ValidationError);
      expect(() => new XGBOD(params)).toThrow(msg);
    };
    bad({ ocsvmNuPercent: [0] }, /ocsvmNuPercent.*>= 1/);
    bad({ ocsvmNuPercent: [50, 101] }, /ocsvmNuPercent: 101 is outside \[1, 100\]/);
    bad({ knnNeighbors: [5, 5] }, /knnNeighbors: 5 is listed twice/);
    bad({ hbosBins: [1] }, /hbosBins/);
    bad(
      { knnNeighbors: [], lofNeighbors: [], hbosBins: [], ocsvmNuPercent: [], iforestTrees: [] },
      /no member detector: every family list is empty/,
    );
    expect(() => new XGBOD().setParams({ iforestTrees: [0] })).toThrow(/iforestTrees/);
  });

  it('a training set too small for every member is a typed error naming the row count', async () => {
    const det = new XGBOD({ knnNeighbors: [5], lofNeighbors: [5], hbosBins: [], ocsvmNuPercent: [], iforestTrees: [] });
    await expect(det.fit([[0], [1], [2], [3]], [0, 0, 1, 0])).rejects.toThrow(/no member detector for 4 training rows/);
  });

  it('its shared neighbour search gives exactly the scores of separate KNN and LOF detectors (ties, duplicates, constant column)', async () => {
    const X = tiedRows(240, 3);
    const Q = tiedRows(60, 4);
    const ks = [1, 3, 5, 10, 20];
    const { model, train } = await fitNeighbourMembers(X, ks, ks);
    const scored = await scoreNeighbourMembers(model, Q);
    for (const [m, k] of ks.entries()) {
      const knn = await new KNN({ nNeighbors: k, method: 'largest' }).fit(X);
      const lof = await new LOF({ nNeighbors: k }).fit(X);
      expect(Array.from(train.knn[m]), `knn k=${k} train`).toEqual(Array.from(knn.trainingScores));
      expect(Array.from(train.lof[m]), `lof k=${k} train`).toEqual(Array.from(lof.trainingScores));
      expect(Array.from(Float32Array.from(scored.knn[m])), `knn k=${k} new rows`).toEqual(Array.from(await knn.scoreSamples(Q)));
      expect(Array.from(Float32Array.from(scored.lof[m])), `lof k=${k} new rows`).toEqual(Array.from(await lof.scoreSamples(Q)));
    }
  });

  it('its HBOS, OCSVM and forest members keep the training scores of their fit (no second pass), and save as the plain detectors', async () => {
    const { train } = toy(6);
    for (const m of [
      { family: 'hbos', value: 7 },
      { family: 'ocsvm', value: 20 },
      { family: 'iforest', value: 15 },
    ] as const) {
      const det = createMemberDetector(m, 2, 4);
      expect(det.fitScores).toBeNull();
      await det.fit(train.X);
      expect(det.name).toBe(m.family);
      expect(Array.from(det.fitScores!), m.family).toEqual(Array.from(await det.scoreSamples(train.X)));
      const Plain = { hbos: HBOS, ocsvm: OCSVM, iforest: IsolationForest }[m.family];
      const plain = new Plain(det.getParams() as never);
      plain.setState(det.getState());
      expect(Array.from(await plain.scoreSamples(train.X))).toEqual(Array.from(det.fitScores!));
    }
    expect(() => createMemberDetector({ family: 'knn', value: 5 }, 2, 0)).toThrow(ValidationError);
  });

  it('augments the features with each member score of the new rows, in member order', async () => {
    const { train, test } = toy(5);
    const det = await new XGBOD({ ...SMALL, seed: 2 }).fit(train.X, train.y);
    expect(det.memberNames).toEqual(['knn(k=2)', 'lof(k=5)', 'knn(k=5)', 'hbos(bins=10)', 'ocsvm(nu=0.5)', 'iforest(trees=10)']);
    const A = await det.augment(test.X);
    expect([A.rows, A.cols]).toEqual([test.X.rows, 2 + 6]);
    // Column 0-1: the features; column 2 + 2 (knn k=5): KNN on the training-standardized rows.
    const scaler = new StandardScaler().fit(train.X);
    const knn5 = await new KNN({ nNeighbors: 5 }).fit(scaler.transform(train.X));
    const expected = await knn5.scoreSamples(scaler.transform(test.X));
    for (let i = 0; i < A.rows; i++) {
      expect(A.data[i * A.cols]).toBe(test.X.data[2 * i]);
      expect(A.data[i * A.cols + 4]).toBe(expected[i]);
    }
    // The seed reaches the isolation forest (the last column) and nothing else.
    const B = await (await new XGBOD({ ...SMALL, seed: 3 }).fit(train.X, train.y)).augment(test.X);
    const differs = (j: number) =>
      Array.from({ length: A.rows }, (_, i) => i).some((i) => A.data[i * 8 + j] !== B.data[i * 8 + j]);
    expect(Array.from({ length: 8 }, (_, j) => differs(j))).toEqual([false, false, false, false, false, false, false, true]);
  });

  it('learns known anomalies and flags unknown ones on the toy data; the probability is the boosting one', async () => {
    const { train, test } = toy(1);
    const det = await new XGBOD({ members: 'fast', seed: 1 }).fit(train.X, train.y);
    const p = await det.predictProba(test.X);
    expect(Array.from(await det.scoreSamples(test.X))).toEqual(Array.from(p));
    for (const v of p) expect(v >= 0 && v <= 1).toBe(true);
    expect(auroc(p, test.y)).toBeGreaterThan(0.9);
    expect(det.threshold).toBe(0.5);
  });

  it('contamination sets the threshold at that quantile of the training probabilities', async () => {
    const { train } = toy(2);
    const det = await new XGBOD({ ...SMALL, contamination: 0.2 }).fit(train.X, train.y);
    const flags = await det.predict(train.X);
    const share = flags.reduce((s, v) => s + v, 0) / flags.length;
    // The training probabilities come from the leave-one-out member scores (PyOD's decision_scores_); scoring
    // the training rows as new rows gives the in-sample ones, so the share is near but not exactly 0.2.
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.3);
    expect(det.threshold).toBeGreaterThan(0);
    expect(det.threshold).toBeLessThan(1);
  });

  it('reports one progress event per member, then per boosting iteration, and aborts between members', async () => {
    const { train } = toy(3);
    const events: ProgressEvent[] = [];
    await new XGBOD(SMALL).fit(train.X, train.y, { onProgress: (e) => events.push(e) });
    expect(events.length).toBe(6 + 10);
    expect(events.map((e) => e.step)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(events.every((e) => e.totalSteps === 16 && e.unit === 'iteration')).toBe(true);

    for (const stopAt of [1, 4, 8]) {
      const ctrl = new AbortController();
      let seen = 0;
      const det = new XGBOD(SMALL);
      const onProgress = () => {
        seen++;
        if (seen === stopAt) ctrl.abort();
      };
      await expect(det.fit(train.X, train.y, { signal: ctrl.signal, onProgress })).rejects.toBeInstanceOf(AbortError);
      expect(seen).toBe(stopAt);
      expect(det.fitted).toBe(false);
    }
  });

  it('saves every member inside one model file and loads to identical scores; a state that disagrees with its params is refused', async () => {
    const { train, test } = toy(4);
    const det = await new XGBOD({ ...SMALL, knnNeighbors: [1, 3], seed: 9 }).fit(train.X, train.y);
    const bytes = await serialize(det);
    const loaded = await deserialize(bytes);
    expect(loaded).toBeInstanceOf(XGBOD);
    expect(Array.from(await loaded.scoreSamples(test.X))).toEqual(Array.from(await det.scoreSamples(test.X)));
    expect(loaded.threshold).toBe(det.threshold);

    const state = det.getState();
    const other = new XGBOD({ ...SMALL, knnNeighbors: [1, 4], seed: 9 });
    expect(() => other.setState(state)).toThrow(ModelFormatError);
    expect(() => other.setState(state)).toThrow(/knn\(k=3\)/);
    const broken = { ...state, meta: { ...state.meta, detectors: [] } };
    expect(() => new XGBOD({ ...SMALL, knnNeighbors: [1, 3], seed: 9 }).setState(broken)).toThrow(/"detectors" must list 3/);
  });

  it('is registered as xgbod (supervised, with a probability, budget maxIter)', () => {
    const d = createDetector('xgbod');
    expect(d).toBeInstanceOf(XGBOD);
    expect(d.supervision).toBe('supervised');
    expect(d.hasProbability).toBe(true);
    expect(XGBOD.declaration.budget).toBe('maxIter');
  });
});
