import { describe, expect, it } from 'vitest';
import { createDetector, deserialize, serialize, ValidationError, Random, type ProgressEvent } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { HBOS } from '../src/index.js';
import { auroc, select, toM, toyData } from './helpers.js';
import { loadPyodFixture, maxRelativeDiff } from './fixtures/pyod/pyod-fixture.js';

describe('HBOS', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new HBOS(p));
  });

  it('is registered as hbos with PyOD defaults', () => {
    const d = createDetector('hbos');
    expect(d).toBeInstanceOf(HBOS);
    expect(d.supervision).toBe('unsupervised');
    expect(d.hasProbability).toBe(false);
    expect(d.getParams()).toEqual({ seed: 0, threshold: null, contamination: null, nBins: 10, alpha: 0.1, tol: 0.5 });
  });

  it('a hand-computed case: bins, the right-closed lookup, tol', async () => {
    // x = 0, 1, 1, 2, 4 in 2 bins: edges 0, 2, 4; counts [0, 2): 3, [2, 4]: 2; densities 3/(2·5) = 0.3, 0.2.
    const det = await new HBOS({ nBins: 2, alpha: 0.1, tol: 0.5 }).fit([[0], [1], [1], [2], [4]]);
    const s = await det.scoreSamples([[1], [2], [3], [4], [-0.5], [-1.5], [5], [5.5]]);
    const first = -Math.log2(0.3 + 0.1);
    const second = -Math.log2(0.2 + 0.1);
    // x = 2 was counted in the second bin but reads the first (np.digitize(..., right=True)), as in PyOD.
    // -0.5 and 5 are within tol · width = 1 of the range: edge bins; -1.5 and 5.5 are beyond: the emptiest bin.
    const expected = [first, first, second, second, first, second, second, second];
    expected.forEach((v, i) => {
      expect(s[i]).toBeCloseTo(v, 6);
    });
  });

  it('a constant column adds one constant to every training row, as in PyOD', async () => {
    // Bins over [-0.5, 0.5]; 0 lies exactly on the middle edge, so the training rows read the empty bin left of it.
    const det = await new HBOS().fit([
      [0, 1],
      [0, 2],
      [0, 3],
      [0, 4],
    ]);
    const alone = await new HBOS().fit([[1], [2], [3], [4]]);
    const s = await det.scoreSamples([
      [0, 1],
      [0, 2],
      [0, 3],
      [0, 4],
    ]);
    const t = await alone.scoreSamples([[1], [2], [3], [4]]);
    for (let i = 0; i < 4; i++) expect(s[i] - t[i]).toBeCloseTo(-Math.log2(0.1), 5);
    // Off the constant: an empty bin inside [-0.5, 0.5] or within tol, the emptiest bin beyond: log2(alpha) either way.
    const off = await det.scoreSamples([
      [0.3, 1],
      [9, 1],
    ]);
    expect(off[0] - t[0]).toBeCloseTo(-Math.log2(0.1), 5);
    expect(off[1] - t[0]).toBeCloseTo(-Math.log2(0.1), 5);
  });

  it('matches PyOD 3.6.5 HBOS (training decision_scores_, decision_function, threshold_) within 1e-6', async () => {
    const fx = loadPyodFixture();
    const lines: string[] = [];
    for (const set of fx.sets) {
      for (const ref of set.hbos) {
        const det = await new HBOS(ref.params).fit(toM(set.Xtrain));
        const train = maxRelativeDiff(await det.scoreSamples(toM(set.Xtrain)), ref.train);
        const test = maxRelativeDiff(await det.scoreSamples(toM(set.Xtest)), ref.test);
        const thr = maxRelativeDiff([det.threshold!], [ref.threshold]);
        const p = ref.params;
        lines.push(
          `${set.name} nBins=${p.nBins} alpha=${p.alpha} tol=${p.tol}: max rel. diff train ${train.toExponential(2)}, test ${test.toExponential(2)}, threshold ${thr.toExponential(2)}`,
        );
        expect(train, `${set.name} train`).toBeLessThan(1e-6);
        expect(test, `${set.name} test`).toBeLessThan(1e-6);
        expect(thr, `${set.name} threshold`).toBeLessThan(1e-6);
      }
    }
    console.log(`hbos vs PyOD ${fx.versions.pyod}\n  ${lines.join('\n  ')}`);
  });

  it('save/load round-trips to the same scores and threshold', async () => {
    const fx = loadPyodFixture();
    const set = fx.sets[0];
    const det = await new HBOS({ nBins: 7, alpha: 0.2, tol: 0.3, contamination: 0.05 }).fit(toM(set.Xtrain));
    const loaded = await deserialize(await serialize(det));
    expect(loaded).toBeInstanceOf(HBOS);
    expect(loaded.getParams()).toEqual(det.getParams());
    expect(loaded.threshold).toBe(det.threshold);
    const a = await det.scoreSamples(toM(set.Xtest));
    const b = await loaded.scoreSamples(toM(set.Xtest));
    expect(Array.from(b)).toEqual(Array.from(a));
    // The state holds PyOD's bin_edges_ and hist_ as float64 tensors.
    const state = det.getState();
    expect(state.tensors.edges.shape).toEqual([8, 8]);
    expect(state.tensors.density.shape).toEqual([8, 7]);
  });

  it('rejects bad params with a ValidationError naming the parameter', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ nBins: 1 }, 'nBins'],
      [{ nBins: 2.5 }, 'nBins'],
      [{ alpha: 0 }, 'alpha'],
      [{ alpha: 1 }, 'alpha'],
      [{ tol: 0 }, 'tol'],
      [{ tol: 1.5 }, 'tol'],
      [{ contamination: 0.7 }, 'contamination'],
      [{ bins: 10 }, 'bins'],
    ];
    for (const [params, name] of bad) {
      let err: unknown;
      try {
        new HBOS(params);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(params)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).reason).toBe('param');
      expect((err as ValidationError).message).toContain(`"${name}"`);
    }
    expect(() => createDetector('hbos', { alpha: -1 })).toThrow(ValidationError);
  });

  it('reports one progress event per feature', async () => {
    const events: ProgressEvent[] = [];
    const rng = new Random(1);
    await new HBOS().fit(
      Array.from({ length: 50 }, () => [rng.normal(), rng.normal(), rng.normal()]),
      null,
      { onProgress: (e) => events.push(e) },
    );
    expect(events.map((e) => e.step)).toEqual([1, 2, 3]);
    expect(events.every((e) => e.unit === 'iteration' && e.totalSteps === 3)).toBe(true);
  });

  it('2-D toy, setting 1: trained on normals, finds the unknown anomalies (AUROC >= 0.99)', async () => {
    const rng = new Random(2019);
    const train = toyData(rng, 1500, 0, 0);
    const test = toyData(rng, 1000, 1000, 1000);
    const det = await new HBOS().fit(train.X);
    const unknown = select(test.X, test.kind, [0, 2]);
    const known = select(test.X, test.kind, [0, 1]);
    const aU = auroc(await det.scoreSamples(unknown.X), unknown.y);
    const aK = auroc(await det.scoreSamples(known.X), known.y);
    console.log(`hbos toy: AUROC known ${aK.toFixed(4)}, unknown ${aU.toFixed(4)}`);
    expect(aU).toBeGreaterThanOrEqual(0.99);
  });
});
