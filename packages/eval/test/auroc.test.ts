import { describe, expect, it } from 'vitest';
import { auroc } from '../src/metrics/auroc.js';

describe('auroc', () => {
  it('matches hand-computed values', () => {
    // Pairs (pos, neg): (0.35 vs 0.1) win, (0.35 vs 0.4) loss, (0.8 vs 0.1) win, (0.8 vs 0.4) win: 3/4.
    expect(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(auroc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(auroc([4, 3, 2, 1], [0, 0, 1, 1])).toBe(0);
    expect(auroc(new Float32Array([0.5, 0.2, 0.9]), [true, false, false])).toBe(0.5);
  });

  it('counts ties between classes as one half', () => {
    expect(auroc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    // pos {1, 2}, neg {1, 0}: (1 vs 1) ½, (1 vs 0) 1, (2 vs 1) 1, (2 vs 0) 1 -> 3.5 / 4
    expect(auroc([1, 2, 1, 0], [1, 1, 0, 0])).toBe(0.875);
    // ties inside one class change nothing: pos {3, 3}, neg {1, 2}
    expect(auroc([3, 3, 1, 2], [1, 1, 0, 0])).toBe(1);
  });

  it('agrees with the pairwise definition on random data', () => {
    let s = 7;
    const rnd = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    const scores = Array.from({ length: 200 }, () => Math.round(rnd() * 20) / 20); // many ties
    const labels = Array.from({ length: 200 }, () => (rnd() < 0.3 ? 1 : 0));
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < 200; i++) {
      for (let j = 0; j < 200; j++) {
        if (labels[i] === 1 && labels[j] === 0) {
          pairs++;
          wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
        }
      }
    }
    expect(auroc(scores, labels)).toBeCloseTo(wins / pairs, 12);
  });

  it('rejects one-class labels, length mismatch and NaN', () => {
    expect(() => auroc([1, 2], [0, 0])).toThrow(/both classes/);
    expect(() => auroc([1, 2], [0])).toThrow(/labels/);
    expect(() => auroc([NaN, 2], [0, 1])).toThrow(/NaN/);
    expect(() => auroc([1, 2], [0, 2])).toThrow(/0 or 1/);
  });
});
