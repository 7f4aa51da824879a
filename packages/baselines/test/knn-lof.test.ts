import { describe, expect, it } from 'vitest';
import {
  AbortError,
  Random,
  ValidationError,
  createDetector,
  deserialize,
  ModelFormatError,
  registerDetectorClass,
  serialize,
  type ProgressEvent,
} from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { LOF, lrdRatios, reachabilityDensity } from '../src/lof.js';
import { auroc, select, toM, toyData } from './helpers.js';
import { loadNeighbourFixture } from './fixtures/pyod/neighbour-fixture.js';
import { maxRelativeDiff } from './fixtures/pyod/pyod-fixture.js';

// Registered by register.ts too; here as well so these tests do not depend on that list.
registerDetectorClass(LOF, { ifAbsent: true });

/** LOF from its definition, brute force in float64 (ties: lower index), for small hand-made cases. */
function naiveLof(train: number[][], query: number[][] | null, k: number): number[] {
  const dist = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, v, c) => s + (v - b[c]) ** 2, 0));
  const knn = (x: number[], skip: number) =>
    train
      .map((t, j) => [dist(x, t), j] as const)
      .filter(([, j]) => j !== skip)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .slice(0, k);
  const trainNb = train.map((x, i) => knn(x, i));
  const kd = trainNb.map((nb) => nb[k - 1][0]);
  const lrdOf = (nb: (readonly [number, number])[]) => 1 / (nb.reduce((s, [d, j]) => s + Math.max(d, kd[j]), 0) / k + 1e-10);
  const lrd = trainNb.map(lrdOf);
  const rows = query === null ? trainNb : query.map((x) => knn(x, -1));
  return rows.map((nb) => {
    const own = lrdOf(nb);
    return nb.reduce((s, [, j]) => s + lrd[j] / own, 0) / k;
  });
}

describe('LOF', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new LOF(p));
  });

  it("has scikit-learn's default k = 20", () => {
    expect(new LOF().getParams()).toEqual({ seed: 0, threshold: null, contamination: null, nNeighbors: 20 });
  });

  it('matches the definition computed naively on a small case, training and new rows', async () => {
    const rng = new Random(12);
    const train = Array.from({ length: 40 }, () => [Math.fround(rng.normal()), Math.fround(rng.normal() * 2)]);
    const query = Array.from({ length: 15 }, () => [Math.fround(rng.normal() * 3), Math.fround(rng.normal())]);
    const det = await new LOF({ nNeighbors: 6 }).fit(train);
    expect(maxRelativeDiff(det.trainingScores, naiveLof(train, null, 6))).toBeLessThan(1e-12);
    expect(maxRelativeDiff(await det.scoreSamples(query), naiveLof(train, query, 6))).toBeLessThan(1e-7);
    expect(Array.from(reachabilityDensity(Float64Array.of(1, 2), Int32Array.of(0, 1), 2, Float64Array.of(3, 1)))).toEqual([
      1 / (2.5 + 1e-10),
    ]);
    expect(Array.from(lrdRatios(Float64Array.of(2, 4), Int32Array.of(0, 1), 2, Float64Array.of(1)))).toEqual([3]);
  });

  it('matches PyOD 3.6.5 LOF (decision_scores_, decision_function, threshold_) within 1e-6, and the tie rule', async () => {
    const fx = loadNeighbourFixture();
    const lines: string[] = [];
    const without = (v: ArrayLike<number>, drop: number[]) => Array.from(v).filter((_, i) => !drop.includes(i));
    for (const set of fx.sets) {
      for (const ref of set.lof) {
        const det = await new LOF(ref.params).fit(toM(set.Xtrain));
        const ours = { train: det.trainingScores, test: await det.scoreSamples(toM(set.Xtest)) };
        const train = maxRelativeDiff(ours.train, ref.train);
        const test = maxRelativeDiff(ours.test, ref.test);
        const thr = maxRelativeDiff([det.threshold!], [ref.threshold]);
        const rule = Math.max(maxRelativeDiff(ours.train, ref.tieRule.train), maxRelativeDiff(ours.test, ref.tieRule.test));
        lines.push(
          `${set.name} k=${ref.params.nNeighbors}: max rel. diff train ${train.toExponential(2)}, test ${test.toExponential(2)}, threshold ${thr.toExponential(2)}; ` +
            `vs the tie rule ${rule.toExponential(2)} (sklearn tree vs brute ${ref.treeVsBrute.toExponential(2)}, rows a tie decides ${ref.ambiguousTrain.length}+${ref.ambiguousTest.length})`,
        );
        expect(rule, `${set.name} vs the tie rule`).toBeLessThan(1e-6);
        if (set.tieDependent) {
          // scikit-learn itself is not consistent here: compare with PyOD where no tie decides.
          expect(maxRelativeDiff(without(ours.train, ref.ambiguousTrain), without(ref.train, ref.ambiguousTrain))).toBeLessThan(
            1e-6,
          );
          expect(maxRelativeDiff(without(ours.test, ref.ambiguousTest), without(ref.test, ref.ambiguousTest))).toBeLessThan(1e-6);
        } else {
          expect(train, `${set.name} train`).toBeLessThan(1e-6);
          expect(test, `${set.name} test`).toBeLessThan(1e-6);
          expect(thr, `${set.name} threshold`).toBeLessThan(1e-6);
        }
      }
    }
    console.log(`lof vs PyOD ${fx.versions.pyod}\n  ${lines.join('\n  ')}`);
  });

  it('save/load round-trips to the same scores, threshold and training scores', async () => {
    const set = loadNeighbourFixture().sets[2];
    const det = await new LOF({ nNeighbors: 9, contamination: 0.05 }).fit(toM(set.Xtrain));
    const loaded = await deserialize(await serialize(det));
    expect(loaded).toBeInstanceOf(LOF);
    expect(loaded.getParams()).toEqual(det.getParams());
    expect(loaded.threshold).toBe(det.threshold);
    expect(Array.from(await loaded.scoreSamples(toM(set.Xtest)))).toEqual(Array.from(await det.scoreSamples(toM(set.Xtest))));
    expect(Array.from((loaded as LOF).trainingScores)).toEqual(Array.from(det.trainingScores));
    expect(Object.keys(det.getState().tensors).sort()).toEqual(['kDistance', 'lrd', 'reference', 'trainScores']);
  });

  it('rejects a corrupt state with a ModelFormatError', async () => {
    const det = await new LOF({ nNeighbors: 3 }).fit([
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [5, 5],
    ]);
    const state = det.getState();
    const bad = [
      { ...state, tensors: { ...state.tensors, lrd: { ...state.tensors.lrd, data: new Float64Array(2) } } },
      { ...state, tensors: { ...state.tensors, reference: { ...state.tensors.reference, dtype: 'f64' as const } } },
      { ...state, meta: { ...state.meta, k: 9 } },
      {
        ...state,
        tensors: { ...state.tensors, kDistance: { ...state.tensors.kDistance, data: Float64Array.of(1, 2, Number.NaN, 4, 5) } },
      },
    ];
    for (const s of bad) expect(() => new LOF({ nNeighbors: 3 }).setState(s)).toThrow(ModelFormatError);
    const ok = new LOF({ nNeighbors: 3 });
    ok.setState(state);
    expect(Array.from(await ok.scoreSamples([[2, 2]]))).toEqual(Array.from(await det.scoreSamples([[2, 2]])));
  });

  it('scores a row the same alone, in any batch and in any order', async () => {
    const rng = new Random(3);
    const X = Array.from({ length: 500 }, () => [rng.normal(), rng.normal(), rng.normal()]);
    const Q = Array.from({ length: 300 }, () => [rng.normal(), rng.normal() * 2, rng.normal()]);
    const det = await new LOF().fit(X);
    const all = await det.scoreSamples(Q);
    const reversed = await det.scoreSamples([...Q].reverse());
    for (let i = 0; i < Q.length; i++) expect(reversed[Q.length - 1 - i]).toBe(all[i]);
    for (const i of [0, 42, 299]) expect((await det.scoreSamples([Q[i]]))[0]).toBe(all[i]);
  });

  it('caps k at rows − 1 as scikit-learn, and gives duplicates finite scores', async () => {
    const det = await new LOF().fit([
      [0, 0],
      [0, 0],
      [0, 0],
      [1, 1],
      [5, 5],
    ]);
    expect(det.getState().meta.k).toBe(4);
    expect(det.trainingScores.every((v) => Number.isFinite(v))).toBe(true);
    await expect(new LOF().fit([[1, 2]])).rejects.toBeInstanceOf(ValidationError);
  });

  it('reports progress per block and aborts with AbortError, leaving the detector unfitted', async () => {
    const rng = new Random(4);
    const X = Array.from({ length: 600 }, () => [rng.normal(), rng.normal()]);
    const events: ProgressEvent[] = [];
    await new LOF().fit(X, null, { onProgress: (e) => events.push(e) });
    expect(events.map((e) => e.step)).toEqual([1, 2, 3]);
    const ctrl = new AbortController();
    const det = new LOF();
    await expect(det.fit(X, null, { signal: ctrl.signal, onProgress: () => ctrl.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(det.fitted).toBe(false);
  });

  it('rejects bad params with a ValidationError naming the parameter', () => {
    for (const [params, name] of [
      [{ nNeighbors: 0 }, 'nNeighbors'],
      [{ nNeighbors: 1.5 }, 'nNeighbors'],
      [{ method: 'mean' }, 'method'],
    ] as const) {
      let err: unknown;
      try {
        new LOF(params as Record<string, unknown>);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(params)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toContain(`"${name}"`);
    }
    expect(() => createDetector('lof', { nNeighbors: 0 })).toThrow(ValidationError);
  });

  it('2-D toy, setting 1: trained on normals, finds the unknown anomalies (AUROC >= 0.99)', async () => {
    const rng = new Random(2019);
    const train = toyData(rng, 1500, 0, 0);
    const test = toyData(rng, 1000, 1000, 1000);
    const det = await new LOF().fit(train.X);
    const unknown = select(test.X, test.kind, [0, 2]);
    const aU = auroc(await det.scoreSamples(unknown.X), unknown.y);
    console.log(`lof toy: AUROC unknown ${aU.toFixed(4)}`);
    expect(aU).toBeGreaterThanOrEqual(0.99);
  });
});
