import { describe, expect, it } from 'vitest';
import { makeToyData, toyTrainingSet, labelledSet } from '../src/datasets/toy.js';

const colMean = (d: Float32Array, c: number) => {
  let s = 0;
  for (let i = c; i < d.length; i += 2) s += d[i];
  return s / (d.length / 2);
};

describe('makeToyData', () => {
  it('draws the two half circles and the unknown cluster', () => {
    const { normal, known, unknown } = makeToyData({ nPerClass: 4000, seed: 3 });
    expect([normal.rows, normal.cols, known.rows, unknown.rows]).toEqual([4000, 2, 4000, 4000]);
    // Means of make_moons' circles: upper (0, 2/π), lower (1, 0.5 − 2/π); unknown (−3, 3). Noise sd 0.3 / sqrt(4000) ≈ 0.005.
    expect(colMean(normal.data, 0)).toBeCloseTo(0, 1);
    expect(colMean(normal.data, 1)).toBeCloseTo(2 / Math.PI, 1);
    expect(colMean(known.data, 0)).toBeCloseTo(1, 1);
    expect(colMean(known.data, 1)).toBeCloseTo(0.5 - 2 / Math.PI, 1);
    expect(colMean(unknown.data, 0)).toBeCloseTo(-3, 1);
    expect(colMean(unknown.data, 1)).toBeCloseTo(3, 1);
    // The noise: residual sd around the upper circle's points is about 0.3.
    let ss = 0;
    for (let i = 0; i < 4000; i++) {
      const t = (Math.PI * i) / 3999;
      ss += (normal.data[2 * i] - Math.cos(t)) ** 2 + (normal.data[2 * i + 1] - Math.sin(t)) ** 2;
    }
    expect(Math.sqrt(ss / 8000)).toBeGreaterThan(0.28);
    expect(Math.sqrt(ss / 8000)).toBeLessThan(0.32);
  });

  it('is repeatable from its seed and changes with it', () => {
    const a = makeToyData({ nPerClass: 50, seed: 1 });
    const b = makeToyData({ nPerClass: 50, seed: 1 });
    const c = makeToyData({ nPerClass: 50, seed: 2 });
    expect(a.normal.data).toEqual(b.normal.data);
    expect(a.unknown.data).toEqual(b.unknown.data);
    expect(a.normal.data).not.toEqual(c.normal.data);
  });

  it('builds labelled sets: normals 0, anomalies 1', () => {
    const d = makeToyData({ nPerClass: 10, seed: 0, noise: 0 });
    const { X, y } = toyTrainingSet(d);
    expect(X.rows).toBe(20);
    expect(Array.from(y)).toEqual([...Array(10).fill(0), ...Array(10).fill(1)]);
    expect(X.data[0]).toBeCloseTo(1, 6); // cos 0, no noise
    expect(X.data[21]).toBeCloseTo(0.5, 6); // lower circle at t = 0: (0, 0.5)
    expect(labelledSet(d.normal, d.known, d.unknown).y.length).toBe(30);
  });
});
