/**
 * Distribution functions for the rank statistics: the normal distribution (through an erfc accurate in the
 * tails), the regularized incomplete gamma function, and the chi-square and F upper tails. Plain float64,
 * no dependencies; checked against SciPy in `test/ranks.test.ts`.
 */
import { regularizedGammaQ, regularizedIncompleteBeta } from './special.js';

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const INV_SQRT_2PI = 0.3989422804014327;

/**
 * The complementary error function erfc(x) = 1 − erf(x), with small relative error in the right tail: a series
 * without cancellation (erf = 2/√π · e^(−x²) · Σ (2x²)ⁿ x / (1·3···(2n+1))) below x = 2.5, erfc's continued
 * fraction above.
 *
 * @example
 * erfc(0);   // 1
 * erfc(3);   // 2.209049699858544e-5
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 2.5) {
    if (x <= -6.5) return 2;
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) <= Math.abs(sum) * 1e-17) break;
    }
    return 1 - TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  if (x > 27.3) return 0; // below the smallest double
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), by the modified Lentz method.
  const TINY = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = x + a / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (f * Math.sqrt(Math.PI));
}

/**
 * The standard normal distribution function Φ(x), accurate in both tails (Φ(−x) = erfc(x/√2)/2).
 *
 * @example
 * normalCdf(1.959963984540054);   // 0.975
 * normalCdf(-10);                 // 7.619853024160527e-24
 */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/**
 * The standard normal density φ(x).
 *
 * @example
 * normalPdf(0);   // 0.3989422804014327
 */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * The upper tail of the chi-square distribution, P(X ≥ x) for `df` degrees of freedom.
 *
 * @example
 * chiSquareSurvival(3.841458820694124, 1);   // 0.05
 */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`chiSquareSurvival: df must be positive, got ${df}`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  return regularizedGammaQ(df / 2, x / 2);
}

/**
 * The upper tail of the F distribution, P(F ≥ f) with `df1` and `df2` degrees of freedom,
 * I_{df2/(df2 + df1·f)}(df2/2, df1/2).
 *
 * @example
 * fSurvival(2.845, 3, 39);   // ≈ 0.05
 */
export function fSurvival(f: number, df1: number, df2: number): number {
  if (!(df1 > 0) || !(df2 > 0)) throw new RangeError(`fSurvival: degrees of freedom must be positive, got ${df1}, ${df2}`);
  if (Number.isNaN(f)) return NaN;
  if (f <= 0) return 1;
  if (f === Infinity) return 0;
  return regularizedIncompleteBeta(df2 / (df2 + df1 * f), df2 / 2, df1 / 2);
}
