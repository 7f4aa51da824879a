/**
 * The loss terms of RoSAS (Xu, Wang, Pang, Jian, Liu & Wang, "RoSAS: Deep semi-supervised anomaly detection with
 * contamination-resilient continuous supervision", Information Processing & Management 60(5), 2023, and the
 * authors' code, github.com/xuhongzuo/rosas): the triplet margin loss on the representations, the mass-interpolation
 * score loss (the score of a mixed row regressed on the mixed target and on the mixed scores of its parts, with the
 * smooth-L1 loss), the dynamic weighting of the two, and the code's penalty on the summed representations. Each
 * writes its gradients; each is checked by central differences. Browser-safe.
 */
import { ValidationError } from '@abc/core';

/** A writable array of numbers (float32 in training, float64 in gradient checks). */
export type NumberBuffer = Float32Array | Float64Array;

/** The ε PyTorch's `pairwise_distance` adds to each difference before the norm (`TripletMarginLoss`'s default). */
export const TRIPLET_EPS = 1e-6;

function checkRows(who: string, rows: number, dim: number, arrays: readonly ArrayLike<number>[]): void {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(dim) || dim < 1) {
    throw new ValidationError('shape', `${who}: rows and dim must be positive integers, got ${rows} and ${dim}`);
  }
  for (const a of arrays) {
    if (a.length < rows * dim) {
      throw new ValidationError('shape', `${who}: every array needs ${rows} × ${dim} values, got one of ${a.length}`);
    }
  }
}

/**
 * The triplet margin loss of RoSAS's feature-learning objective, `mean_b max(0, d(a_b, p_b) − d(a_b, n_b) + m)`
 * with `d(u, v) = ||u − v + ε||₂` (PyTorch's `TripletMarginLoss`, ε = {@link TRIPLET_EPS}): the anchor a and the
 * positive p are representations of unlabelled rows, the negative n of a labelled anomaly, `rows` triplets of `dim`
 * values each (row-major). Writes dLoss/da, dLoss/dp, dLoss/dn (0 for a triplet beyond the margin) and returns the
 * value.
 *
 * @example
 * const loss = tripletMarginLoss(ea, ep, en, B, 128, 1, dA, dP, dN);
 */
export function tripletMarginLoss(
  anchor: ArrayLike<number>,
  positive: ArrayLike<number>,
  negative: ArrayLike<number>,
  rows: number,
  dim: number,
  margin: number,
  dAnchor: NumberBuffer,
  dPositive: NumberBuffer,
  dNegative: NumberBuffer,
): number {
  checkRows('tripletMarginLoss', rows, dim, [anchor, positive, negative, dAnchor, dPositive, dNegative]);
  if (!(margin >= 0) || !Number.isFinite(margin)) {
    throw new ValidationError('param', `tripletMarginLoss: margin must be a finite number >= 0, got ${margin}`);
  }
  let total = 0;
  for (let b = 0; b < rows; b++) {
    const o = b * dim;
    let sp = 0;
    let sn = 0;
    for (let j = 0; j < dim; j++) {
      const up = anchor[o + j] - positive[o + j] + TRIPLET_EPS;
      const un = anchor[o + j] - negative[o + j] + TRIPLET_EPS;
      sp += up * up;
      sn += un * un;
    }
    const dp = Math.sqrt(sp);
    const dn = Math.sqrt(sn);
    const gap = dp - dn + margin;
    if (gap > 0) {
      total += gap;
      const kp = dp > 0 ? 1 / (rows * dp) : 0;
      const kn = dn > 0 ? 1 / (rows * dn) : 0;
      for (let j = 0; j < dim; j++) {
        const gp = (anchor[o + j] - positive[o + j] + TRIPLET_EPS) * kp;
        const gn = (anchor[o + j] - negative[o + j] + TRIPLET_EPS) * kn;
        dAnchor[o + j] = gp - gn;
        dPositive[o + j] = -gp;
        dNegative[o + j] = gn;
      }
    } else {
      for (let j = 0; j < dim; j++) {
        dAnchor[o + j] = 0;
        dPositive[o + j] = 0;
        dNegative[o + j] = 0;
      }
    }
  }
  return total / rows;
}

/**
 * The penalty of the authors' code on a batch of triplets' representations, `||A + P + N||₂` (the Frobenius norm of
 * the rows × dim sum; weighted by 0.01 there, outside the dynamic weighting). Its gradient with respect to each of
 * A, P and N is the same, `S / ||S||` (0 at S = 0, as PyTorch's norm): written once into `dSum`. Returns the norm.
 *
 * @example
 * const penalty = 0.01 * summedNormPenalty(ea, ep, en, B, 128, dSum);
 */
export function summedNormPenalty(
  anchor: ArrayLike<number>,
  positive: ArrayLike<number>,
  negative: ArrayLike<number>,
  rows: number,
  dim: number,
  dSum: NumberBuffer,
): number {
  checkRows('summedNormPenalty', rows, dim, [anchor, positive, negative, dSum]);
  const n = rows * dim;
  let ss = 0;
  for (let k = 0; k < n; k++) {
    const s = anchor[k] + positive[k] + negative[k];
    dSum[k] = s;
    ss += s * s;
  }
  const norm = Math.sqrt(ss);
  const inv = norm > 0 ? 1 / norm : 0;
  for (let k = 0; k < n; k++) dSum[k] *= inv;
  return norm;
}

/** PyTorch's `smooth_l1_loss` of one difference: `0.5 x² / β` for |x| < β, else `|x| − 0.5 β`. */
export function smoothL1(x: number, beta = 1): number {
  const a = Math.abs(x);
  return a < beta ? (0.5 * x * x) / beta : a - 0.5 * beta;
}

/** The derivative of {@link smoothL1}: `x / β` for |x| < β, else `sign(x)`. */
export function smoothL1Grad(x: number, beta = 1): number {
  return Math.abs(x) < beta ? x / beta : Math.sign(x);
}

/** The two terms of {@link mixupScoreLoss} (batch means). */
export interface MixupScoreLossParts {
  /** `mean_r ℓ(s(x̃_r), ỹ_r)`: the mixed row's score against its interpolated target. */
  target: number;
  /** `mean_r ℓ(s(x̃_r), Σ_m λ_{m,r} s(x_{π_m(r)}))`: consistency with the interpolated scores of its parts. */
  consistency: number;
}

/**
 * RoSAS's score loss on `n` rows mixed by mass interpolation from `k` parts each: row r of the mix is
 * `x̃_r = Σ_m λ_{m,r} x_{π_m(r)}` with weights `λ_{·,r}` on the simplex, its target `ỹ_r = Σ_m λ_{m,r} y_{π_m(r)}`
 * (y = −1 for an unlabelled row, +1 for a labelled anomaly), and the loss is the sum of two smooth-L1 (β = 1)
 * means: `mean_r ℓ(s̃_r, ỹ_r)` and the consistency `mean_r ℓ(s̃_r, Σ_m λ_{m,r} s_{π_m(r)})`.
 *
 * `scores` are the n original rows' scores, `mixedScores` the n mixed rows', `partners` (k × n, row-major) the
 * indices π_m(r) into the originals (the authors' code: m = 0 the identity, m ≥ 1 random permutations), `lambdas`
 * (k × n) the weights, `targets` the n originals' targets. Writes dLoss/d`scores` into `dScores` (accumulated
 * over every mix a row takes part in) and dLoss/d`mixedScores` into `dMixed`, for the sum of the two terms.
 *
 * @example
 * const { target, consistency } = mixupScoreLoss(s, sMix, 3 * B, 2, partners, lambdas, targets, dS, dMix);
 */
export function mixupScoreLoss(
  scores: ArrayLike<number>,
  mixedScores: ArrayLike<number>,
  n: number,
  k: number,
  partners: ArrayLike<number>,
  lambdas: ArrayLike<number>,
  targets: ArrayLike<number>,
  dScores: NumberBuffer,
  dMixed: NumberBuffer,
): MixupScoreLossParts {
  checkRows('mixupScoreLoss', n, 1, [scores, mixedScores, targets, dScores, dMixed]);
  if (!Number.isInteger(k) || k < 1 || partners.length < k * n || lambdas.length < k * n) {
    throw new ValidationError(
      'shape',
      `mixupScoreLoss: partners and lambdas need k × n = ${k} × ${n} values, got ${partners.length} and ${lambdas.length}`,
    );
  }
  dScores.fill(0, 0, n);
  let target = 0;
  let consistency = 0;
  for (let r = 0; r < n; r++) {
    let yMix = 0;
    let sMix = 0;
    for (let m = 0; m < k; m++) {
      const p = partners[m * n + r];
      if (!(p >= 0 && p < n)) throw new ValidationError('range', `mixupScoreLoss: partner ${p} of row ${r} is not in [0, ${n})`);
      const l = lambdas[m * n + r];
      yMix += l * targets[p];
      sMix += l * scores[p];
    }
    const s = mixedScores[r];
    target += smoothL1(s - yMix);
    consistency += smoothL1(s - sMix);
    const gt = smoothL1Grad(s - yMix) / n;
    const gc = smoothL1Grad(s - sMix) / n;
    dMixed[r] = gt + gc;
    for (let m = 0; m < k; m++) dScores[partners[m * n + r]] -= lambdas[m * n + r] * gc;
  }
  return { target: target / n, consistency: consistency / n };
}

/** The weights of {@link dynamicLossWeights} and the derivatives of the weighted total. */
export interface DynamicWeights {
  /** `Σ_i w_i L_i`. */
  total: number;
  /** w_i. */
  weights: number[];
  /** dTotal/dL_i (the weights depend on the losses, and the gradient goes through them). */
  grads: number[];
}

/**
 * RoSAS's dynamic weighting of its loss terms (after Liu et al.'s dynamic weight averaging, as the authors' code):
 * `w_i = e_i / Σ_j e_j` with `e_i = exp(L_i / (L̄_i T))`, `L_i` the term's value on this batch, `L̄_i` its mean
 * over the previous epoch (1 in the first) and T the temperature; a term whose previous mean is 0 gets `e_i = 0`,
 * and when every previous mean is 0 the terms are weighted equally. The total is `Σ_i w_i L_i`; like the authors'
 * PyTorch code (which does not detach the weights) its derivative includes the weights' own dependence on the losses:
 * `dTotal/dL_i = w_i (1 + (L_i − total) / (L̄_i T))`.
 *
 * @example
 * const { total, grads } = dynamicLossWeights([tripletLoss, scoreLoss], [prevTriplet, prevScore], 2);
 */
export function dynamicLossWeights(losses: readonly number[], previous: readonly number[], temperature: number): DynamicWeights {
  const m = losses.length;
  if (m === 0 || previous.length !== m) {
    throw new ValidationError(
      'shape',
      `dynamicLossWeights: needs one previous mean per loss, got ${m} losses and ${previous.length}`,
    );
  }
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new ValidationError('param', `dynamicLossWeights: temperature must be a finite number > 0, got ${temperature}`);
  }
  for (const p of previous) {
    if (!(p >= 0)) throw new ValidationError('range', `dynamicLossWeights: previous means must be >= 0, got ${p}`);
  }
  const active = previous.map((p) => p > 0);
  if (!active.some(Boolean)) {
    const w = 1 / m;
    return { total: losses.reduce((a, l) => a + w * l, 0), weights: losses.map(() => w), grads: losses.map(() => w) };
  }
  const a = losses.map((l, i) => (active[i] ? l / (previous[i] * temperature) : -Infinity));
  const top = Math.max(...a);
  const e = a.map((v) => (Number.isFinite(v) ? Math.exp(v - top) : 0));
  const sum = e.reduce((s, v) => s + v, 0);
  const weights = e.map((v) => v / sum);
  const total = weights.reduce((s, w, i) => s + w * losses[i], 0);
  const grads = weights.map((w, i) => (active[i] ? w * (1 + (losses[i] - total) / (previous[i] * temperature)) : 0));
  return { total, weights, grads };
}
