import { describe, expect, it } from 'vitest';
import { NotFittedError, quantile, ValidationError, matrix, AbortError } from '../src/index.js';
import { checkDetector, LogisticDetector, makeCheckData, MeanDistance } from '../src/testing/index.js';
import { registerTestComponents } from './helpers.js';

registerTestComponents();

describe('BaseDetector behaviour (through the reference detectors)', () => {
  it('MeanDistance passes the conformance suite', async () => {
    const ran = await checkDetector((p) => new MeanDistance(p));
    expect(ran.length).toBeGreaterThan(12);
  });

  it('LogisticDetector (supervised, random, probability) passes the conformance suite', async () => {
    await checkDetector((p) => new LogisticDetector({ epochs: 5, ...p }), { random: true });
  });

  it('threshold precedence: threshold param, then contamination, then 0.5 / 10%', async () => {
    const { X, y } = makeCheckData();
    const fixed = await new MeanDistance({ threshold: 1.25 }).fit(X);
    expect(fixed.threshold).toBe(1.25);
    const both = await new MeanDistance({ threshold: 2, contamination: 0.2 }).fit(X);
    expect(both.threshold).toBe(2);
    const c = await new MeanDistance({ contamination: 0.2 }).fit(X);
    const scores = await c.scoreSamples(X);
    expect(c.threshold).toBeCloseTo(quantile(scores, 0.8), 6);
    const flagged = (await c.predict(X)).reduce((a, b) => a + b, 0);
    expect(flagged).toBe(Math.round(0.2 * X.rows)); // 200 rows, distinct scores: exactly 40 above the quantile
    const d = await new MeanDistance().fit(X);
    expect(d.threshold).toBeCloseTo(quantile(await d.scoreSamples(X), 0.9), 6);
    const p = await new LogisticDetector({ epochs: 2 }).fit(X, y);
    expect(p.threshold).toBe(0.5);
  });

  it('quantile interpolates like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2], 0.9)).toBeCloseTo(3.7, 10);
    expect(quantile([7], 0.3)).toBe(7);
  });

  it('supervised detectors reject a single-class y', async () => {
    const { X } = makeCheckData();
    await expect(new LogisticDetector().fit(X, new Uint8Array(X.rows))).rejects.toThrow(/no anomaly/);
    await expect(new LogisticDetector().fit(X, new Uint8Array(X.rows).fill(1))).rejects.toThrow(/no normal/);
  });

  it('aligns scoring columns by feature name and names a missing one', async () => {
    const X = matrix(Float32Array.from([0, 0, 1, 1, 2, 0, 0, 3]), 4, 2, ['a', 'b']);
    const d = await new MeanDistance().fit(X);
    expect(d.featureNames).toEqual(['a', 'b']);
    const swapped = matrix(Float32Array.from([9, 0, 0, 9, 1, 1]), 2, 3, ['b', 'extra', 'a']);
    const s = await d.scoreSamples(swapped);
    const direct = await d.scoreSamples(matrix(Float32Array.from([0, 9, 1, 9]), 2, 2));
    expect(Array.from(s)).toEqual(Array.from(direct));
    const missing = matrix(Float32Array.from([1, 2]), 1, 2, ['a', 'c']);
    await expect(d.scoreSamples(missing)).rejects.toThrow(/feature "b" seen at fit is missing/);
  });

  it('setParams unfits; predictProba without probability raises; unfitted getState raises', async () => {
    const { X } = makeCheckData();
    const d = await new MeanDistance().fit(X);
    d.setParams({ contamination: 0.05 });
    expect(d.fitted).toBe(false);
    await expect(d.scoreSamples(X)).rejects.toBeInstanceOf(NotFittedError);
    expect(() => d.getState()).toThrow(NotFittedError);
    await d.fit(X);
    await expect(d.predictProba(X)).rejects.toBeInstanceOf(ValidationError);
    expect(() => new MeanDistance({ contamination: 0.7 })).toThrow(/contamination/);
  });

  it('an aborted first fit leaves the detector unfitted with AbortError named AbortError', async () => {
    const { X, y } = makeCheckData();
    const ctrl = new AbortController();
    const d = new LogisticDetector({ epochs: 50 });
    const err = await d.fit(X, y, { signal: ctrl.signal, onProgress: (e) => e.step === 2 && ctrl.abort() }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err.name).toBe('AbortError');
    expect(d.fitted).toBe(false);
  });
});

describe('checkDetector catches broken detectors', () => {
  it('reports a detector that ignores its seed and mutates on abort', async () => {
    class Broken extends LogisticDetector {
      // Scores rows depending on the batch (breaks row independence).
      protected override scoreModel(model: { w: Float32Array }, Xm: { rows: number; cols: number; data: Float32Array }) {
        const s = super.scoreModel(model, Xm as never);
        return s.map((v) => v + Xm.rows * 1e-3);
      }
    }
    const err = await checkDetector((p) => new Broken({ epochs: 2, ...p }), { skipPersistence: true }).catch((e) => e);
    expect(err).toBeInstanceOf(AggregateError);
    expect(err.message).toMatch(/scores rows independently/);
  });

  it('reports a detector without progress events when progress is expected', async () => {
    const err2 = await checkDetector((p) => new MeanDistance(p), { progress: true }).catch((e) => e);
    expect(err2).toBeInstanceOf(AggregateError);
    expect(err2.message).toMatch(/emitted no progress event/);
  });
});
