import { matrix, Random, vstack, type Matrix } from '@abc/core';

/** Options of {@link makeToyData}. */
export interface ToyDataOptions {
  /** Rows of each of the three sets. */
  nPerClass: number;
  /** Sd of the Gaussian noise on the half circles (default 0.3, which reproduces the paper's AUROCs). */
  noise?: number;
  /** Sd of the unknown-anomaly cluster around (−3, 3) (default 0.3). */
  unknownSd?: number;
  seed?: number;
}

/** The paper's 2D-Toy sets: normal rows, known anomalies and unknown anomalies. */
export interface ToyData {
  /** The upper half circle of scikit-learn's `make_moons` (plus noise). */
  normal: Matrix;
  /** The lower, interleaving half circle (plus noise). */
  known: Matrix;
  /** Rows ~ N((−3, 3), unknownSd²), never seen in training. */
  unknown: Matrix;
}

/**
 * The 2D-Toy data of the ABC paper: scikit-learn's `make_moons` geometry (upper circle (cos t, sin t), lower
 * circle (1 − cos t, 1 − sin t − 0.5), t evenly spaced over [0, π]) with Gaussian noise, and unknown anomalies
 * around (−3, 3). Every draw comes from core's seeded {@link Random}, so a seed gives the same sets everywhere.
 *
 * @example
 * const train = makeToyData({ nPerClass: 2000, seed: 1 });
 * const { X, y } = toyTrainingSet(train);          // normals (0) + known anomalies (1)
 */
export function makeToyData(options: ToyDataOptions): ToyData {
  const { nPerClass: n, noise = 0.3, unknownSd = 0.3, seed = 0 } = options;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`makeToyData: nPerClass must be a positive integer, got ${n}`);
  const rng = new Random(seed);
  const normal = new Float32Array(2 * n);
  const known = new Float32Array(2 * n);
  const unknown = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 0 : (Math.PI * i) / (n - 1);
    normal[2 * i] = Math.cos(t) + rng.normal(0, noise);
    normal[2 * i + 1] = Math.sin(t) + rng.normal(0, noise);
  }
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 0 : (Math.PI * i) / (n - 1);
    known[2 * i] = 1 - Math.cos(t) + rng.normal(0, noise);
    known[2 * i + 1] = 1 - Math.sin(t) - 0.5 + rng.normal(0, noise);
  }
  for (let i = 0; i < n; i++) {
    unknown[2 * i] = -3 + rng.normal(0, unknownSd);
    unknown[2 * i + 1] = 3 + rng.normal(0, unknownSd);
  }
  return { normal: matrix(normal, n, 2), known: matrix(known, n, 2), unknown: matrix(unknown, n, 2) };
}

/** A labelled set from some of the parts: normals labelled 0, the anomaly parts labelled 1, stacked in that order. */
export function labelledSet(normal: Matrix, ...anomalies: Matrix[]): { X: Matrix; y: Uint8Array } {
  const X = vstack([normal, ...anomalies]);
  const y = new Uint8Array(X.rows);
  y.fill(1, normal.rows);
  return { X, y };
}

/** The training set of setting 1: normals (label 0) and known anomalies (label 1). */
export function toyTrainingSet(data: ToyData): { X: Matrix; y: Uint8Array } {
  return labelledSet(data.normal, data.known);
}
