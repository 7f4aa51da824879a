import { checkLabels, checkScores } from './input.js';
import type { LabelsLike } from '../validate.js';

/**
 * A fitted Platt scaling: p(anomaly | s) = 1 / (1 + exp(a·s + b)). With scores where higher means more
 * anomalous, `a` comes out negative.
 */
export interface PlattCalibrator {
  method: 'platt';
  a: number;
  b: number;
}

/** Options of {@link fitPlatt}. */
export interface PlattOptions {
  /** Newton iterations at most (default 100; the fit usually converges in under 10). */
  maxIterations?: number;
}

/**
 * Fits Platt's sigmoid p = 1 / (1 + exp(a·s + b)) to scores and 0/1 labels (1 = anomaly), by maximum
 * likelihood with Platt's (1999) smoothed targets t₊ = (N₊ + 1) / (N₊ + 2) and t₋ = 1 / (N₋ + 2), the prior
 * that keeps a and b finite when the scores separate the classes. The same problem as scikit-learn's
 * `_sigmoid_calibration` (start at a = 0, b = log((N₋ + 1) / (N₊ + 1)); scores rescaled by max |s| when that
 * is ≥ 30, which changes only the conditioning), solved here by Newton's method with a backtracking line
 * search and a 1e-12 ridge on the Hessian (Lin, Lin and Weng, "A note on Platt's probabilistic outputs for
 * support vector machines", 2007) to full double precision, where scikit-learn stops its quasi-Newton
 * search at a gradient tolerance.
 *
 * @example
 * const cal = fitPlatt([0.1, 0.3, 0.2, 0.9, 0.7, 0.4], [0, 0, 0, 1, 1, 1]);
 * applyPlatt(cal, [0.8]);   // Float64Array [p(anomaly | 0.8)]
 */
export function fitPlatt(scores: ArrayLike<number>, labels: LabelsLike, options: PlattOptions = {}): PlattCalibrator {
  const f = checkScores(scores, 'fitPlatt');
  const n = f.length;
  const y = checkLabels(labels, n, 'fitPlatt');
  const maxIterations = options.maxIterations ?? 100;
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += y[i];
  const nNeg = n - nPos;
  const hi = (nPos + 1) / (nPos + 2);
  const lo = 1 / (nNeg + 2);
  const t = new Float64Array(n);
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    t[i] = y[i] === 1 ? hi : lo;
    maxAbs = Math.max(maxAbs, Math.abs(f[i]));
  }
  // Large scores make exp(a·s) overflow early in the search and the Hessian ill-conditioned; the slope on
  // scores / scale is the slope on scores times scale, so solve on the rescaled scores and scale back.
  const scale = maxAbs >= 30 ? maxAbs : 1;
  if (scale !== 1) for (let i = 0; i < n; i++) f[i] /= scale;

  let a = 0;
  let b = Math.log((nNeg + 1) / (nPos + 1));
  let cur = plattTerms(f, t, a, b);
  const MIN_STEP = 1e-10;
  for (let it = 0; it < maxIterations; it++) {
    const { gA, gB, h11, h22, h21 } = cur;
    if (Math.abs(gA) <= 1e-14 * n && Math.abs(gB) <= 1e-14 * n) break;
    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * gA - h21 * gB) / det;
    const dB = -(-h21 * gA + h11 * gB) / det;
    const slope = gA * dA + gB * dB; // < 0 for a descent direction
    const gNorm = Math.hypot(gA, gB);
    let step = 1;
    let next: PlattTerms | null = null;
    while (step >= MIN_STEP) {
      const trial = plattTerms(f, t, a + step * dA, b + step * dB);
      // Armijo's sufficient decrease; near the optimum the loss is flat to rounding, so a step that halves the
      // gradient is taken too (Newton's quadratic convergence then finishes in a step or two).
      if (trial.loss <= cur.loss + 1e-4 * step * slope || Math.hypot(trial.gA, trial.gB) <= gNorm / 2) {
        next = trial;
        break;
      }
      step /= 2;
    }
    if (next === null) break; // no progress possible: at the optimum to rounding
    const na = a + step * dA;
    const nb = b + step * dB;
    if (na === a && nb === b) break;
    a = na;
    b = nb;
    cur = next;
  }
  return { method: 'platt', a: a / scale, b };
}

/**
 * Applies a fitted Platt scaling: 1 / (1 + exp(a·s + b)) for each score, without overflow.
 *
 * @example
 * applyPlatt({ method: 'platt', a: -2, b: 1 }, [0, 0.5, 3]);   // [0.269, 0.5, 0.993]
 */
export function applyPlatt(calibrator: PlattCalibrator, scores: ArrayLike<number>): Float64Array {
  const s = checkScores(scores, 'applyPlatt');
  const out = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = sigmoidOfMinus(calibrator.a * s[i] + calibrator.b);
  return out;
}

/** 1 / (1 + exp(z)), stable for large |z|. */
function sigmoidOfMinus(z: number): number {
  if (z >= 0) {
    const e = Math.exp(-z);
    return e / (1 + e);
  }
  return 1 / (1 + Math.exp(z));
}

interface PlattTerms {
  loss: number;
  gA: number;
  gB: number;
  h11: number;
  h22: number;
  h21: number;
}

/**
 * Platt's objective Σ −[t log p + (1 − t) log(1 − p)], p = 1 / (1 + exp(z)), z = a f + b (written without
 * overflow), with its gradient and Hessian in (a, b); the Hessian gets a 1e-12 ridge.
 */
function plattTerms(f: Float64Array, t: Float64Array, a: number, b: number): PlattTerms {
  let loss = 0;
  let gA = 0;
  let gB = 0;
  let h11 = 1e-12;
  let h22 = 1e-12;
  let h21 = 0;
  for (let i = 0; i < f.length; i++) {
    const z = a * f[i] + b;
    loss += z >= 0 ? t[i] * z + Math.log1p(Math.exp(-z)) : (t[i] - 1) * z + Math.log1p(Math.exp(z));
    const p = sigmoidOfMinus(z);
    const d1 = t[i] - p; // d loss / dz
    const d2 = p * (1 - p);
    gA += f[i] * d1;
    gB += d1;
    h11 += f[i] * f[i] * d2;
    h22 += d2;
    h21 += f[i] * d2;
  }
  return { loss, gA, gB, h11, h22, h21 };
}
