import { describe, expect, it } from 'vitest';
import { COPOD } from '../src/index.js';
import { pyodDetectorTests, tailDetectorSpec } from './fixtures/pyod/pyod-detector-tests.js';

describe('COPOD', () => {
  pyodDetectorTests(
    tailDetectorSpec('COPOD', COPOD, {
      // Lower than ECOD's (0.992 measured): averaging the two tails halves the score of a value beyond the range
      // on the side the skewness correction does not pick.
      toyAuroc: 0.98,
    }),
  );

  it('a hand-computed case: the corrected tail against the mean of both tails', async () => {
    // Column 0: 1, 2, 2, 3 (skewness exactly 0: corrected tail U_l + U_r, as PyOD's formula gives).
    // Column 1: 0, 0, 0, 1 (skewness > 0: the right tail).
    const det = await new COPOD().fit([
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
    // [2, 0]: col 0 max(2 ln(4/3), ln(4/3)); col 1 F_l = 3/4, F_r = 1: max(U_r = 0, ln(4/3) / 2), where ECOD takes ln(4/3).
    expect(s[0]).toBeCloseTo(2 * ln(4 / 3) + ln(4 / 3) / 2, 6);
    // [0, 1]: col 0 below every training value: F_l = 1/(n + 1) -> ln 5; col 1 F_r = 1/4 -> ln 4.
    expect(s[1]).toBeCloseTo(ln(5) + ln(4), 6);
    expect(s[2]).toBeCloseTo(ln(16 / 3) + ln(4 / 3) / 2, 6);
    // [2, 5]: col 1 above every training value: F_r = 1/5 -> ln 5.
    expect(s[3]).toBeCloseTo(2 * ln(4 / 3) + ln(5), 6);
  });
});
