import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { aupr, averagePrecision } from '../src/metrics/aupr.js';

interface Fixtures {
  aupr: { name: string; scores: number[]; labels: number[]; ap: number }[];
}
const fixtures: Fixtures = JSON.parse(
  readFileSync(fileURLToPath(new URL('./fixtures/metric_fixtures.json', import.meta.url)), 'utf8'),
);

describe('averagePrecision', () => {
  it.each(fixtures.aupr.map((c) => [c.name, c] as const))('matches scikit-learn: %s', (_name, c) => {
    expect(averagePrecision(c.scores, c.labels)).toBeCloseTo(c.ap, 12);
    // Float32Array scores and Uint8Array labels give the same value.
    expect(averagePrecision(Float32Array.from(c.scores), Uint8Array.from(c.labels))).toBeCloseTo(c.ap, 6);
  });

  it('has fixtures with ties, all ties and no negatives', () => {
    const names = fixtures.aupr.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['all-tied', 'ties-mixed', 'no-negatives']));
    expect(fixtures.aupr.length).toBeGreaterThanOrEqual(10);
  });

  it('does not depend on the order of tied rows', () => {
    const a = averagePrecision([0.5, 0.5, 0.5, 0.2], [1, 0, 0, 1]);
    const b = averagePrecision([0.5, 0.5, 0.5, 0.2], [0, 0, 1, 1]);
    expect(a).toBe(b);
  });

  it('takes infinite scores and booleans', () => {
    expect(averagePrecision([Infinity, -Infinity, 0], [true, false, false])).toBe(1);
  });

  it('is 1 for a perfect ranking and aupr is the same function', () => {
    expect(aupr([3, 2, 1, 0], [1, 1, 0, 0])).toBe(1);
    expect(aupr).toBe(averagePrecision);
  });

  it('rejects bad input with ValidationError', () => {
    expect(() => averagePrecision([0.1, 0.2], [0, 0])).toThrow(/no anomaly/);
    expect(() => averagePrecision([0.1, 0.2], [0, 0])).toThrow(ValidationError);
    expect(() => averagePrecision([0.1, NaN], [0, 1])).toThrow(/scores\[1\]/);
    expect(() => averagePrecision([0.1, 0.2], [0, 2])).toThrow(/labels\[1\]/);
    expect(() => averagePrecision([0.1, 0.2, 0.3], [0, 1])).toThrow(/3 rows|2 labels/);
    expect(() => averagePrecision([], [])).toThrow(/empty/);
  });
});
