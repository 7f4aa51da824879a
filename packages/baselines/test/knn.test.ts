import { describe, expect, it } from 'vitest';
import {
  AbortError,
  Random,
  ValidationError,
  createDetector,
  deserialize,
  matrix,
  registerDetectorClass,
  serialize,
  type ProgressEvent,
} from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { KNN, aggregate } from '../src/knn.js';
import { auroc, select, toM, toyData } from './helpers.js';
import { loadNeighbourFixture } from './fixtures/pyod/neighbour-fixture.js';
import { maxRelativeDiff } from './fixtures/pyod/pyod-fixture.js';

// Registered by register.ts too; here as well so these tests do not depend on that list.
registerDetectorClass(KNN, { ifAbsent: true });

describe('KNN', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new KNN(p));
  });

  it('has PyOD defaults: k = 5, largest', () => {
    expect(new KNN().getParams()).toEqual({ seed: 0, threshold: null, contamination: null, nNeighbors: 5, method: 'largest' });
  });

  it('a hand-computed case: leave-one-out training scores, new rows against every training row', async () => {
    const det = await new KNN({ nNeighbors: 2 }).fit([[0], [1], [3], [7]]);
    expect(Array.from(det.trainingScores)).toEqual([3, 2, 3, 6]);
    expect(Array.from(await det.scoreSamples([[0], [10], [2]]))).toEqual([1, 7, 1]);
    expect(Array.from(aggregate(Float64Array.of(1, 2, 4, 3, 5, 9), 3, 'median'))).toEqual([2, 5]);
    expect(Array.from(aggregate(Float64Array.of(1, 2, 4, 6), 4, 'median'))).toEqual([3]);
    expect(Array.from(aggregate(Float64Array.of(1, 2, 6), 3, 'mean'))).toEqual([3]);
  });

  it('matches PyOD 3.6.5 KNN (decision_scores_, decision_function, threshold_) within 1e-6', async () => {
    const fx = loadNeighbourFixture();
    const lines: string[] = [];
    for (const set of fx.sets) {
      for (const ref of set.knn) {
        const det = await new KNN(ref.params).fit(toM(set.Xtrain));
        const train = maxRelativeDiff(det.trainingScores, ref.train);
        const test = maxRelativeDiff(await det.scoreSamples(toM(set.Xtest)), ref.test);
        const thr = maxRelativeDiff([det.threshold!], [ref.threshold]);
        lines.push(
          `${set.name} k=${ref.params.nNeighbors} ${ref.params.method}: max rel. diff train ${train.toExponential(2)}, test ${test.toExponential(2)}, threshold ${thr.toExponential(2)}`,
        );
        expect(train, `${set.name} train`).toBeLessThan(1e-6);
        expect(test, `${set.name} test`).toBeLessThan(1e-6);
        expect(thr, `${set.name} threshold`).toBeLessThan(1e-6);
      }
    }
    console.log(`knn vs PyOD ${fx.versions.pyod}\n  ${lines.join('\n  ')}`);
  });

  it('save/load round-trips to the same scores, threshold and training scores', async () => {
    const set = loadNeighbourFixture().sets[0];
    const det = await new KNN({ nNeighbors: 7, method: 'mean', contamination: 0.05 }).fit(toM(set.Xtrain));
    const loaded = await deserialize(await serialize(det));
    expect(loaded).toBeInstanceOf(KNN);
    expect(loaded.getParams()).toEqual(det.getParams());
    expect(loaded.threshold).toBe(det.threshold);
    expect(Array.from(await loaded.scoreSamples(toM(set.Xtest)))).toEqual(Array.from(await det.scoreSamples(toM(set.Xtest))));
    expect(Array.from((loaded as KNN).trainingScores)).toEqual(Array.from(det.trainingScores));
    const state = det.getState();
    expect(state.tensors.reference.shape).toEqual([set.Xtrain.length, set.Xtrain[0].length]);
    expect(state.meta.k).toBe(7);
  });

  it('scores a row the same alone, in any batch and in any order', async () => {
    const rng = new Random(3);
    const X = Array.from({ length: 600 }, () => [rng.normal(), rng.normal(), rng.normal()]);
    const Q = Array.from({ length: 300 }, () => [rng.normal(), rng.normal() * 2, rng.normal()]);
    const det = await new KNN({ method: 'median', nNeighbors: 6 }).fit(X);
    const all = await det.scoreSamples(Q);
    const reversed = await det.scoreSamples([...Q].reverse());
    for (let i = 0; i < Q.length; i++) expect(reversed[Q.length - 1 - i]).toBe(all[i]);
    for (const i of [0, 137, 299]) expect((await det.scoreSamples([Q[i]]))[0]).toBe(all[i]);
  });

  it('caps k at rows − 1 and needs two rows', async () => {
    const det = await new KNN({ nNeighbors: 50 }).fit([[0], [1], [3]]);
    expect(Array.from(det.trainingScores)).toEqual([3, 2, 3]);
    await expect(new KNN().fit([[1, 2]])).rejects.toBeInstanceOf(ValidationError);
  });

  it('reports progress per block and aborts with AbortError, leaving the detector unfitted', async () => {
    const rng = new Random(4);
    const X = Array.from({ length: 700 }, () => [rng.normal(), rng.normal()]);
    const events: ProgressEvent[] = [];
    await new KNN().fit(X, null, { onProgress: (e) => events.push(e) });
    expect(events.map((e) => e.step)).toEqual([1, 2, 3]);
    expect(events.every((e) => e.unit === 'iteration' && e.totalSteps === 3)).toBe(true);
    const ctrl = new AbortController();
    const det = new KNN();
    await expect(det.fit(X, null, { signal: ctrl.signal, onProgress: () => ctrl.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(det.fitted).toBe(false);
  });

  it('an abort from a timer lands between blocks (the search yields to the event loop)', async () => {
    const rng = new Random(6);
    const n = 8000;
    const data = new Float32Array(n * 12);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal();
    const det = new KNN();
    const started = performance.now();
    await expect(det.fit(matrix(data, n, 12), null, { signal: AbortSignal.timeout(5) })).rejects.toBeInstanceOf(AbortError);
    expect(det.fitted).toBe(false);
    console.log(`knn: timer abort landed after ${(performance.now() - started).toFixed(0)} ms`);
  });

  it('rejects bad params with a ValidationError naming the parameter', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ nNeighbors: 0 }, 'nNeighbors'],
      [{ nNeighbors: 2.5 }, 'nNeighbors'],
      [{ method: 'max' }, 'method'],
      [{ contamination: 0.7 }, 'contamination'],
      [{ k: 5 }, 'k'],
    ];
    for (const [params, name] of bad) {
      let err: unknown;
      try {
        new KNN(params);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(params)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toContain(`"${name}"`);
    }
    expect(() => createDetector('knn', { nNeighbors: -1 })).toThrow(ValidationError);
  });

  it('2-D toy, setting 1: trained on normals, finds the unknown anomalies (AUROC >= 0.99)', async () => {
    const rng = new Random(2019);
    const train = toyData(rng, 1500, 0, 0);
    const test = toyData(rng, 1000, 1000, 1000);
    const det = await new KNN().fit(train.X);
    const unknown = select(test.X, test.kind, [0, 2]);
    const aU = auroc(await det.scoreSamples(unknown.X), unknown.y);
    console.log(`knn toy: AUROC unknown ${aU.toFixed(4)}`);
    expect(aU).toBeGreaterThanOrEqual(0.99);
  });
});
