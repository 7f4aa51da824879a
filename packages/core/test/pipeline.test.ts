import { describe, expect, it } from 'vitest';
import { AbortError, matrix, NotFittedError, Pipeline, table, ValidationError } from '../src/index.js';
import { checkDetector, LogisticDetector, makeCheckData, MeanDistance } from '../src/testing/index.js';
import { CenterTransformer, registerTestComponents } from './helpers.js';

registerTestComponents();
const { X, y, Xtest } = makeCheckData();

describe('Pipeline', () => {
  it('passes the conformance suite as a detector', async () => {
    await checkDetector((p) => new Pipeline([new CenterTransformer(), new LogisticDetector({ epochs: 4, ...p })]), {
      random: true,
    });
  });

  it('scores as its steps composed by hand', async () => {
    const pipe = await new Pipeline([new CenterTransformer({ factor: 3 }), new MeanDistance()]).fit(X);
    const t = new CenterTransformer({ factor: 3 }).fit(X);
    const d = await new MeanDistance().fit(t.transform(X));
    expect(await pipe.scoreSamples(Xtest)).toEqual(await d.scoreSamples(t.transform(Xtest)));
    expect(pipe.threshold).toBe(d.threshold);
    expect(pipe.supervision).toBe('unsupervised');
    expect(pipe.hasProbability).toBe(false);
  });

  it('flattens params as step__param and validates them', () => {
    const pipe = new Pipeline([new CenterTransformer(), new CenterTransformer(), new LogisticDetector()]);
    expect(pipe.stepNames()).toEqual(['test-center', 'test-center_2', 'ref-logistic']);
    pipe.setParams({ 'test-center_2__factor': 5, 'ref-logistic__epochs': 7 });
    pipe.setParams({ seed: 9 });
    const p = pipe.getParams();
    expect(p.seed).toBe(9);
    expect(p['ref-logistic__seed']).toBe(9);
    expect(p['test-center__factor']).toBe(1);
    expect(p['test-center_2__factor']).toBe(5);
    expect(p['ref-logistic__epochs']).toBe(7);
    expect(() => pipe.setParams({ nostep__x: 1 })).toThrow(/not "step__param"/);
    expect(() => pipe.setParams({ 'ref-logistic__nope': 1 })).toThrow(/unknown parameter "nope"/);
  });

  it('validates its construction', () => {
    expect(() => new Pipeline([])).toThrow(ValidationError);
    expect(() => new Pipeline([new CenterTransformer()])).toThrow(/last step must be a detector/);
    expect(() => new Pipeline([new MeanDistance(), new MeanDistance()])).toThrow(/only the last step/);
  });

  it('checks features by name and count at score time', async () => {
    const named = matrix(X.data, X.rows, 2, ['a', 'b']);
    const pipe = await new Pipeline([new CenterTransformer(), new MeanDistance()]).fit(named);
    expect(pipe.featureNames).toEqual(['a', 'b']);
    const reordered = matrix(Float32Array.from([1, 2]), 1, 2, ['b', 'a']);
    const direct = matrix(Float32Array.from([2, 1]), 1, 2, ['a', 'b']);
    expect(await pipe.scoreSamples(reordered)).toEqual(await pipe.scoreSamples(direct));
    await expect(pipe.scoreSamples([[1, 2, 3]])).rejects.toThrow(/fitted on 2 features but X has 3/);
    await expect(new Pipeline([new MeanDistance()]).scoreSamples(X)).rejects.toBeInstanceOf(NotFittedError);
  });

  it('takes a numeric Table and rejects string columns without an encoder', async () => {
    const t = table(['a', 'b'], [Float32Array.from([0, 1, 2, 3]), Float32Array.from([1, 1, 0, 0])]);
    const pipe = await new Pipeline([new MeanDistance()]).fit(t);
    expect(pipe.featureNames).toEqual(['a', 'b']);
    expect((await pipe.scoreSamples(t)).length).toBe(4);
    const s = table(['a', 'proto'], [Float32Array.from([0, 1]), ['tcp', 'udp']]);
    await expect(new Pipeline([new MeanDistance()]).fit(s)).rejects.toThrow(/column "proto" holds strings/);
  });

  it('an aborted refit leaves the fitted pipeline as it was', async () => {
    const pipe = await new Pipeline([new CenterTransformer(), new LogisticDetector({ epochs: 5 })]).fit(X, y);
    const before = await pipe.scoreSamples(Xtest);
    const ctrl = new AbortController();
    pipe.setParams({ 'test-center__factor': 10 });
    await pipe.fit(X, y); // fitted again with factor 10
    const fitted10 = await pipe.scoreSamples(Xtest);
    expect(fitted10).not.toEqual(before);
    await expect(pipe.fit(X, y, { signal: ctrl.signal, onProgress: () => ctrl.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(await pipe.scoreSamples(Xtest)).toEqual(fitted10);
  });
});
