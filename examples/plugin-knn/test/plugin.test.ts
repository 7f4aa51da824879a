import { describe, expect, it } from 'vitest';
import { createDetector, deserialize, listDetectors, serialize } from '@abc/core';
import { checkDetector } from '@abc/core/testing';
import { makeCheckData } from '@abc/core/testing';
import { searchDetectors } from '@abc/search';
import { KnnDetector } from '../src/index.js';

describe('the knn plugin', () => {
  it('registers itself on import', () => {
    expect(listDetectors({ supervision: 'unsupervised' }).map((e) => e.name)).toContain('knn');
    expect(createDetector('knn', { k: 3 })).toBeInstanceOf(KnnDetector);
  });

  it('passes the conformance suite', async () => {
    await checkDetector((p) => new KnnDetector({ k: 3, ...p }));
  });

  it('scores by the k-th neighbour distance and round-trips through the model format', async () => {
    const d = await new KnnDetector({ k: 2 }).fit([[0, 0], [1, 0], [0, 1], [5, 5]]);
    const s = await d.scoreSamples([[0, 0], [10, 10]]);
    expect(s[0]).toBeCloseTo(1, 6); // neighbours at 0 and 1: the 2nd is at distance 1
    expect(s[1]).toBeCloseTo(Math.hypot(9, 10), 5);
    const again = await deserialize(await serialize(d));
    expect(await again.scoreSamples([[0, 0], [10, 10]])).toEqual(s);
  });

  it('subsamples large training sets with the seed, as its params record', async () => {
    const X = Array.from({ length: 50 }, (_, i) => [i, i % 7]);
    const a = await new KnnDetector({ maxTrainingRows: 10, seed: 1 }).fit(X);
    const b = await new KnnDetector({ maxTrainingRows: 10, seed: 1 }).fit(X);
    expect(a.getState().tensors.train.shape).toEqual([10, 2]);
    expect(await a.scoreSamples(X)).toEqual(await b.scoreSamples(X));
  });

  it('is picked up by the model search without a change to the framework', async () => {
    const { X, y } = makeCheckData();
    const result = await searchDetectors(X, y, { detectors: ['knn'], trialsPerDetector: 3, seed: 1 });
    expect(result.candidates).toEqual(['knn']);
    // k is drawn from its declared search range; a configuration drawn twice is evaluated once.
    expect(result.trials.length).toBeGreaterThan(1);
    expect(new Set(result.trials.map((t) => t.params.k)).size).toBe(result.trials.length);
    expect(result.bestPipeline.name).toBe('knn');
  });
});
