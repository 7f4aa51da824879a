import { describe, expect, it } from 'vitest';
import { AbortError, createDetector, deserialize, getDetectorEntry, Random, serialize, ValidationError } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { SVM, solveSmo } from '../src/svm/index.js';
import { hasWasmSimd, sqDist, sqDistEngine } from '../src/svm/kernel.js';
import { registerSvmDetectors } from '../src/svm/register.js';
import { auroc, loadSvmFixture, pearson, pick, toM, toyData } from './svm.helpers.js';

registerSvmDetectors();

describe('SVM (C-SVC, RBF)', () => {
  it('passes the conformance suite', async () => {
    await checkDetector((p) => new SVM({ ...p }), { progress: true });
  });

  it('is registered as svm with documented defaults', () => {
    registerSvmDetectors(); // idempotent
    const entry = getDetectorEntry('svm');
    expect(entry.supervision).toBe('supervised');
    expect(entry.hasProbability).toBe(false);
    const d = createDetector('svm', { C: 3 });
    expect(d).toBeInstanceOf(SVM);
    expect(d.getParams()).toEqual({
      seed: 0,
      threshold: null,
      contamination: null,
      C: 3,
      gamma: null,
      tol: 1e-3,
      maxIter: null,
      maxSamples: 10_000,
      cacheSize: 200,
      classWeight: 'none',
    });
    for (const [key, spec] of Object.entries(entry.paramSpace)) expect(spec.description.length, key).toBeGreaterThan(10);
    for (const key of ['C', 'gamma', 'classWeight']) expect(entry.paramSpace[key].search, key).toBeDefined();
  });

  it('rejects invalid parameters', () => {
    expect(() => new SVM({ C: 0 })).toThrow(ValidationError);
    expect(() => new SVM({ gamma: 0 })).toThrow(ValidationError);
    expect(() => new SVM({ tol: -1 })).toThrow(ValidationError);
    expect(() => new SVM({ classWeight: 'auto' as 'none' })).toThrow(ValidationError);
    expect(() => new SVM({ maxSamples: 1 })).toThrow(ValidationError);
  });

  const fixture = loadSvmFixture();
  for (const set of fixture.sets.filter((s) => s.model === 'svc')) {
    it(`matches scikit-learn ${fixture.versions.sklearn} SVC: ${set.name}`, async () => {
      const det = await new SVM(set.ours as Partial<ConstructorParameters<typeof SVM>[0]>).fit(toM(set.Xtrain), set.ytrain!);
      const s = await det.scoreSamples(toM(set.Xtest));
      const r = pearson(s, set.score);
      const a = auroc(s, set.ytest);
      console.log(
        `${set.name}: pearson ${r.toFixed(7)}, AUROC ours ${a.toFixed(4)} sklearn ${set.auroc.toFixed(4)}, nSV ${det.modelInfo.nSupport} vs ${set.nSupport}`,
      );
      expect(r).toBeGreaterThan(0.999); // the issue asks for > 0.99
      expect(Math.abs(a - set.auroc)).toBeLessThan(0.005);
      expect(det.modelInfo.gamma).toBeCloseTo(set.gamma, 10);
      expect(Math.abs(det.modelInfo.nSupport - set.nSupport)).toBeLessThanOrEqual(3);
      for (let i = 0; i < s.length; i++) expect(Math.abs(s[i] - set.score[i])).toBeLessThan(0.01);
    });
  }

  it('2-D toy, setting 1: known AUROC >= 0.95 (paper 0.970); unknown reported (paper 0.907)', async () => {
    const train = toyData(1, 1000, 1000, 0);
    const test = toyData(2, 1000, 1000, 1000);
    const { X, y } = pick(train.X, train.kind, [0, 1]);
    const det = await new SVM().fit(X, y);
    const known = pick(test.X, test.kind, [0, 1]);
    const unknown = pick(test.X, test.kind, [0, 2]);
    const aKnown = auroc(await det.scoreSamples(known.X), known.y);
    const aUnknown = auroc(await det.scoreSamples(unknown.X), unknown.y);
    console.log(`toy SVM: known AUROC ${aKnown.toFixed(4)}, unknown AUROC ${aUnknown.toFixed(4)}`);
    expect(aKnown).toBeGreaterThanOrEqual(0.95);
    expect(aUnknown).toBeGreaterThan(0.5);
  });

  it('subsamples a training set larger than maxSamples, stratified, seeded, and says so', async () => {
    const train = toyData(3, 450, 150, 0);
    const { X, y } = pick(train.X, train.kind, [0, 1]);
    const det = await new SVM({ maxSamples: 200, seed: 4 }).fit(X, y);
    expect(det.modelInfo.subsampled).toEqual({ from: 600, to: 200 });
    const state = det.getState();
    expect(state.meta.subsampled).toEqual({ from: 600, to: 200 });
    expect(det.getParams().maxSamples).toBe(200);
    // Seeded: the same seed gives the same subsample, another seed another one.
    const again = await new SVM({ maxSamples: 200, seed: 4 }).fit(X, y);
    expect(Array.from(await again.scoreSamples(X))).toEqual(Array.from(await det.scoreSamples(X)));
    const other = await new SVM({ maxSamples: 200, seed: 5 }).fit(X, y);
    expect(Array.from(await other.scoreSamples(X))).not.toEqual(Array.from(await det.scoreSamples(X)));
    const full = await new SVM().fit(X, y);
    expect(full.modelInfo.subsampled).toBeNull();
    expect(full.getState().meta.subsampled).toBeNull();
  });

  it('keeps the class balance when subsampling', async () => {
    const { subsampleIndices } = await import('../src/svm/common.js');
    const { Random } = await import('@abc/core');
    const y = Uint8Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const idx = subsampleIndices(1000, 300, new Random(1), y)!;
    expect(idx.length).toBe(300);
    expect(new Set(idx).size).toBe(300);
    expect(Array.from(idx).filter((i) => y[i] === 1).length).toBe(30);
    expect(Array.from(idx)).toEqual(Array.from(idx).sort((a, b) => a - b));
  });

  it('reports progress every 1000 SMO iterations and stops on abort', async () => {
    const train = toyData(5, 300, 300, 0);
    const { X, y } = pick(train.X, train.kind, [0, 1]);
    const events: { step: number; unit: string }[] = [];
    const det = await new SVM({ C: 1000 }).fit(X, y, { onProgress: (e) => events.push(e) });
    expect(det.modelInfo.iterations).toBeGreaterThan(2000);
    expect(events.length).toBe(Math.floor(det.modelInfo.iterations / 1000) + 1);
    expect(events[0]).toMatchObject({ step: 1000, unit: 'iteration' });
    expect(events[events.length - 1].step).toBe(det.modelInfo.iterations);
    const ctrl = new AbortController();
    const fresh = new SVM({ C: 1000 });
    let seen = 0;
    await expect(
      fresh.fit(X, y, {
        signal: ctrl.signal,
        onProgress: () => {
          seen++;
          ctrl.abort();
        },
      }),
    ).rejects.toBeInstanceOf(AbortError);
    expect(seen).toBe(1);
    expect(fresh.fitted).toBe(false);
  });

  it('an abort from a timer lands during a long fit', async () => {
    const train = toyData(6, 1500, 1500, 0);
    const { X, y } = pick(train.X, train.kind, [0, 1]);
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 30);
    const t0 = Date.now();
    await expect(new SVM({ C: 1e5, tol: 1e-6 }).fit(X, y, { signal: ctrl.signal })).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('maxIter caps the solver and records converged: false', async () => {
    const train = toyData(7, 200, 200, 0);
    const { X, y } = pick(train.X, train.kind, [0, 1]);
    const det = await new SVM({ maxIter: 5 }).fit(X, y);
    expect(det.modelInfo).toMatchObject({ iterations: 5, converged: false });
    expect(det.getState().meta.converged).toBe(false);
  });

  it("classWeight 'balanced' moves the boundary toward the rare class", async () => {
    const train = toyData(8, 600, 60, 0);
    const { X, y } = pick(train.X, train.kind, [0, 1]);
    const plain = await new SVM({ threshold: 0 }).fit(X, y);
    const balanced = await new SVM({ threshold: 0, classWeight: 'balanced' }).fit(X, y);
    const count = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
    expect(count(await balanced.predict(X))).toBeGreaterThan(count(await plain.predict(X)));
  });

  it('saves support vectors, dual coefficients, rho and gamma as tensors', async () => {
    const train = toyData(9, 150, 150, 0);
    const { X, y } = pick(train.X, train.kind, [0, 1]);
    const det = await new SVM({ gamma: 0.7, C: 2 }).fit(X, y);
    const state = det.getState();
    const nSV = det.modelInfo.nSupport;
    expect(state.tensors.supportVectors).toMatchObject({ dtype: 'f32', shape: [nSV, 2] });
    expect(state.tensors.dualCoef).toMatchObject({ dtype: 'f64', shape: [nSV] });
    expect(state.tensors.rho.data[0]).toBe(det.modelInfo.rho);
    expect(state.tensors.gamma.data[0]).toBe(0.7);
    expect(state.meta).toMatchObject({ kind: 'svc', nSupport: nSV, converged: true, subsampled: null });
    // Σ y α = 0 and 0 <= α <= C.
    const coef = state.tensors.dualCoef.data as Float64Array;
    expect(Math.abs(coef.reduce((s, v) => s + v, 0))).toBeLessThan(1e-9);
    for (const c of coef) expect(Math.abs(c)).toBeLessThanOrEqual(2 + 1e-12);
    const loaded = await deserialize(await serialize(det));
    expect(Array.from(await loaded.scoreSamples(X))).toEqual(Array.from(await det.scoreSamples(X)));
  });

  it('the WebAssembly SIMD and JavaScript distance kernels agree bit for bit', () => {
    expect(hasWasmSimd()).toBe(true); // Node 20 has WebAssembly SIMD
    const rng = new Random(3);
    for (const d of [1, 2, 3, 4, 5, 8, 13, 784]) {
      const n = 37;
      const X = Float32Array.from({ length: n * d }, () => (rng.float() < 0.3 ? 0 : rng.normal(0, 3)));
      const w = sqDistEngine(X, n, d, 'wasm-simd');
      const j = sqDistEngine(X, n, d, 'ts');
      const a = new Float64Array(n);
      const b = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        w.fromRow(i, a);
        j.fromRow(i, b);
        expect(Array.from(a)).toEqual(Array.from(b));
        expect(a[i]).toBe(0);
      }
      const a4 = new Float64Array(4 * n);
      const b4 = new Float64Array(4 * n);
      w.fromRows4([3, 0, 36, 3], a4);
      j.fromRows4([3, 0, 36, 3], b4);
      expect(Array.from(a4)).toEqual(Array.from(b4));
      j.fromRow(36, b);
      expect(Array.from(a4.subarray(2 * n, 3 * n))).toEqual(Array.from(b));
      const v4 = Float32Array.from({ length: 4 * d }, () => rng.normal());
      w.fromVectors4(v4, a4);
      j.fromVectors4(v4, b4);
      expect(Array.from(a4)).toEqual(Array.from(b4));
      w.fromVector(v4.subarray(d, 2 * d), a);
      expect(Array.from(a4.subarray(n, 2 * n))).toEqual(Array.from(a));
      const v = Float32Array.from({ length: d }, () => rng.normal());
      w.fromVector(v, a);
      j.fromVector(v, b);
      expect(Array.from(a)).toEqual(Array.from(b));
      let ref = 0;
      for (let k = 0; k < d; k++) ref += (v[k] - X[k]) ** 2;
      expect(a[0]).toBeCloseTo(ref, 8);
      expect(sqDist(v, 0, X, 0, d)).toBe(a[0]);
    }
  });

  it('the solver gives the same solution on either distance backend', async () => {
    const train = toyData(10, 120, 120, 0);
    const { X, y } = pick(train.X, train.kind, [0, 1]);
    const sign = Int8Array.from(y, (v) => (v ? 1 : -1));
    const prob = {
      X: X.data,
      l: X.rows,
      d: 2,
      y: sign,
      p: new Float64Array(X.rows).fill(-1),
      alpha: new Float64Array(X.rows),
      Cp: 1,
      Cn: 1,
      gamma: 0.5,
      eps: 1e-3,
      maxIter: 1e6,
      cacheBytes: 1 << 20,
    };
    const a = await solveSmo({ ...prob, backend: 'wasm-simd' });
    const b = await solveSmo({ ...prob, backend: 'ts' });
    expect(Array.from(a.alpha)).toEqual(Array.from(b.alpha));
    expect(a.rho).toBe(b.rho);
    expect(a.converged).toBe(true);
  });

  it('a tiny kernel cache (2 rows) gives the same solution as a large one', async () => {
    const train = toyData(11, 150, 150, 0);
    const { X, y } = pick(train.X, train.kind, [0, 1]);
    const prob = {
      X: X.data,
      l: X.rows,
      d: 2,
      y: Int8Array.from(y, (v) => (v ? 1 : -1)),
      p: new Float64Array(X.rows).fill(-1),
      alpha: new Float64Array(X.rows),
      Cp: 3,
      Cn: 3,
      gamma: 2,
      eps: 1e-3,
      maxIter: 1e6,
    };
    const big = await solveSmo({ ...prob, cacheBytes: 1 << 24 });
    const tiny = await solveSmo({ ...prob, cacheBytes: 8 * X.rows });
    expect(Array.from(tiny.alpha)).toEqual(Array.from(big.alpha));
    expect(tiny.kernelRows).toBeGreaterThan(big.kernelRows);
  });
});
