import { readFileSync } from 'node:fs';
import { matrix, Random, type Matrix } from '@abc/core';

/** Test helpers of the SVM baselines (kept apart from helpers.ts, which belongs to the tree methods). */

/** Exact AUROC (Mann-Whitney U, ties counted half). */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]]) {
        rankSumPos += avgRank;
        pos++;
      }
    }
    i = j + 1;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * (n - pos));
}

/** Pearson correlation. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

export function toM(rows: number[][]): Matrix {
  const d = rows[0].length;
  const data = new Float32Array(rows.length * d);
  rows.forEach((r, i) => data.set(r, i * d));
  return matrix(data, rows.length, d);
}

export interface SvmFixtureSet {
  name: string;
  model: 'svc' | 'ocsvm';
  params: Record<string, unknown>;
  /** Our params equivalent to scikit-learn's `params`. */
  ours: Record<string, number | string>;
  Xtrain: number[][];
  ytrain?: number[];
  Xtest: number[][];
  ytest: number[];
  /** scikit-learn's score on Xtest (higher = more anomalous). */
  score: number[];
  auroc: number;
  gamma: number;
  rho: number;
  nSupport: number;
}

export function loadSvmFixture(): { versions: Record<string, string>; sets: SvmFixtureSet[] } {
  return JSON.parse(readFileSync(new URL('./fixtures/svm/svm.json', import.meta.url), 'utf8'));
}

/**
 * The paper's 2-D toy data, drawn with core's Random: normals = the upper half circle of make_moons
 * (cos t, sin t), known anomalies = the lower one (1 − cos t, 0.5 − sin t), both at uniform random angles with
 * Gaussian noise sd 0.3; unknown anomalies ~ N((−3, 3), 0.3²). kind: 0 normal, 1 known, 2 unknown.
 */
export function toyData(seed: number, nNormal: number, nKnown: number, nUnknown: number, noise = 0.3) {
  const rng = new Random(seed);
  const n = nNormal + nKnown + nUnknown;
  const X = new Float32Array(n * 2);
  const kind = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const t = rng.float() * Math.PI;
    if (i < nNormal) {
      X[2 * i] = Math.cos(t) + rng.normal(0, noise);
      X[2 * i + 1] = Math.sin(t) + rng.normal(0, noise);
    } else if (i < nNormal + nKnown) {
      kind[i] = 1;
      X[2 * i] = 1 - Math.cos(t) + rng.normal(0, noise);
      X[2 * i + 1] = 0.5 - Math.sin(t) + rng.normal(0, noise);
    } else {
      kind[i] = 2;
      X[2 * i] = rng.normal(-3, 0.3);
      X[2 * i + 1] = rng.normal(3, 0.3);
    }
  }
  return { X: matrix(X, n, 2), kind };
}

/** The rows whose kind is in `kinds`, labelled 1 for any kind but 0. */
export function pick(X: Matrix, kind: Uint8Array, kinds: number[]): { X: Matrix; y: Uint8Array } {
  const idx: number[] = [];
  for (let i = 0; i < kind.length; i++) if (kinds.includes(kind[i])) idx.push(i);
  const out = new Float32Array(idx.length * X.cols);
  idx.forEach((i, k) => out.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), k * X.cols));
  return { X: matrix(out, idx.length, X.cols), y: Uint8Array.from(idx, (i) => (kind[i] === 0 ? 0 : 1)) };
}
