/**
 * The conformance sweep: every detector registered by the built-in packages, each check of `checkDetector` as
 * its own test, with the detector's declared quick parameters. A newly registered detector is swept here
 * without a test of its own.
 */
import { describe, expect, it } from 'vitest';
import { listDetectors } from '@abc/core';
import { CONFORMANCE_CHECKS, detectorConformanceCases } from '@abc/core/testing';
import '@abc/models';
import '@abc/baselines';

// Detectors whose scores depend on the seed (the others are deterministic given the data).
const RANDOM = new Set([
  'abc',
  'ae',
  'dae',
  'lrc',
  'dnn',
  'iforest',
  'rusboost',
  'deepsad',
  'devnet',
  'feawad',
  'prenet',
  'rosas',
]);
const cases = detectorConformanceCases({ options: (name) => ({ random: RANDOM.has(name) }) });

describe('conformance sweep of every registered detector', () => {
  it('covers every registered detector and every check that applies', () => {
    const swept = new Set(cases.map((c) => c.detector));
    expect([...swept].sort()).toEqual(
      listDetectors()
        .map((e) => e.name)
        .sort(),
    );
    expect(swept.size).toBeGreaterThanOrEqual(13);
    for (const name of swept)
      expect(cases.filter((c) => c.detector === name).length, name).toBeGreaterThanOrEqual(CONFORMANCE_CHECKS.length - 4);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.id, c] as const))(
    '%s',
    async (_id, c) => {
      await c.run();
    },
    60_000,
  );
});
