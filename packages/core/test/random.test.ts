import { describe, expect, it } from 'vitest';
import { Random } from '../src/index.js';

describe('Random', () => {
  it('repeats a stream for a seed and differs across seeds', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('draws uniform floats in [0, 1) with the right moments', () => {
    const r = new Random(1);
    let sum = 0;
    let sq = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = r.float();
      if (!(u >= 0 && u < 1)) throw new Error(`out of range: ${u}`);
      sum += u;
      sq += u * u;
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
  });

  it('draws normals with mean and sd', () => {
    const r = new Random(2);
    const n = 100_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const v = r.normal(3, 2);
      sum += v;
      sq += v * v;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(3, 1);
    expect(Math.sqrt(sq / n - mean * mean)).toBeCloseTo(2, 1);
  });

  it('int is unbiased and in range', () => {
    const r = new Random(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => r.int(0)).toThrow(RangeError);
    expect(() => r.int(1.5)).toThrow(RangeError);
  });

  it('permutes, samples without repeats, forks independent streams', () => {
    const r = new Random(4);
    const p = Array.from(r.permutation(50));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const s = Array.from(r.sample(100, 30));
    expect(new Set(s).size).toBe(30);
    expect(() => r.sample(3, 4)).toThrow(RangeError);
    const f1 = new Random(5).fork();
    const f2 = new Random(5).fork();
    expect(f1.nextUint32()).toBe(f2.nextUint32());
    expect(() => new Random(NaN)).toThrow(RangeError);
  });
});
