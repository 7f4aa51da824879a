import { describe, expect, it } from 'vitest';
import { createDetector, deserialize, getDetectorEntry, listDetectors, serialize } from '@abc/core';
import { checkDetector, makeCheckData } from '@abc/core/testing';
import { searchDetectors } from '@abc/search';
import { MeanDistanceDetector } from '../src/index.js';

describe('the mean-distance plugin', () => {
  it('registers itself on import, from its declaration', () => {
    expect(listDetectors({ supervision: 'unsupervised' }).map((e) => e.name)).toContain('mean-distance');
    expect(createDetector('mean-distance', { scale: 'none' })).toBeInstanceOf(MeanDistanceDetector);
    expect(getDetectorEntry('mean-distance')).toMatchObject({
      budget: null,
      learnsWithoutAnomalies: true,
      hasProbability: false,
    });
  });

  it('passes the conformance suite', async () => {
    await checkDetector((p) => new MeanDistanceDetector(p));
  });

  it('scores by the (scaled) distance to the mean and round-trips through the model format', async () => {
    const X = [
      [0, 0],
      [2, 0],
      [0, 4],
      [2, 4],
    ]; // mean (1, 2), std (1, 2)
    const plain = await new MeanDistanceDetector({ scale: 'none' }).fit(X);
    expect(
      (
        await plain.scoreSamples([
          [1, 2],
          [4, 6],
        ])
      )[1],
    ).toBeCloseTo(5, 6);
    const scaled = await new MeanDistanceDetector({ scale: 'std' }).fit(X);
    const s = await scaled.scoreSamples([
      [1, 2],
      [4, 6],
    ]);
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo(Math.hypot(3, 2), 6);
    const again = await deserialize(await serialize(scaled));
    expect(
      await again.scoreSamples([
        [1, 2],
        [4, 6],
      ]),
    ).toEqual(s);
  });

  it('is picked up by the model search without a change to the framework', async () => {
    const { X, y } = makeCheckData();
    const result = await searchDetectors(X, y, { detectors: ['mean-distance'], trialsPerDetector: 3, seed: 1 });
    expect(result.candidates).toEqual(['mean-distance']);
    // scale is drawn from its declared search choices; a configuration drawn twice is evaluated once.
    expect(new Set(result.trials.map((t) => t.params.scale)).size).toBe(result.trials.length);
    expect(result.bestPipeline.name).toBe('mean-distance');
  });
});
