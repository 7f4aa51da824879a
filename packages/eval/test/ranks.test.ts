import { readFileSync } from 'node:fs';
import { ValidationError } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, erfc, fSurvival, normalCdf } from '../src/stats/distributions.js';
import { regularizedGammaP, regularizedGammaQ } from '../src/stats/special.js';
import { averageRanks, friedmanTest, nemenyiCriticalDifference, rankRow } from '../src/stats/ranks.js';
import { studentizedRangeCdf, studentizedRangeQuantile } from '../src/stats/studentized-range.js';

type Num = number | 'Infinity';
const fx = JSON.parse(readFileSync(new URL('./fixtures/rank_fixtures.json', import.meta.url), 'utf8')) as {
  studentizedRangePpf: { p: number; k: number; df: Num; q: number }[];
  studentizedRangeCdf: { q: number; k: number; df: Num; value: number }[];
  friedman: { table: number[][]; chiSquareTieCorrected: number; pValueTieCorrected: number }[];
  chi2: { x: number; df: number; sf: number }[];
  f: { x: number; df1: number; df2: number; sf: number }[];
};
const num = (v: Num): number => (v === 'Infinity' ? Infinity : v);

/**
 * Demšar (2006), Table 6: AUC of C4.5, C4.5+m, C4.5+cf and C4.5+m+cf on 14 data sets. The table prints three
 * decimals; for "voting" it ranks the two 0.975 entries 2 and 3, so the third column gets 0.9751 here.
 */
const DEMSAR = [
  [0.763, 0.768, 0.771, 0.798], // adult (sample)
  [0.599, 0.591, 0.59, 0.569], // breast cancer
  [0.954, 0.971, 0.968, 0.967], // breast cancer wisconsin
  [0.628, 0.661, 0.654, 0.657], // cmc
  [0.882, 0.888, 0.886, 0.898], // ionosphere
  [0.936, 0.931, 0.916, 0.931], // iris
  [0.661, 0.668, 0.609, 0.685], // liver disorders
  [0.583, 0.583, 0.563, 0.625], // lung cancer
  [0.775, 0.838, 0.866, 0.875], // lymphography
  [1.0, 1.0, 1.0, 1.0], // mushroom
  [0.94, 0.962, 0.965, 0.962], // primary tumor
  [0.619, 0.666, 0.614, 0.669], // rheum
  [0.972, 0.981, 0.9751, 0.975], // voting
  [0.957, 0.978, 0.946, 0.97], // wine
];

describe('ranks', () => {
  it('rank 1 for the best, average ranks for ties', () => {
    expect(Array.from(rankRow([0.9, 0.7, 0.9, 0.5]))).toEqual([1.5, 3, 1.5, 4]);
    expect(Array.from(rankRow([0.9, 0.7, 0.9, 0.5], { higherIsBetter: false }))).toEqual([3.5, 2, 3.5, 1]);
    expect(Array.from(rankRow([1, 1, 1]))).toEqual([2, 2, 2]);
    expect(
      Array.from(
        averageRanks([
          [0.9, 0.85, 0.8],
          [0.7, 0.75, 0.6],
        ]),
      ),
    ).toEqual([1.5, 1.5, 3]);
  });

  it("reproduces Demšar's worked example: ranks, Friedman, Iman-Davenport, Nemenyi CD", () => {
    const r = friedmanTest(DEMSAR);
    expect(Array.from(r.averageRanks, (v) => Number(v.toFixed(3)))).toEqual([3.143, 2.0, 2.893, 1.964]);
    expect(r.chiSquare).toBeCloseTo(9.28, 2); // the paper's χ²_F
    expect(r.chiSquare).toBeCloseTo(8.4 * (5116.5 / 196 - 25), 12); // exactly, from the rank sums 44, 28, 40.5, 27.5
    expect(r.imanDavenportF).toBeCloseTo(3.69, 2); // the paper's F_F
    expect([r.df, r.fDf1, r.fDf2]).toEqual([3, 3, 39]);
    // "The critical value of F(3, 39) for α = 0.05 is 2.85": F_F exceeds it, so the null hypothesis is rejected.
    expect(fSurvival(2.85, 3, 39)).toBeCloseTo(0.05, 3);
    expect(r.fPValue).toBeLessThan(0.05);
    const { q, cd } = nemenyiCriticalDifference(4, 14);
    expect(q).toBeCloseTo(2.569, 3);
    expect(cd).toBeCloseTo(1.25, 2); // "CD = 2.569 √(4·5 / (6·14)) = 1.25"
  });

  it("computes Demšar's Table 5(a) of Nemenyi's q_α for k = 2..10", () => {
    const q05 = [1.96, 2.343, 2.569, 2.728, 2.85, 2.949, 3.031, 3.102, 3.164];
    const q10 = [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.78, 2.855, 2.92];
    // Within the table's last digit (its k = 3 entry, 2.343, is 2.34370 cut rather than rounded).
    q05.forEach((v, i) => {
      expect(Math.abs(nemenyiCriticalDifference(i + 2, 10, 0.05).q - v)).toBeLessThan(1e-3);
    });
    q10.forEach((v, i) => {
      expect(Math.abs(nemenyiCriticalDifference(i + 2, 10, 0.1).q - v)).toBeLessThan(1e-3);
    });
    // k = 2: the range of two normals is √2 |Z|, so q_α is the two-sided normal quantile.
    expect(nemenyiCriticalDifference(2, 1).q).toBeCloseTo(1.959963984540054, 9);
  });

  it('Friedman with ties corrected as SciPy, and degenerate tables', () => {
    let dev = 0;
    for (const c of fx.friedman) {
      const r = friedmanTest(c.table, { tieCorrection: true });
      dev = Math.max(dev, Math.abs(r.chiSquare - c.chiSquareTieCorrected), Math.abs(r.pValue - c.pValueTieCorrected));
    }
    expect(dev).toBeLessThan(1e-12);
    console.info(`friedman: max |Δ| vs scipy ${dev.toExponential(2)}`);
    // Every dataset ranks the methods alike: χ² = N(k−1), F = ∞, p = 0.
    const same = friedmanTest([
      [3, 2, 1],
      [3, 2, 1],
      [0.9, 0.5, 0.1],
    ]);
    expect(same.chiSquare).toBeCloseTo(6, 12);
    expect(same.imanDavenportF).toBe(Infinity);
    expect(same.fPValue).toBe(0);
    // All tied: no evidence at all.
    const tied = friedmanTest([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(tied.chiSquare).toBe(0);
    expect(tied.pValue).toBe(1);
    expect(
      Number.isNaN(
        friedmanTest(
          [
            [1, 1, 1],
            [2, 2, 2],
          ],
          { tieCorrection: true },
        ).chiSquare,
      ),
    ).toBe(true);
  });

  it('validates tables and arguments', () => {
    expect(() => friedmanTest([[1, 2, 3]])).toThrow(ValidationError);
    expect(() => averageRanks([[1, 2], [1]])).toThrow(/row 1/);
    expect(() => averageRanks([[1], [2]])).toThrow(/2 methods/);
    expect(() => averageRanks([[1, NaN]])).toThrow(ValidationError);
    expect(() => nemenyiCriticalDifference(1, 5)).toThrow(ValidationError);
    expect(() => nemenyiCriticalDifference(3, 5, 1.5)).toThrow(ValidationError);
  });
});

describe('studentized range distribution', () => {
  it("matches SciPy's studentized_range.ppf for k up to 25", () => {
    let dev = 0;
    for (const c of fx.studentizedRangePpf) {
      const q = studentizedRangeQuantile(c.p, c.k, num(c.df));
      expect(Math.abs(q - c.q), `p ${c.p} k ${c.k} df ${c.df}`).toBeLessThan(1e-7 * c.q);
      dev = Math.max(dev, Math.abs(q - c.q) / c.q);
    }
    console.info(`studentized range ppf: max relative |Δ| vs scipy ${dev.toExponential(2)}`);
  });

  it("matches SciPy's studentized_range.cdf", () => {
    let dev = 0;
    for (const c of fx.studentizedRangeCdf) {
      const v = studentizedRangeCdf(c.q, c.k, num(c.df));
      expect(Math.abs(v - c.value), `q ${c.q} k ${c.k} df ${c.df}`).toBeLessThan(1e-8);
      dev = Math.max(dev, Math.abs(v - c.value));
    }
    console.info(`studentized range cdf: max |Δ| vs scipy ${dev.toExponential(2)}`);
    expect(studentizedRangeCdf(0, 3)).toBe(0);
    expect(studentizedRangeCdf(Infinity, 3, 5)).toBe(1);
    expect(() => studentizedRangeCdf(1, 1)).toThrow(RangeError);
    expect(() => studentizedRangeCdf(1, 3, 0.5)).toThrow(RangeError);
  });
});

describe('distribution tails', () => {
  it('chi-square and F survival functions match SciPy', () => {
    let dev = 0;
    for (const c of fx.chi2) dev = Math.max(dev, Math.abs(chiSquareSurvival(c.x, c.df) - c.sf) / Math.max(c.sf, 1e-300));
    for (const c of fx.f) dev = Math.max(dev, Math.abs(fSurvival(c.x, c.df1, c.df2) - c.sf) / Math.max(c.sf, 1e-300));
    expect(dev).toBeLessThan(1e-10);
    console.info(`chi2/F tails: max relative |Δ| vs scipy ${dev.toExponential(2)}`);
  });

  it('normal and gamma identities', () => {
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 15);
    expect(normalCdf(-10) / 7.619853024160527e-24).toBeCloseTo(1, 12);
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 12);
    expect(erfc(-1) + erfc(1)).toBeCloseTo(2, 15);
    expect(regularizedGammaP(1, 2)).toBeCloseTo(1 - Math.exp(-2), 15);
    expect(regularizedGammaQ(1, 2)).toBeCloseTo(Math.exp(-2), 15);
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
  });
});
