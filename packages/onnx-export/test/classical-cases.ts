import {
  Pipeline,
  Random,
  StandardScaler,
  matrix,
  type AugmentedExportSpec,
  type Detector,
  type DetectorExportSpec,
  type Matrix,
} from '@abc/core';
import { COPOD, ECOD, GradientTreeBoosting, HBOS, IsolationForest, KNN, LOF, OCSVM, SVM, type HBOSModel } from '@abc/baselines';
import { D, FEATURES, makeData } from './helpers.js';

/**
 * The classical detectors' export cases (issue 18): HBOS, ECOD, COPOD, KNN (largest, mean, median), LOF, OCSVM,
 * SVM, fitted on small data, each with test rows that reach every branch of its scoring: rows of a generated
 * test set, the training rows themselves (ties with training values, distance 0 to a reference row), rows far
 * outside the training range, and for HBOS the float32 values on and next to every bin edge and tolerance bound.
 * A second data set has tied values and constant columns.
 */
export interface ClassicalCase {
  id: string;
  model: Detector;
  X: Matrix;
  /** A pipeline with a float32 scaler in front (whose exported arithmetic rounds differently by an ulp). */
  scaled: boolean;
}

/** Rows whose feature j cycles through `values[j]` (as many rows as the longest list). */
export function probeRows(values: number[][]): Matrix {
  const d = values.length;
  const n = Math.max(...values.map((v) => v.length));
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] = values[j][i % values[j].length];
  return matrix(data, n, d);
}

/** Row-wise concatenation of matrices with the same columns (feature names from the first). */
export function stack(...parts: Matrix[]): Matrix {
  const d = parts[0].cols;
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const data = new Float32Array(rows * d);
  let at = 0;
  for (const p of parts) {
    data.set(p.data.subarray(0, p.rows * d), at);
    at += p.rows * d;
  }
  return matrix(data, rows, d, parts[0].featureNames);
}

/** Each training value scaled far out (×10 around the column mean, and shifted by ±1e4). */
function farRows(X: Matrix): Matrix {
  const d = X.cols;
  const n = Math.min(X.rows, 40);
  const data = new Float32Array(2 * n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = X.data[i * d + j];
      data[i * d + j] = v * 10;
      data[(n + i) * d + j] = v + (i % 2 === 0 ? 1e4 : -1e4);
    }
  }
  return matrix(data, 2 * n, d, X.featureNames);
}

/** Tied values and constant columns: column 1 constant 3.25, column 4 constant 0, columns 0 and 3 on a coarse grid. */
export function makeTiedData(n: number, seed: number): Matrix {
  const rng = new Random(seed);
  const d = 5;
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = rng.normal(0, 1);
    data[i * d] = Math.round(z * 2) / 2;
    data[i * d + 1] = 3.25;
    data[i * d + 2] = z + rng.normal(0, 0.3);
    data[i * d + 3] = Math.floor(rng.float() * 5);
    data[i * d + 4] = 0;
  }
  return matrix(data, n, d);
}

/**
 * Points of a 7 × 5 lattice (spacing 0.5, shifted by `offset`), point p repeated 3 · (1 + (5p mod 6)) times, rows in
 * round-robin order over the points: a query on or between lattice points has more rows at exactly the same
 * distance than the 16 extra candidates, from points of different multiplicity (so different k-distances and
 * lrds): the k nearest must come out by the lower training index, as in TypeScript, for LOF to agree.
 */
export function makeLatticeData(offset: number): Matrix {
  const rows: number[] = [];
  for (let round = 0; round < 18; round++) {
    for (let p = 0; p < 35; p++) {
      if (round < 3 * (1 + ((5 * p) % 6))) rows.push((p % 7) * 0.5 + offset, Math.floor(p / 7) * 0.5 - offset);
    }
  }
  return matrix(Float32Array.from(rows), rows.length / 2, 2);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** A float32 and its two float32 neighbours. */
function around(x: number): number[] {
  const f = Math.fround(x);
  f32[0] = f;
  const bits = u32[0];
  u32[0] = bits + 1;
  const a = f32[0];
  u32[0] = bits - 1;
  const b = f32[0];
  return f === 0 ? [0, 1.401298464324817e-45, -1.401298464324817e-45] : [f, a, b];
}

/** For HBOS: per feature, every edge and both tolerance bounds, with their float32 neighbours. */
export function hbosEdgeRows(det: HBOS, tol: number): Matrix {
  const { nBins, nFeatures: d, edges } = (det as unknown as { model: HBOSModel }).model;
  const values: number[][] = [];
  for (let j = 0; j < d; j++) {
    const e = edges.subarray(j * (nBins + 1), (j + 1) * (nBins + 1));
    const v: number[] = [];
    for (const edge of e) v.push(...around(edge));
    v.push(...around(e[0] - (e[1] - e[0]) * tol), ...around(e[nBins] + (e[nBins] - e[nBins - 1]) * tol));
    values.push(v);
  }
  return probeRows(values);
}

/** Every classical case, fitted (about a second in all). */
export async function buildClassicalCases(nTest = 200): Promise<ClassicalCase[]> {
  const train = makeData(400, D, 1, 0.1, FEATURES);
  const test = makeData(nTest, D, 2, 0.3, FEATURES);
  const tied = makeTiedData(300, 3);
  const tiedTest = stack(makeTiedData(100, 4), tied, farRows(tied));
  const rowsFor = (X: Matrix) => {
    const k = Math.min(X.rows, 60);
    return stack(test.X, matrix(X.data.subarray(0, k * D), k, D, FEATURES), farRows(X));
  };
  const cases: ClassicalCase[] = [];
  const add = async (id: string, model: Detector, X: Matrix, trainX: Matrix, y?: Uint8Array) => {
    await model.fit(trainX, y);
    cases.push({ id, model, X, scaled: model instanceof Pipeline });
  };
  const hbos = new HBOS();
  await add('hbos', hbos, rowsFor(train.X), train.X);
  cases[cases.length - 1].X = stack(cases[cases.length - 1].X, hbosEdgeRows(hbos, 0.5));
  const hbosTied = new HBOS({ nBins: 8, tol: 0.2 });
  await add('hbos-ties-constant', hbosTied, tiedTest, tied);
  cases[cases.length - 1].X = stack(tiedTest, hbosEdgeRows(hbosTied, 0.2));
  await add('ecod', new ECOD(), rowsFor(train.X), train.X);
  await add('ecod-ties-constant', new ECOD(), tiedTest, tied);
  await add('copod', new COPOD(), rowsFor(train.X), train.X);
  await add('copod-ties-constant', new COPOD(), tiedTest, tied);
  await add('knn-largest', new KNN(), rowsFor(train.X), train.X);
  await add('knn-mean', new KNN({ nNeighbors: 7, method: 'mean' }), rowsFor(train.X), train.X);
  await add('knn-median-even', new KNN({ nNeighbors: 4, method: 'median' }), tiedTest, tied);
  await add('knn-median-odd', new KNN({ nNeighbors: 5, method: 'median' }), rowsFor(train.X), train.X);
  const small = matrix(train.X.data.subarray(0, 20 * D), 20, D, FEATURES);
  await add('knn-all-rows', new KNN({ nNeighbors: 6 }), rowsFor(small), small); // k + 16 >= 20 rows: no candidate step
  await add('lof', new LOF(), rowsFor(train.X), train.X);
  await add('lof-ties-constant', new LOF({ nNeighbors: 10 }), tiedTest, tied);
  await add('lof-scaled', new Pipeline([new StandardScaler(), new LOF({ nNeighbors: 15 })]), rowsFor(train.X), train.X);
  const lattice = makeLatticeData(1000.25);
  const latticeTest = stack(lattice, makeLatticeData(1000), makeLatticeData(1000.5));
  await add('knn-lattice', new KNN({ nNeighbors: 10 }), latticeTest, lattice);
  await add('lof-lattice', new LOF({ nNeighbors: 10 }), latticeTest, lattice);
  await add('ocsvm', new OCSVM({ nu: 0.1 }), rowsFor(train.X), train.X);
  await add('ocsvm-scaled', new Pipeline([new StandardScaler(), new OCSVM({ nu: 0.5 })]), rowsFor(train.X), train.X);
  await add('svm', new SVM({ C: 10 }), rowsFor(train.X), train.X, train.y);
  return cases;
}

/** A hand-assembled feature augmentation (XGBOD's shape) and its TypeScript scores. */
export interface AugmentedCase {
  spec: AugmentedExportSpec;
  X: Matrix;
  /** The same computation in TypeScript: members' scoreSamples, standardized in float64, the head's scoreSamples. */
  score(X: Matrix): Promise<Float32Array>;
  threshold: number;
}

/**
 * XGBOD's shape: KNN, LOF and OCSVM fitted on the standardized training rows (core's StandardScaler), HBOS, ECOD and
 * an isolation forest on the raw ones; the member scores standardized with their training mean and (population)
 * standard deviation, except the forest's, which enters as it is (mean 0, std 1, as XGBOD's scores do); GTB fitted on
 * [x, member features]; the spec of the whole.
 */
export async function buildAugmentedCase(nTest = 200): Promise<AugmentedCase> {
  const train = makeData(400, D, 1, 0.1, FEATURES);
  const test = makeData(nTest, D, 2, 0.3, FEATURES);
  const scaler = new StandardScaler().fit(train.X);
  const members: { det: Detector & { toExportSpec(): DetectorExportSpec }; scaled: boolean; standardize: boolean }[] = [
    { det: new KNN({ nNeighbors: 5 }), scaled: true, standardize: true },
    { det: new LOF({ nNeighbors: 10 }), scaled: true, standardize: true },
    { det: new OCSVM({ nu: 0.1 }), scaled: true, standardize: true },
    { det: new HBOS(), scaled: false, standardize: true },
    { det: new ECOD(), scaled: false, standardize: true },
    { det: new IsolationForest({ nEstimators: 50, seed: 4 }), scaled: false, standardize: false },
  ];
  const inputOf = (X: Matrix, scaled: boolean) => (scaled ? scaler.transform(X) : X);
  for (const m of members) await m.det.fit(inputOf(train.X, m.scaled));
  const M = members.length;
  const mean = new Float64Array(M);
  const std = new Float64Array(M).fill(1);
  for (let m = 0; m < M; m++) {
    if (!members[m].standardize) continue;
    const s = await members[m].det.scoreSamples(inputOf(train.X, members[m].scaled));
    let sum = 0;
    for (const v of s) sum += v;
    mean[m] = sum / s.length;
    let sq = 0;
    for (const v of s) sq += (v - mean[m]) ** 2;
    std[m] = Math.sqrt(sq / s.length) || 1;
  }
  const augment = async (X: Matrix) => {
    const scores = await Promise.all(members.map((m) => m.det.scoreSamples(inputOf(X, m.scaled))));
    const width = D + M;
    const data = new Float32Array(X.rows * width);
    for (let i = 0; i < X.rows; i++) {
      data.set(X.data.subarray(i * D, (i + 1) * D), i * width);
      for (let m = 0; m < M; m++) data[i * width + D + m] = (scores[m][i] - mean[m]) / std[m];
    }
    return matrix(data, X.rows, width);
  };
  const head = new GradientTreeBoosting({ maxIter: 30, seed: 12 });
  await head.fit(await augment(train.X), train.y);
  const X = stack(test.X, farRows(train.X));
  return {
    spec: {
      kind: 'augmented',
      nFeatures: D,
      members: members.map((m) => m.det.toExportSpec()),
      mean,
      std,
      head: head.toExportSpec(),
      scaler: { center: scaler.mean, scale: scaler.scale },
      scaled: Uint8Array.from(members, (m) => (m.scaled ? 1 : 0)),
      threshold: head.threshold,
    },
    X,
    score: async (Q) => head.scoreSamples(await augment(Q)),
    threshold: head.threshold!,
  };
}
