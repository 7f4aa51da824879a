import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { notDifferentFromBest, welchTTest } from '../src/metrics/ttest.js';
import { logGamma, regularizedIncompleteBeta, studentTCdf, studentTTwoSided } from '../src/stats/special.js';

type Num = number | 'NaN' | 'Infinity' | '-Infinity';
interface Fixtures {
  ttest: { name: string; a: number[]; b: number[]; t: Num; df: Num; p: Num }[];
  betainc: { a: number; b: number; x: number; value: Num }[];
  tcdf: { t: number; df: number; value: Num }[];
}
const fixtures: Fixtures = JSON.parse(
  readFileSync(fileURLToPath(new URL('./fixtures/metric_fixtures.json', import.meta.url)), 'utf8'),
);
const num = (v: Num): number => (typeof v === 'number' ? v : Number(v));

/** |actual − expected| ≤ atol + rtol·|expected|. */
function close(actual: number, expected: number, rtol: number, atol = 0): void {
  if (Number.isNaN(expected)) {
    expect(actual).toBeNaN();
    return;
  }
  if (!Number.isFinite(expected)) {
    expect(actual).toBe(expected);
    return;
  }
  const tol = atol + rtol * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) {
    expect.fail(`expected ${actual} to be within ${tol} of ${expected}`);
  }
}

describe('special functions', () => {
  it('logGamma matches known values', () => {
    close(logGamma(1), 0, 0, 1e-14);
    close(logGamma(5), Math.log(24), 1e-14);
    close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14);
    close(logGamma(0.1), 2.252712651734206, 1e-13);
    close(logGamma(1000), 5905.220423209181, 1e-14);
  });

  it('regularizedIncompleteBeta matches scipy.special.betainc', () => {
    for (const c of fixtures.betainc) close(regularizedIncompleteBeta(c.x, c.a, c.b), num(c.value), 1e-10, 1e-13);
  });

  it('studentTCdf matches scipy.stats.t.cdf', () => {
    for (const c of fixtures.tcdf) close(studentTCdf(c.t, c.df), num(c.value), 1e-10, 1e-14);
  });

  it('handles the limits', () => {
    expect(studentTTwoSided(0, 4)).toBe(1);
    expect(studentTTwoSided(Infinity, 4)).toBe(0);
    close(studentTTwoSided(1.959963984540054, Infinity), 0.05, 1e-12);
    expect(() => regularizedIncompleteBeta(1.5, 1, 1)).toThrow(RangeError);
    expect(() => studentTTwoSided(1, 0)).toThrow(RangeError);
  });
});

describe('welchTTest', () => {
  it.each(fixtures.ttest.map((c) => [c.name, c] as const))('matches scipy ttest_ind(equal_var=False): %s', (_n, c) => {
    const r = welchTTest(c.a, c.b);
    close(r.t, num(c.t), 1e-8);
    close(r.df, num(c.df), 1e-8);
    close(r.p, num(c.p), 1e-8, 1e-15);
  });

  it('equal samples are not different', () => {
    const r = welchTTest([1, 2, 3, 4], [1, 2, 3, 4]);
    expect(r.t).toBe(0);
    expect(r.p).toBe(1);
  });

  it('n = 1 cannot be tested: NaN everywhere', () => {
    const r = welchTTest([0.9], [0.8, 0.7, 0.75]);
    expect(r.t).toBeNaN();
    expect(r.df).toBeNaN();
    expect(r.p).toBeNaN();
  });

  it('both standard deviations zero: equal means are not different, unequal means are', () => {
    expect(welchTTest([1, 1, 1], [1, 1, 1, 1, 1])).toEqual({ t: 0, df: 6, p: 1 });
    expect(welchTTest([1, 1, 1], [0.5, 0.5])).toEqual({ t: Infinity, df: 3, p: 0 });
    expect(welchTTest([0.5, 0.5], [1, 1, 1])).toEqual({ t: -Infinity, df: 3, p: 0 });
  });

  it('rejects empty and non-finite samples', () => {
    expect(() => welchTTest([], [1, 2])).toThrow(ValidationError);
    expect(() => welchTTest([1, NaN], [1, 2])).toThrow(/a\[1\]/);
    expect(() => welchTTest([1, 2], [Infinity, 2])).toThrow(/b\[0\]/);
  });
});

describe('notDifferentFromBest', () => {
  it('bolds the best and those not significantly worse', () => {
    const runs = [
      [0.998, 0.999, 0.997, 0.998, 0.999],
      [0.997, 0.999, 0.998, 0.996, 0.999],
      [0.95, 0.96, 0.94, 0.955, 0.945],
    ];
    expect(notDifferentFromBest(runs)).toEqual([true, true, false]);
  });

  it('follows alpha and the direction', () => {
    const a = [0.835, 0.842, 0.82, 0.851, 0.83];
    const b = [0.856, 0.849, 0.861, 0.838, 0.852];
    const { p } = welchTTest(a, b);
    expect(p).toBeGreaterThan(0.01);
    expect(p).toBeLessThan(0.1);
    expect(notDifferentFromBest([a, b], { alpha: 0.01 })).toEqual([true, true]);
    expect(notDifferentFromBest([a, b], { alpha: 0.1 })).toEqual([false, true]);
    expect(notDifferentFromBest([a, b], { alpha: 0.1, higherIsBetter: false })).toEqual([true, false]);
  });

  it('ties for the best are all best; constant samples follow the zero-variance rule; n = 1 is not different', () => {
    expect(
      notDifferentFromBest([
        [1, 1],
        [1, 1],
        [0.5, 0.5],
      ]),
    ).toEqual([true, true, false]);
    expect(notDifferentFromBest([[0.9, 0.91], [0.1]])).toEqual([true, true]);
    expect(notDifferentFromBest([])).toEqual([]);
    expect(() => notDifferentFromBest([[1, 2]], { alpha: 2 })).toThrow(/alpha/);
  });
});
