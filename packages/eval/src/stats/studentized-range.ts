/**
 * The studentized range distribution: the range of k independent standard normals divided by an independent
 * s with ν·s² ~ χ²(ν) (ν = ∞: s = 1). Its upper quantiles are Tukey's and Nemenyi's critical values. Computed
 * by numerical integration (the approach of Copenhaver and Holland 1988, R's `ptukey`), here with composite
 * 16-point Gauss-Legendre rules, and inverted by Brent's method; no table.
 */
import { logGamma } from './special.js';
import { normalCdf, normalPdf } from './distributions.js';

/** 16-point Gauss-Legendre nodes and weights on [−1, 1], computed once by Newton's method on P₁₆. */
const GL = gaussLegendre(16);

function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}

/** Nodes and weights of the composite rule on [lo, hi] in `panels` equal panels. */
function compositeRule(lo: number, hi: number, panels: number): { x: Float64Array; w: Float64Array } {
  const m = GL.x.length;
  const x = new Float64Array(panels * m);
  const w = new Float64Array(panels * m);
  const h = (hi - lo) / panels;
  for (let p = 0; p < panels; p++) {
    const mid = lo + (p + 0.5) * h;
    for (let j = 0; j < m; j++) {
      x[p * m + j] = mid + (h / 2) * GL.x[j];
      w[p * m + j] = (h / 2) * GL.w[j];
    }
  }
  return { x, w };
}

/** The inner rule over z ∈ [−8.5, 8.5] (φ is below 2e-16 outside), with φ(z) and Φ(z) cached at its nodes. */
let inner: { x: Float64Array; wPhi: Float64Array; cdf: Float64Array } | null = null;
function innerRule() {
  if (inner === null) {
    const { x, w } = compositeRule(-8.5, 8.5, 34);
    const wPhi = Float64Array.from(x, (z, i) => w[i] * normalPdf(z));
    const cdf = Float64Array.from(x, (z) => normalCdf(z));
    inner = { x, wPhi, cdf };
  }
  return inner;
}

/**
 * P(range of k standard normals ≤ w) = k ∫ φ(z) [Φ(z) − Φ(z − w)]^(k−1) dz (z the largest of the k).
 */
function rangeCdf(w: number, k: number): number {
  if (w <= 0) return 0;
  if (w === Infinity) return 1;
  const { x, wPhi, cdf } = innerRule();
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const d = cdf[i] - normalCdf(x[i] - w);
    if (d > 0) sum += wPhi[i] * d ** (k - 1);
  }
  return Math.min(1, k * sum);
}

/**
 * The distribution function of the studentized range, P(Q ≤ q) for k means and `df` degrees of freedom
 * (`Infinity`, the default, for a known variance: the case of Nemenyi's test). For finite df it integrates the
 * range's distribution function over the density of s = √(χ²(ν)/ν); df must be ≥ 1. Accurate to about 1e-12
 * against SciPy's `studentized_range.cdf` on the tested range (k ≤ 25).
 *
 * @example
 * studentizedRangeCdf(3.6331595749, 4);   // 0.95
 * studentizedRangeCdf(3.0, 5, 10);        // 0.7170134520
 */
export function studentizedRangeCdf(q: number, k: number, df = Infinity): number {
  checkArgs(k, df, 'studentizedRangeCdf');
  if (Number.isNaN(q)) return NaN;
  if (q <= 0) return 0;
  if (q === Infinity) return 1;
  if (df === Infinity) return rangeCdf(q, k);
  // s = √(χ²(ν)/ν) has density ν^(ν/2) s^(ν−1) e^(−ν s²/2) / (Γ(ν/2) 2^(ν/2−1)); its mass lies within 12 of
  // its standard deviations (≈ 1/√(2ν)) of the mode √((ν−1)/ν), even in the long right tail of small ν.
  const sd = 1 / Math.sqrt(2 * df);
  const mode = Math.sqrt((df - 1) / df);
  const lo = Math.max(0, mode - 12 * sd);
  const hi = mode + 12 * sd;
  const { x, w } = compositeRule(lo, hi, 24);
  const logNorm = (df / 2) * Math.log(df) - logGamma(df / 2) - (df / 2 - 1) * Math.LN2;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const s = x[i];
    const density = Math.exp(logNorm + (df - 1) * Math.log(s) - (df * s * s) / 2);
    if (density > 0) sum += w[i] * density * rangeCdf(q * s, k);
  }
  return Math.min(1, sum);
}

/**
 * The quantile of the studentized range: the q with P(Q ≤ q) = p, for k means and `df` degrees of freedom
 * (default `Infinity`). Found by Brent's method on {@link studentizedRangeCdf} to about 1e-11.
 *
 * @example
 * studentizedRangeQuantile(0.95, 4);             // 3.6331595749
 * studentizedRangeQuantile(0.95, 4) / Math.SQRT2; // 2.569, Nemenyi's q₀.₀₅ for k = 4 (Demšar 2006, Table 5)
 */
export function studentizedRangeQuantile(p: number, k: number, df = Infinity): number {
  checkArgs(k, df, 'studentizedRangeQuantile');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`studentizedRangeQuantile: p must be in [0, 1], got ${p}`);
  if (p === 0) return 0;
  if (p === 1) return Infinity;
  const f = (q: number) => studentizedRangeCdf(q, k, df) - p;
  let hi = 4;
  while (f(hi) < 0) {
    hi *= 2;
    if (hi > 1e6) throw new RangeError(`studentizedRangeQuantile: no quantile found for p = ${p}`);
  }
  return brent(f, 0, hi, 1e-12);
}

function checkArgs(k: number, df: number, who: string): void {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`${who}: k must be an integer ≥ 2, got ${k}`);
  if (!(df >= 1)) throw new RangeError(`${who}: df must be ≥ 1 (or Infinity), got ${df}`);
}

/** Brent's root finder on [a, b] with f(a) ≤ 0 ≤ f(b) (Brent 1973, "zeroin"). */
function brent(f: (x: number) => number, a: number, b: number, tol: number): number {
  let fa = f(a);
  let fb = f(b);
  if (fa === 0) return a;
  if (fb === 0) return b;
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let it = 0; it < 200; it++) {
    if (Math.sign(fb) === Math.sign(fc)) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol1 = 2 * Number.EPSILON * Math.abs(b) + tol / 2;
    const xm = (c - b) / 2;
    if (Math.abs(xm) <= tol1 || fb === 0) return b;
    if (Math.abs(e) >= tol1 && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * xm * s;
        q = 1 - s;
      } else {
        const qq = fa / fc;
        const r = fb / fc;
        p = s * (2 * xm * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * xm * q - Math.abs(tol1 * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = xm;
        e = d;
      }
    } else {
      d = xm;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol1 ? d : xm > 0 ? tol1 : -tol1;
    fb = f(b);
  }
  return b;
}
