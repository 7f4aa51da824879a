import { describe, expect, it } from 'vitest';
import { AbortError, createDetector, deserialize, getDetectorEntry, serialize, ValidationError } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { OCSVM } from '../src/svm/index.js';
import { registerSvmDetectors } from '../src/svm/register.js';
import { auroc, loadSvmFixture, pearson, pick, toM, toyData } from './svm.helpers.js';

registerSvmDetectors();

describe('OCSVM (one-class SVM, RBF)', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new OCSVM({ ...p }), { progress: true });
  });

  it('is registered as ocsvm with documented defaults', () => {
    const entry = getDetectorEntry('ocsvm');
    expect(entry.supervision).toBe('unsupervised');
    expect(entry.hasProbability).toBe(false);
    const d = createDetector('ocsvm', { nu: 0.1 });
    expect(d).toBeInstanceOf(OCSVM);
    expect(d.getParams()).toEqual({
      seed: 0,
      threshold: null,
      contamination: null,
      nu: 0.1,
      gamma: null,
      tol: 1e-3,
      maxIter: null,
      maxSamples: 10_000,
      cacheSize: 200,
    });
    for (const [key, spec] of Object.entries(entry.paramSpace)) expect(spec.description.length, key).toBeGreaterThan(10);
    for (const key of ['nu', 'gamma']) expect(entry.paramSpace[key].search, key).toBeDefined();
  });

  it('rejects invalid parameters', () => {
    expect(() => new OCSVM({ nu: 0 })).toThrow(ValidationError);
    expect(() => new OCSVM({ nu: 1.5 })).toThrow(ValidationError);
    expect(() => new OCSVM({ gamma: -1 })).toThrow(ValidationError);
  });

  const fixture = loadSvmFixture();
  for (const set of fixture.sets.filter((s) => s.model === 'ocsvm')) {
    it(`matches scikit-learn ${fixture.versions.sklearn} OneClassSVM: ${set.name}`, async () => {
      const det = await new OCSVM(set.ours as Partial<ConstructorParameters<typeof OCSVM>[0]>).fit(toM(set.Xtrain));
      const s = await det.scoreSamples(toM(set.Xtest));
      const r = pearson(s, set.score);
      const a = auroc(s, set.ytest);
      console.log(
        `${set.name}: pearson ${r.toFixed(9)}, AUROC ours ${a.toFixed(4)} sklearn ${set.auroc.toFixed(4)}, rho ${det.modelInfo.rho} vs ${set.rho}`,
      );
      expect(r).toBeGreaterThan(0.999); // the issue asks for > 0.99
      expect(Math.abs(a - set.auroc)).toBeLessThan(0.005);
      expect(det.modelInfo.gamma).toBeCloseTo(set.gamma, 10);
      // Same sign and offset as scikit-learn's -decision_function.
      expect(det.modelInfo.rho).toBeCloseTo(set.rho, 3);
      expect(det.modelInfo.nSupport).toBe(set.nSupport);
      for (let i = 0; i < s.length; i++)
        expect(Math.abs(s[i] - set.score[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(set.score[i])));
    });
  }

  it('2-D toy, setting 1 (normals only): unknown AUROC >= 0.99 (paper 1.000); known reported (paper 0.833)', async () => {
    const train = toyData(1, 1000, 0, 0);
    const test = toyData(2, 1000, 1000, 1000);
    const det = await new OCSVM().fit(train.X);
    const known = pick(test.X, test.kind, [0, 1]);
    const unknown = pick(test.X, test.kind, [0, 2]);
    const aKnown = auroc(await det.scoreSamples(known.X), known.y);
    const aUnknown = auroc(await det.scoreSamples(unknown.X), unknown.y);
    console.log(`toy OCSVM: known AUROC ${aKnown.toFixed(4)}, unknown AUROC ${aUnknown.toFixed(4)}`);
    expect(aUnknown).toBeGreaterThanOrEqual(0.99);
    expect(aKnown).toBeGreaterThan(0.7);
  });

  it('nu bounds the share of training rows outside the boundary (threshold 0)', async () => {
    const train = toyData(3, 800, 0, 0);
    for (const nu of [0.05, 0.2, 0.5]) {
      const det = await new OCSVM({ nu, threshold: 0 }).fit(train.X);
      const out = (await det.predict(train.X)).reduce((s, v) => s + v, 0) / 800;
      const svShare = det.modelInfo.nSupport / 800;
      expect(out).toBeLessThanOrEqual(nu + 0.01);
      expect(svShare).toBeGreaterThanOrEqual(nu - 0.01);
      // Σα = nu l.
      const coef = det.getState().tensors.dualCoef.data as Float64Array;
      expect(coef.reduce((s, v) => s + v, 0)).toBeCloseTo(nu * 800, 6);
    }
  });

  it('ignores labels but checks them', async () => {
    const train = toyData(4, 100, 0, 0);
    const a = await new OCSVM().fit(train.X);
    const b = await new OCSVM().fit(train.X, new Uint8Array(100));
    expect(Array.from(await b.scoreSamples(train.X))).toEqual(Array.from(await a.scoreSamples(train.X)));
    await expect(new OCSVM().fit(train.X, new Uint8Array(3))).rejects.toBeInstanceOf(ValidationError);
  });

  it('subsamples a training set larger than maxSamples, seeded, and says so', async () => {
    const train = toyData(5, 700, 0, 0);
    const det = await new OCSVM({ maxSamples: 300, seed: 2 }).fit(train.X);
    expect(det.modelInfo.subsampled).toEqual({ from: 700, to: 300 });
    expect(det.getState().meta.subsampled).toEqual({ from: 700, to: 300 });
    const again = await new OCSVM({ maxSamples: 300, seed: 2 }).fit(train.X);
    expect(Array.from(await again.scoreSamples(train.X))).toEqual(Array.from(await det.scoreSamples(train.X)));
    const loaded = await deserialize(await serialize(det));
    expect(loaded.getState().meta.subsampled).toEqual({ from: 700, to: 300 });
  });

  it('reports progress during a long fit and stops on abort, leaving the old model', async () => {
    const train = toyData(6, 1000, 0, 0);
    const events: number[] = [];
    const det = await new OCSVM({ nu: 0.5, gamma: 5, tol: 1e-6 }).fit(train.X, null, { onProgress: (e) => events.push(e.step) });
    expect(det.modelInfo.iterations).toBeGreaterThan(1000);
    expect(events.slice(0, 2)).toEqual(det.modelInfo.iterations >= 2000 ? [1000, 2000] : [1000, det.modelInfo.iterations]);
    const before = await det.scoreSamples(train.X);
    const ctrl = new AbortController();
    await expect(
      det.fit(toyData(7, 1000, 0, 0).X, null, { signal: ctrl.signal, onProgress: () => ctrl.abort() }),
    ).rejects.toBeInstanceOf(AbortError);
    expect(Array.from(await det.scoreSamples(train.X))).toEqual(Array.from(before));
  });
});
