import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '@abc/core';
import { ECOD, skewnessSign } from '../src/index.js';
import { pyodDetectorTests, tailDetectorSpec } from './fixtures/pyod/pyod-detector-tests.js';

describe('ECOD', () => {
  pyodDetectorTests(
    tailDetectorSpec('ECOD', ECOD, {
      toyAuroc: 0.99,
      // A state whose columns are not sorted (binary search would silently miscount) is refused.
      state(state) {
        const sorted = Float32Array.from(state.tensors.sorted.data);
        [sorted[0], sorted[399]] = [sorted[399], sorted[0]];
        const broken = { ...state, tensors: { ...state.tensors, sorted: { ...state.tensors.sorted, data: sorted } } };
        expect(() => new ECOD().setState(broken)).toThrow(ModelFormatError);
      },
    }),
  );

  it('a hand-computed case: tails, the skewness correction, values beyond the training range', async () => {
    // Column 0: 1, 2, 2, 3 (skewness exactly 0, so the corrected tail is U_l + U_r, as PyOD's formula gives).
    // Column 1: 0, 0, 0, 1 (skewness > 0: the right tail).
    const det = await new ECOD().fit([
      [1, 0],
      [2, 0],
      [2, 0],
      [3, 1],
    ]);
    const s = await det.scoreSamples([
      [2, 0],
      [0, 1],
      [2.5, 0],
      [2, 5],
    ]);
    const ln = Math.log;
    // [2, 0]: col 0 F_l = F_r = 3/4, max(U_l, U_r, U_l + U_r) = 2 ln(4/3); col 1 F_l = 3/4, F_r = 1: max(ln 4/3, 0, 0).
    expect(s[0]).toBeCloseTo(2 * ln(4 / 3) + ln(4 / 3), 6);
    // [0, 1]: col 0 below every training value: F_l = 1/(n + 1) = 1/5, F_r = 1 -> ln 5; col 1 F_r = 1/4 -> ln 4.
    expect(s[1]).toBeCloseTo(ln(5) + ln(4), 6);
    // [2.5, 0]: col 0 F_l = 3/4, F_r = 1/4 -> U_l + U_r = ln(16/3).
    expect(s[2]).toBeCloseTo(ln(16 / 3) + ln(4 / 3), 6);
    // [2, 5]: col 1 above every training value: F_r = 1/5 -> ln 5.
    expect(s[3]).toBeCloseTo(2 * ln(4 / 3) + ln(5), 6);
  });

  it('skewness signs follow scipy: biased moments, nan (here 0) for a constant column', () => {
    expect(skewnessSign(Float64Array.of(0, 0, 0, 1))).toBe(1);
    expect(skewnessSign(Float64Array.of(0, 1, 1, 1))).toBe(-1);
    expect(skewnessSign(Float64Array.of(-1, 0, 1, 0))).toBe(0);
    // 0.1 summed ten times is not 1 in float64, so the deviations are tiny but not 0: scipy's cut-off makes it 0.
    expect(skewnessSign(new Float64Array(10).fill(Math.fround(0.1)))).toBe(0);
  });
});
