import { describe, expect, it } from 'vitest';
import { createDetector, deserialize, getDetectorEntry, listDetectors, serialize } from '@abc/core';
import { baselineEntries, registerBaselines } from '../src/index.js';

describe('registration', () => {
  it('registers iforest, gtb and rusboost on import, and a second registration is harmless', async () => {
    registerBaselines();
    await import('../src/register.js');
    const names = listDetectors().map((e) => e.name);
    for (const name of ['iforest', 'gtb', 'rusboost']) expect(names).toContain(name);
    expect(getDetectorEntry('iforest').supervision).toBe('unsupervised');
    expect(getDetectorEntry('gtb').supervision).toBe('supervised');
    expect(getDetectorEntry('rusboost').hasProbability).toBe(true);
  });

  it('every parameter is documented, and numeric ones have a search range or are structural', () => {
    const trees = baselineEntries.filter((e) => ['iforest', 'gtb', 'rusboost'].includes(e.name));
    expect(trees.length).toBe(3);
    for (const entry of trees) {
      for (const [key, spec] of Object.entries(entry.paramSpace)) {
        expect(spec.description.length, `${entry.name}.${key}`).toBeGreaterThan(10);
      }
      const searchable = Object.values(entry.paramSpace).filter((s) => 'search' in s && s.search);
      expect(searchable.length, entry.name).toBeGreaterThanOrEqual(2);
      // The defaults make a valid detector, and entry.create validates.
      expect(() => entry.create({})).not.toThrow();
      expect(() => entry.create({ nope: 1 })).toThrow(/unknown parameter/);
    }
  });

  it('model files round-trip through the registry', async () => {
    const X = Array.from({ length: 60 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7), i % 5]);
    const y = X.map((_, i) => (i % 4 === 0 ? 1 : 0));
    for (const [name, params] of [
      ['iforest', { nEstimators: 5 }],
      ['gtb', { maxIter: 5, minSamplesLeaf: 3 }],
      ['rusboost', { nEstimators: 5 }],
    ] as const) {
      const d = createDetector(name, params);
      await d.fit(X, y);
      const loaded = await deserialize(await serialize(d));
      expect(loaded.name).toBe(name);
      expect(Array.from(await loaded.scoreSamples(X))).toEqual(Array.from(await d.scoreSamples(X)));
    }
  });
});
