import { ValidationError, describe } from '@abc/core';
import { studentTTwoSided } from '../stats/special.js';

/** The result of {@link welchTTest}. */
export interface TTestResult {
  /** The t statistic, (mean(a) − mean(b)) / sqrt(var(a)/n_a + var(b)/n_b), variances with ddof = 1. */
  readonly t: number;
  /** Welch–Satterthwaite degrees of freedom (fractional). */
  readonly df: number;
  /** Two-sided p-value. `NaN` means "cannot be tested": a sample has fewer than two values. */
  readonly p: number;
}

function checkSample(x: ArrayLike<number>, name: string): void {
  if (x === null || typeof x !== 'object' || typeof x.length !== 'number') {
    throw new ValidationError('type', `welchTTest: ${name} must be an array of numbers, got ${describe(x)}`);
  }
  if (x.length === 0) throw new ValidationError('empty', `welchTTest: ${name} is empty`);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValidationError('non-finite', `welchTTest: ${name}[${i}] is ${describe(v)}, not a finite number`);
    }
  }
}

function meanVar(x: ArrayLike<number>): { mean: number; variance: number } {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let ss = 0;
  let comp = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - mean;
    ss += d * d;
    comp += d;
  }
  // Two-pass variance with the compensation term of Chan, Golub & LeVeque (exactly 0 for constant samples).
  const variance = n > 1 ? (ss - (comp * comp) / n) / (n - 1) : NaN;
  return { mean, variance: Math.max(variance, 0) };
}

/**
 * Welch's unequal-variance t-test of the means of two samples, two-sided: the same statistic, degrees of
 * freedom and p-value as SciPy's `scipy.stats.ttest_ind(a, b, equal_var=False)`.
 *
 * Edge cases (SciPy returns NaN for the last two; these are deliberate):
 * - a sample with fewer than two values: `{ t: NaN, df: NaN, p: NaN }`; NaN means "cannot be tested", and
 *   {@link notDifferentFromBest} counts such a pair as not different (the null hypothesis is not rejected);
 * - both samples constant with equal means: `{ t: 0, df: n_a + n_b − 2, p: 1 }` (not different);
 * - both samples constant with different means: `{ t: ±Infinity, df: n_a + n_b − 2, p: 0 }` (different).
 * Non-finite values are a {@link ValidationError}.
 *
 * @example
 * const { t, df, p } = welchTTest([0.998, 0.997, 0.999, 0.998, 0.996], [0.985, 0.987, 0.983, 0.990, 0.984]);
 * // t ≈ 8.80, df ≈ 5.31, p ≈ 2.3e-4: the first method's AUROCs are significantly higher
 */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>): TTestResult {
  checkSample(a, 'a');
  checkSample(b, 'b');
  const na = a.length;
  const nb = b.length;
  if (na < 2 || nb < 2) return { t: NaN, df: NaN, p: NaN };
  const A = meanVar(a);
  const B = meanVar(b);
  const sa = A.variance / na;
  const sb = B.variance / nb;
  const se2 = sa + sb;
  const diff = A.mean - B.mean;
  if (se2 === 0) {
    const df = na + nb - 2;
    if (diff === 0) return { t: 0, df, p: 1 };
    return { t: diff > 0 ? Infinity : -Infinity, df, p: 0 };
  }
  const t = diff / Math.sqrt(se2);
  const df = (se2 * se2) / ((sa * sa) / (na - 1) + (sb * sb) / (nb - 1));
  return { t, df, p: studentTTwoSided(t, df) };
}

/** Options of {@link notDifferentFromBest}. */
export interface NotDifferentOptions {
  /** Significance level; a method is "different" from the best when p < alpha. Default 0.05 (the paper's). */
  alpha?: number;
  /** True (default) when higher values are better (AUROC, AUPR); false for losses and errors. */
  higherIsBetter?: boolean;
}

/**
 * The paper's bold rule: which methods are the best (highest mean) or not significantly different from it
 * under Welch's two-sided t-test at `alpha` (p ≥ alpha). Every method whose mean ties the best mean is best.
 * A pair that cannot be tested (a sample of one value, p = NaN) counts as not different. Returns one boolean
 * per sample, in the order given.
 *
 * @example
 * const runs = [[0.998, 0.999, 0.997], [0.997, 0.999, 0.998], [0.95, 0.96, 0.94]];
 * notDifferentFromBest(runs);   // [true, true, false]: bold the first two
 */
export function notDifferentFromBest(samples: readonly ArrayLike<number>[], options: NotDifferentOptions = {}): boolean[] {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) {
    throw new ValidationError('param', `notDifferentFromBest: alpha must be in (0, 1), got ${alpha}`);
  }
  const sign = options.higherIsBetter === false ? -1 : 1;
  if (samples.length === 0) return [];
  samples.forEach((s, i) => {
    checkSample(s, `samples[${i}]`);
  });
  const means = samples.map((s) => sign * meanVar(s).mean);
  const bestMean = Math.max(...means);
  const best = means.map((m) => m === bestMean);
  return samples.map((s, i) => {
    if (best[i]) return true;
    // Not different from (at least one of) the best.
    return samples.some((b, j) => {
      if (!best[j]) return false;
      const { p } = welchTTest(b, s);
      return Number.isNaN(p) || p >= alpha;
    });
  });
}
