import { describe, expect, it } from 'vitest';
import { createDetector, deserialize, matrix, serialize, takeRows, ValidationError, Random, type ProgressEvent } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { COPOD } from '../src/index.js';
import { auroc, select, toM, toyData } from './helpers.js';
import { loadPyodFixture, maxRelativeDiff } from './fixtures/pyod/pyod-fixture.js';

describe('COPOD', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new COPOD(p));
  });

  it('is registered as copod', () => {
    const d = createDetector('copod');
    expect(d).toBeInstanceOf(COPOD);
    expect(d.supervision).toBe('unsupervised');
    expect(d.hasProbability).toBe(false);
    expect(d.getParams()).toEqual({ seed: 0, threshold: null, contamination: null });
  });

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

  it('matches PyOD 3.6.5 COPOD within 1e-6: training decision_scores_ and threshold_, new rows by the training-only definition', async () => {
    const fx = loadPyodFixture();
    const lines: string[] = [];
    for (const set of fx.sets) {
      const det = await new COPOD().fit(toM(set.Xtrain));
      const train = maxRelativeDiff(await det.scoreSamples(toM(set.Xtrain)), set.copod.train);
      const test = maxRelativeDiff(await det.scoreSamples(toM(set.Xtest)), set.copod.test);
      const thr = maxRelativeDiff([det.threshold!], [set.copod.threshold]);
      lines.push(
        `${set.name}: max rel. diff train ${train.toExponential(2)}, test ${test.toExponential(2)}, threshold ${thr.toExponential(2)}`,
      );
      expect(train, `${set.name} train`).toBeLessThan(1e-6);
      expect(test, `${set.name} test`).toBeLessThan(1e-6);
      expect(thr, `${set.name} threshold`).toBeLessThan(1e-6);
    }
    console.log(`copod vs PyOD ${fx.versions.pyod}\n  ${lines.join('\n  ')}`);
  });

  it('scores a row the same alone as inside any batch (unlike PyOD, which refits on training + batch)', async () => {
    const set = loadPyodFixture().sets[1];
    const det = await new COPOD().fit(toM(set.Xtrain));
    const Xte = toM(set.Xtest);
    const batch = await det.scoreSamples(Xte);
    const half = await det.scoreSamples(
      takeRows(
        Xte,
        Array.from({ length: 20 }, (_, i) => 2 * i),
      ),
    );
    for (let i = 0; i < Xte.rows; i++) {
      const [alone] = await det.scoreSamples(matrix(Xte.data.slice(i * Xte.cols, (i + 1) * Xte.cols), 1, Xte.cols));
      expect(alone, `row ${i}`).toBe(batch[i]);
      if (i % 2 === 0 && i < 40) expect(half[i / 2], `row ${i}`).toBe(batch[i]);
    }
  });

  it('save/load round-trips to the same scores and threshold', async () => {
    const set = loadPyodFixture().sets[0];
    const det = await new COPOD({ contamination: 0.2 }).fit(toM(set.Xtrain));
    const loaded = await deserialize(await serialize(det));
    expect(loaded).toBeInstanceOf(COPOD);
    expect(loaded.getParams()).toEqual(det.getParams());
    expect(loaded.threshold).toBe(det.threshold);
    expect(Array.from(await loaded.scoreSamples(toM(set.Xtest)))).toEqual(Array.from(await det.scoreSamples(toM(set.Xtest))));
    const state = det.getState();
    expect(state.tensors.sorted.shape).toEqual([8, 400]);
    expect(state.tensors.skewSign.dtype).toBe('i32');
  });

  it('rejects bad params with a ValidationError naming the parameter', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ contamination: 0 }, 'contamination'],
      [{ contamination: 0.6 }, 'contamination'],
      [{ seed: -1 }, 'seed'],
      [{ seed: 1.5 }, 'seed'],
      [{ threshold: 'high' }, 'threshold'],
      [{ nJobs: 2 }, 'nJobs'],
    ];
    for (const [params, name] of bad) {
      let err: unknown;
      try {
        new COPOD(params);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(params)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).reason).toBe('param');
      expect((err as ValidationError).message).toContain(`"${name}"`);
    }
  });

  it('reports one progress event per feature', async () => {
    const events: ProgressEvent[] = [];
    const rng = new Random(1);
    await new COPOD().fit(
      Array.from({ length: 50 }, () => [rng.normal(), rng.normal(), rng.normal()]),
      null,
      { onProgress: (e) => events.push(e) },
    );
    expect(events.map((e) => e.step)).toEqual([1, 2, 3]);
    expect(events.every((e) => e.unit === 'iteration' && e.totalSteps === 3)).toBe(true);
  });

  it('2-D toy, setting 1: trained on normals, finds the unknown anomalies (AUROC >= 0.98)', async () => {
    const rng = new Random(2019);
    const train = toyData(rng, 1500, 0, 0);
    const test = toyData(rng, 1000, 1000, 1000);
    const det = await new COPOD().fit(train.X);
    const unknown = select(test.X, test.kind, [0, 2]);
    const known = select(test.X, test.kind, [0, 1]);
    const aU = auroc(await det.scoreSamples(unknown.X), unknown.y);
    const aK = auroc(await det.scoreSamples(known.X), known.y);
    console.log(`copod toy: AUROC known ${aK.toFixed(4)}, unknown ${aU.toFixed(4)}`);
    // Lower than ECOD's (0.992 measured): averaging the two tails halves the score of a value beyond the range
    // on the side the skewness correction does not pick.
    expect(aU).toBeGreaterThanOrEqual(0.98);
  });
});
