/**
 * RoSAS's batches (Xu et al., IP&M 2023, and the authors' `DataGenerator` and loss): B triplets of an unlabelled
 * anchor, an unlabelled positive and a labelled anomaly as the negative, and the mass interpolation of the batch's
 * 3B rows: each mixed row combines k of them (itself and k − 1 partners from random permutations) with weights λ
 * drawn from a symmetric Dirichlet(α) (Beta(α, α) for k = 2). Every draw comes from the seeded generator passed in.
 * Browser-safe. Internal to this package.
 */
import { ValidationError, type Random } from '@abc/core';

/** One RoSAS batch: row indices of the triplets and the interpolation of their 3B rows. */
export interface RoSASBatch {
  /** B rows labelled 0. */
  anchors: Uint32Array;
  /** B rows labelled 0. */
  positives: Uint32Array;
  /** B labelled anomalies. */
  negatives: Uint32Array;
  /**
   * k × 3B positions in the batch's rows [anchors, positives, negatives] (row-major): mixed row r combines rows
   * `partners[m · 3B + r]`, m = 0 .. k − 1 (m = 0: r itself in the original).
   */
  partners: Uint32Array;
  /** k × 3B weights, each column on the simplex: `x̃_r = Σ_m lambdas[m · 3B + r] · row(partners[m · 3B + r])`. */
  lambdas: Float32Array;
}

/** Allocates a {@link RoSASBatch} for B triplets mixed from k rows each. */
export function allocateRoSASBatch(batchSize: number, mixSize: number): RoSASBatch {
  const n = 3 * batchSize;
  return {
    anchors: new Uint32Array(batchSize),
    positives: new Uint32Array(batchSize),
    negatives: new Uint32Array(batchSize),
    partners: new Uint32Array(mixSize * n),
    lambdas: new Float32Array(mixSize * n),
  };
}

/** Where the batches of a RoSAS fit come from (the seeded sampler, or a test's replay of another implementation). */
export interface RoSASBatches {
  /** Fills `batch` (allocated by {@link allocateRoSASBatch} for the fit's B and k) with the next batch. */
  next(batch: RoSASBatch): void;
}

/**
 * A Gamma(shape, 1) draw as its logarithm (Marsaglia & Tsang 2000; for shape < 1 the boost
 * `Gamma(shape + 1) · U^(1/shape)`, kept in logs so that small shapes do not underflow).
 */
export function logGammaDraw(rng: Random, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new ValidationError('param', `gamma draw: shape must be > 0, got ${shape}`);
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = rng.float();
    return logGammaDraw(rng, shape + 1) + Math.log(u) / shape;
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal(0, 1);
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = rng.float();
    if (u > 0 && Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return Math.log(d * v);
  }
}

/**
 * A draw from the symmetric Dirichlet(α, ..., α) over k weights into `out[0 .. k)` (normalised Gamma(α) draws;
 * k = 2 gives (λ, 1 − λ) with λ ~ Beta(α, α), the original's mixing weight).
 *
 * @example
 * dirichletDraw(rng, 0.5, 2, w);   // w[0] ~ Beta(0.5, 0.5), w[1] = 1 − w[0]
 */
export function dirichletDraw(rng: Random, alpha: number, k: number, out: Float64Array): Float64Array {
  let top = -Infinity;
  for (let m = 0; m < k; m++) {
    out[m] = logGammaDraw(rng, alpha);
    if (out[m] > top) top = out[m];
  }
  let sum = 0;
  for (let m = 0; m < k; m++) {
    out[m] = Math.exp(out[m] - top);
    sum += out[m];
  }
  for (let m = 0; m < k; m++) out[m] /= sum;
  return out;
}

/** The options of {@link randomRoSASBatches}. */
export interface RoSASSampling {
  /** B: triplets per batch. */
  batchSize: number;
  /** k: rows combined into each mixed row (>= 2). */
  mixSize: number;
  /** α of the symmetric Dirichlet the mixing weights are drawn from. */
  alpha: number;
}

/**
 * The original's draws from the seeded generator: per batch, B anchors and (independently) B positives drawn
 * without replacement from the rows labelled 0 (with replacement when fewer than B are), B negatives drawn with
 * replacement from the labelled anomalies; then for the 3B rows [anchors, positives, negatives], partner row m = 0
 * is the identity and rows m = 1 .. k − 1 are fresh random permutations, and each mixed row's weights are a
 * Dirichlet(α) draw. Labels: 1 = labelled anomaly, 0 = unlabelled; both must occur.
 *
 * @example
 * const batches = randomRoSASBatches(rng, y, { batchSize: 32, mixSize: 2, alpha: 0.5 });
 * const batch = allocateRoSASBatch(32, 2);
 * batches.next(batch);
 */
export function randomRoSASBatches(rng: Random, labels: ArrayLike<number>, s: RoSASSampling): RoSASBatches {
  const u: number[] = [];
  const a: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? a : u).push(i);
  if (u.length === 0 || a.length === 0) {
    throw new ValidationError(
      'labels',
      `RoSAS: needs unlabelled rows (0) and at least one labelled anomaly (1), got ${u.length} labelled 0 and ${a.length} labelled 1`,
    );
  }
  const B = s.batchSize;
  const k = s.mixSize;
  if (!Number.isInteger(B) || B < 1) throw new ValidationError('param', `RoSAS: batchSize must be an integer >= 1, got ${B}`);
  if (!Number.isInteger(k) || k < 2) throw new ValidationError('param', `RoSAS: mixSize must be an integer >= 2, got ${k}`);
  if (!(s.alpha > 0)) throw new ValidationError('param', `RoSAS: alpha must be > 0, got ${s.alpha}`);
  const unlabelled = Uint32Array.from(u);
  const anomalies = Uint32Array.from(a);
  // Partial Fisher-Yates on a persistent copy: B distinct rows in O(B), whatever order the pool is left in.
  const pool = Uint32Array.from(u);
  const distinct = (out: Uint32Array): void => {
    const n = pool.length;
    if (n < B) {
      for (let j = 0; j < B; j++) out[j] = unlabelled[rng.int(n)];
      return;
    }
    for (let j = 0; j < B; j++) {
      const t = j + rng.int(n - j);
      const v = pool[t];
      pool[t] = pool[j];
      pool[j] = v;
      out[j] = v;
    }
  };
  const n = 3 * B;
  const w = new Float64Array(k);
  return {
    next(batch) {
      if (batch.anchors.length !== B || batch.partners.length !== k * n) {
        throw new ValidationError('shape', `RoSAS: the batch must be allocated for B = ${B} and k = ${k}`);
      }
      distinct(batch.anchors);
      distinct(batch.positives);
      for (let j = 0; j < B; j++) batch.negatives[j] = anomalies[rng.int(anomalies.length)];
      const P = batch.partners;
      for (let r = 0; r < n; r++) P[r] = r;
      for (let m = 1; m < k; m++) {
        const row = P.subarray(m * n, (m + 1) * n);
        for (let r = 0; r < n; r++) row[r] = r;
        rng.shuffle(row);
      }
      for (let r = 0; r < n; r++) {
        dirichletDraw(rng, s.alpha, k, w);
        for (let m = 0; m < k; m++) batch.lambdas[m * n + r] = w[m];
      }
    },
  };
}
