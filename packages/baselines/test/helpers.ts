import { readFileSync } from 'node:fs';
import { matrix, type Random, type Matrix } from '@abc/core';

/** Exact AUROC (Mann-Whitney U with ties counted half), O(n log n). */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (labels[order[k]]) {
        rankSumPos += avgRank;
        pos++;
      }
    i = j + 1;
  }
  const neg = n - pos;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && v[order[j + 1]] === v[order[i]]) j++;
    for (let k = i; k <= j; k++) r[order[k]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
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

/** Spearman rank correlation (Pearson on average ranks). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

export function mean(v: readonly number[]): number {
  return v.reduce((s, x) => s + x, 0) / v.length;
}

/**
 * The paper's 2-D toy data: normals = the upper half circle of make_moons, known anomalies = the lower one,
 * both with Gaussian noise (sd 0.3); unknown anomalies ~ N((−3, 3), 0.3²). Points on each moon at uniform
 * random angles (make_moons spaces them evenly; the distribution is the same up to the noise).
 */
export function toyData(rng: Random, nNormal: number, nKnown: number, nUnknown: number, noise = 0.3) {
  const n = nNormal + nKnown + nUnknown;
  const X = new Float32Array(n * 2);
  const kind = new Uint8Array(n); // 0 normal, 1 known, 2 unknown
  for (let i = 0; i < n; i++) {
    const a = rng.float() * Math.PI;
    let x: number;
    let y: number;
    if (i < nNormal) {
      x = Math.cos(a) + rng.normal(0, noise);
      y = Math.sin(a) + rng.normal(0, noise);
    } else if (i < nNormal + nKnown) {
      kind[i] = 1;
      x = 1 - Math.cos(a) + rng.normal(0, noise);
      y = 1 - Math.sin(a) - 0.5 + rng.normal(0, noise);
    } else {
      kind[i] = 2;
      x = rng.normal(-3, 0.3);
      y = rng.normal(3, 0.3);
    }
    X[2 * i] = x;
    X[2 * i + 1] = y;
  }
  return { X: matrix(X, n, 2), kind };
}

/** Rows of X whose kind is in `kinds`, with labels 1 for anything but 0. */
export function select(X: Matrix, kind: Uint8Array, kinds: number[]): { X: Matrix; y: Uint8Array } {
  const idx: number[] = [];
  for (let i = 0; i < kind.length; i++) if (kinds.includes(kind[i])) idx.push(i);
  const out = new Float32Array(idx.length * X.cols);
  idx.forEach((i, k) => {
    out.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), k * X.cols);
  });
  return { X: matrix(out, idx.length, X.cols), y: Uint8Array.from(idx, (i) => (kind[i] === 0 ? 0 : 1)) };
}

/** scikit-learn's results on one test set: per-seed AUROCs and the seed-mean scores (higher = more anomalous). */
export interface Reference {
  aurocs: number[];
  meanScores: number[];
  seeds?: number[];
}

export interface FixtureSet extends Partial<Reference> {
  name: string;
  Xtrain: number[][];
  ytrain?: number[];
  Xtest: number[][];
  ytest: number[];
  params?: unknown;
  gtb?: Reference;
  rusboost?: Reference;
}

export interface Fixture {
  versions: Record<string, string>;
  sets: FixtureSet[];
}

export function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Fixture;
}

export function toM(rows: number[][]): Matrix {
  const d = rows[0].length;
  const data = new Float32Array(rows.length * d);
  rows.forEach((r, i) => {
    data.set(r, i * d);
  });
  return matrix(data, rows.length, d);
}
